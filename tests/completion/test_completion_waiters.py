"""Issue 11, points 4 and 5: a second waiter on the same job, and what a wait timeout says.

A ClientRequestToken reused while the job runs returns the same JobId and sends
no second SNS message. Two waits on that job through one queue: the first takes
the one message; the second must end soon after the job does (here at once, from
the in-process copy), not at its deadline. The default status-check interval is
short, so across processes it is seconds, not minutes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from completion_support import fast_retry

from rekotrack import PersonTracker, PersonTrackingPage, WaitTimeoutError
from rekotrack._completion import CompletionQueue
from rekotrack._core._constants import DEFAULT_STATUS_CHECK_INTERVAL

testing = pytest.importorskip("rekotrack.testing", reason="rekotrack.testing is not available")


@pytest.fixture
def server(moto_url: str) -> Iterator[Any]:
    with testing.LocalRekognition(job_seconds=1.0, sns_endpoint_url=moto_url) as running:
        yield running


def test_the_default_status_check_interval_is_seconds() -> None:
    assert DEFAULT_STATUS_CHECK_INTERVAL <= 15


def test_second_waiter_on_a_reused_token_returns_with_the_first(server: Any, queue: CompletionQueue) -> None:
    tracker = PersonTracker(client=server.client(), retry=fast_retry())
    first = tracker.start("s3://my-videos/twice.mp4", notification=queue.channel, client_request_token="same-token")
    second = tracker.start("s3://my-videos/twice.mp4", notification=queue.channel, client_request_token="same-token")
    assert first.job_id == second.job_id  # one job, and it will publish one message
    results: dict[str, PersonTrackingPage | BaseException] = {}

    def wait(name: str) -> None:
        try:
            # The default status_check_interval: the deadline is far longer than the job.
            results[name] = tracker.wait(first.job_id, timeout=60, queue=queue)
        except BaseException as exc:  # reported below
            results[name] = exc

    threads = [threading.Thread(target=wait, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(90)
    assert not any(t.is_alive() for t in threads)
    for outcome in results.values():
        assert isinstance(outcome, PersonTrackingPage), outcome
        assert outcome.job_status == "SUCCEEDED"
    assert server.request_count("StartPersonTracking") == 2
    assert len(server.notifications) == 1


def test_wait_timeout_names_the_last_status_seen(server: Any) -> None:
    tracker = PersonTracker(client=server.client(), retry=fast_retry())
    job = tracker.start("s3://my-videos/slow.mp4")
    with pytest.raises(WaitTimeoutError) as info:
        tracker.wait(job.job_id, timeout=0)
    assert info.value.last_status == "IN_PROGRESS"
    assert "last status IN_PROGRESS" in str(info.value)


def test_a_failed_delete_keeps_the_notification_for_the_next_wait(
    queue: CompletionQueue, publish: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The synchronous queue recovers an interrupted hand-over exactly as the asynchronous one does."""
    job_id = publish(queue, "job-delete-interrupted")
    real_delete = queue._delete

    def interrupted(handles: list[str]) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C while the message is being deleted

    monkeypatch.setattr(queue, "_delete", interrupted)
    with pytest.raises(KeyboardInterrupt):
        queue.wait_for(job_id, 10)
    monkeypatch.setattr(queue, "_delete", real_delete)
    receives = queue.receive_calls
    assert queue.wait_for(job_id, 0).job_id == job_id  # handed over at once, without a receive
    assert queue.receive_calls == receives
