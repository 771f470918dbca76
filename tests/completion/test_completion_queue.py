"""CompletionQueue against a real moto server (SNS → SQS), and exact SQS call sequences with Stubber."""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from completion_support import FAKE, REGION, ROLE_ARN, fast_retry, new_job_id, queue_depth, rekognition_message

from rekotrack import (
    APIError,
    CompletionNotification,
    JobFailedError,
    NotificationChannel,
    RequestValidationError,
    WaitTimeoutError,
)
from rekotrack._completion import CompletionQueue, queue_policy

Publish = Callable[..., str]
MakeQueue = Callable[..., CompletionQueue]


def unique_prefix() -> str:
    return f"AmazonRekognitionT{uuid.uuid4().hex[:8]}"


def topics_named(sns: Any, prefix: str) -> list[str]:
    arns = [t["TopicArn"] for t in sns.list_topics()["Topics"]]
    return [a for a in arns if a.rsplit(":", 1)[-1].startswith(prefix)]


def queues_named(sqs: Any, prefix: str) -> list[str]:
    return list(sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", []))


# ---- create / attach / cleanup ---------------------------------------------------


def test_create_makes_topic_queue_policy_and_subscription(queue: CompletionQueue, sns: Any, sqs: Any) -> None:
    name = queue.topic_arn.rsplit(":", 1)[-1]
    assert name.startswith("AmazonRekognition-")
    assert queue.queue_url.endswith("/" + name)
    assert queue.queue_arn == f"arn:aws:sqs:{REGION}:123456789012:{name}"
    subs = sns.list_subscriptions_by_topic(TopicArn=queue.topic_arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("sqs", queue.queue_arn)]
    assert queue.subscription_arn == subs[0]["SubscriptionArn"]
    assert queue.channel == NotificationChannel(sns_topic_arn=queue.topic_arn, role_arn=ROLE_ARN)
    assert queue.channel.to_aws() == {"SNSTopicArn": queue.topic_arn, "RoleArn": ROLE_ARN}


def test_queue_policy_allows_only_send_from_the_topic(queue: CompletionQueue, sqs: Any) -> None:
    attrs = sqs.get_queue_attributes(QueueUrl=queue.queue_url, AttributeNames=["Policy"])["Attributes"]
    policy = json.loads(attrs["Policy"])
    assert policy == queue_policy(queue.queue_arn, queue.topic_arn)
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "sns.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Resource"] == queue.queue_arn
    assert statement["Condition"] == {"ArnEquals": {"aws:SourceArn": queue.topic_arn}}


def test_close_deletes_all_three_and_is_idempotent(sns: Any, sqs: Any) -> None:
    prefix = unique_prefix()
    with CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix=prefix) as queue:
        assert topics_named(sns, prefix) == [queue.topic_arn]
        assert queues_named(sqs, prefix) == [queue.queue_url]
        subscription = queue.subscription_arn
    assert topics_named(sns, prefix) == []
    assert queues_named(sqs, prefix) == []
    all_subs = [s["SubscriptionArn"] for s in sns.list_subscriptions()["Subscriptions"]]
    assert subscription not in all_subs
    queue.close()


def test_exit_on_error_still_cleans_up_and_keeps_the_error(sns: Any, sqs: Any) -> None:
    prefix = unique_prefix()
    with pytest.raises(KeyError), CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix=prefix):
        raise KeyError("boom")
    assert topics_named(sns, prefix) == []
    assert queues_named(sqs, prefix) == []


def test_keep_leaves_them_and_attach_never_deletes(sns: Any, sqs: Any, publish: Publish) -> None:
    prefix = unique_prefix()
    with CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix=prefix, keep=True) as made:
        pass
    assert topics_named(sns, prefix) == [made.topic_arn]
    with CompletionQueue.attach(made.queue_url, made.topic_arn, ROLE_ARN, sns_client=sns, sqs_client=sqs) as queue:
        assert queue.queue_arn == made.queue_arn
        assert queue.subscription_arn is None
        job = publish(queue, new_job_id())
        assert queue.wait_for(job, 5).job_id == job
    assert topics_named(sns, prefix) == [made.topic_arn]
    assert queues_named(sqs, prefix) == [made.queue_url]
    sns.delete_topic(TopicArn=made.topic_arn)
    sqs.delete_queue(QueueUrl=made.queue_url)


def test_clients_made_from_session_and_endpoint(session: boto3.Session, moto_url: str) -> None:
    with CompletionQueue.create(ROLE_ARN, session=session, endpoint_url=moto_url, region_name=REGION) as queue:
        assert queue.sqs_client.meta.config.retries["total_max_attempts"] == 1
        assert queue.sns_client.meta.endpoint_url == moto_url


@pytest.mark.parametrize(
    ("service", "operation"),
    [("sqs", "CreateQueue"), ("sqs", "GetQueueAttributes"), ("sqs", "SetQueueAttributes"), ("sns", "Subscribe")],
)
def test_failure_halfway_deletes_what_was_made(sns: Any, sqs: Any, service: str, operation: str) -> None:
    client = sns if service == "sns" else sqs

    def refuse(**_: Any) -> None:
        raise ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, operation)

    client.meta.events.register(f"before-call.{service}.{operation}", refuse)
    prefix = unique_prefix()
    with pytest.raises(APIError) as info:
        CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix=prefix, retry=fast_retry())
    assert info.value.code == "AccessDenied"
    assert isinstance(info.value.__cause__, ClientError)
    assert topics_named(sns, prefix) == []
    assert queues_named(sqs, prefix) == []


def test_bad_inputs_are_refused_before_any_call(sns: Any, sqs: Any) -> None:
    before = len(sns.list_topics()["Topics"])
    with pytest.raises(RequestValidationError, match="role_arn"):
        CompletionQueue.create("not-a-role", sns_client=sns, sqs_client=sqs)
    with pytest.raises(RequestValidationError, match="name_prefix"):
        CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, name_prefix="bad prefix!")
    with pytest.raises(RequestValidationError, match="Policy"):
        CompletionQueue.create(ROLE_ARN, sns_client=sns, sqs_client=sqs, queue_attributes={"Policy": "{}"})
    with pytest.raises(RequestValidationError, match="topic_arn"):
        CompletionQueue.attach("http://q", "arn:aws:sns:nope", ROLE_ARN, sns_client=sns, sqs_client=sqs)
    assert len(sns.list_topics()["Topics"]) == before


def test_other_prefix_warns_about_the_managed_policy(make_queue: MakeQueue, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="rekotrack"):
        queue = make_queue(name_prefix="VideoJobs")
    assert queue.topic_arn.rsplit(":", 1)[-1].startswith("VideoJobs-")
    assert "AmazonRekognitionServiceRole" in caplog.text


# ---- waiting -------------------------------------------------------------------------


def test_publish_then_wait_for_returns_it_and_deletes_it(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    job = publish(queue, new_job_id(), job_tag="run-7", key="clips/lobby.mp4")
    note = queue.wait_for(job, 5)
    assert isinstance(note, CompletionNotification)
    assert (note.job_id, note.status, note.api, note.job_tag) == (job, "SUCCEEDED", "StartPersonTracking", "run-7")
    assert note.video is not None
    assert note.video.s3_object_name == "clips/lobby.mp4"
    assert queue_depth(sqs, queue.queue_url) == 0


def test_other_jobs_messages_are_neither_deleted_nor_lost(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    mine, theirs = new_job_id(), new_job_id()
    publish(queue, theirs)
    publish(queue, mine)
    assert queue.wait_for(mine, 5).job_id == mine
    # Their message went back to the queue at once: a second consumer gets it now.
    got = sqs.receive_message(QueueUrl=queue.queue_url, WaitTimeSeconds=0).get("Messages", [])
    assert [json.loads(json.loads(m["Body"])["Message"])["JobId"] for m in got] == [theirs]
    # And this process kept a copy: a later wait_for gets it without receiving again.
    calls = queue.receive_calls
    assert queue.wait_for(theirs, 5).job_id == theirs
    assert queue.receive_calls == calls
    assert queue_depth(sqs, queue.queue_url) == 0


def test_interleaved_jobs_each_wait_gets_its_own(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    jobs = [new_job_id() for _ in range(6)]
    for job in jobs:
        publish(queue, job)
    for job in reversed(jobs):
        assert queue.wait_for(job, 5).job_id == job
    assert queue_depth(sqs, queue.queue_url) == 0


def test_a_foreign_message_is_kept_once_and_backs_off(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    foreign = publish(queue, new_job_id())
    with pytest.raises(WaitTimeoutError):
        queue.wait_for(new_job_id(), 2.5)
    # Seen several times, buffered once; held a little longer each time so it does not spin.
    assert queue.receive_calls <= 8
    assert queue_depth(sqs, queue.queue_url) == 1
    assert queue.wait_for(foreign, 5).job_id == foreign
    assert queue_depth(sqs, queue.queue_url) == 0
    with pytest.raises(WaitTimeoutError):
        queue.wait_for(foreign, 1)


def test_wait_for_all(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    a, b, c = new_job_id(), new_job_id(), new_job_id()
    publish(queue, c, "FAILED")
    publish(queue, a)
    publish(queue, b)
    notes = queue.wait_for_all([a, b, c], 5)
    assert set(notes) == {a, b, c}
    assert notes[c].status == "FAILED"
    assert queue_depth(sqs, queue.queue_url) == 0


def test_wait_for_all_timeout_keeps_what_arrived(queue: CompletionQueue, publish: Publish) -> None:
    a, b = new_job_id(), new_job_id()
    publish(queue, a)
    with pytest.raises(WaitTimeoutError) as info:
        queue.wait_for_all([a, b], 1.5)
    assert info.value.job_id == b
    calls = queue.receive_calls
    assert queue.wait_for(a, 0.1).job_id == a
    assert queue.receive_calls == calls


def test_wait_for_any(queue: CompletionQueue, publish: Publish) -> None:
    a, b = new_job_id(), new_job_id()
    publish(queue, b, "ERROR")
    note = queue.wait_for_any([a, b], 5)
    assert (note.job_id, note.status) == (b, "ERROR")


def test_deadline_is_respected_by_every_long_poll(queue: CompletionQueue) -> None:
    waits: list[int] = []
    queue.sqs_client.meta.events.register(
        "provide-client-params.sqs.ReceiveMessage", lambda params, **_: waits.append(params["WaitTimeSeconds"])
    )
    started = time.monotonic()
    with pytest.raises(WaitTimeoutError) as info:
        queue.wait_for("no-such-job", 2.5)
    elapsed = time.monotonic() - started
    assert elapsed >= 2.5  # the deadline is not cut short; each long poll fits in what remains:
    assert info.value.job_id == "no-such-job"
    assert waits == [2]  # one long poll; the last half second is slept out, not polled

    assert queue.receive_calls == len(waits)


def test_zero_timeout_checks_the_buffer_only(queue: CompletionQueue) -> None:
    with pytest.raises(WaitTimeoutError):
        queue.wait_for("job-1", 0)
    assert queue.receive_calls == 0


def test_malformed_messages_are_left_logged_and_counted(
    make_queue: MakeQueue, publish: Publish, sqs: Any, caplog: pytest.LogCaptureFixture
) -> None:
    queue = make_queue(queue_attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody="this is not JSON")
    confirmation = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": queue.topic_arn,
        "Message": "You have chosen to subscribe to the topic",
        "Timestamp": "2023-11-14T22:13:20.456Z",
    }
    sqs.send_message(QueueUrl=queue.queue_url, MessageBody=json.dumps(confirmation))
    with caplog.at_level(logging.WARNING, logger="rekotrack"), pytest.raises(WaitTimeoutError):
        queue.wait_for(new_job_id(), 2.5)
    assert queue.malformed_count == 2  # distinct messages, though received more than once
    assert caplog.text.count("malformed message") == 2
    assert "sns-envelope" in caplog.text
    assert queue_depth(sqs, queue.queue_url) == 2
    # A good message behind them still gets through.
    job = publish(queue, new_job_id())
    assert queue.wait_for(job, 5).job_id == job


@pytest.mark.parametrize("status", ["ERROR", "FAILED"])
def test_failed_or_error_raises_job_failed(queue: CompletionQueue, publish: Publish, sqs: Any, status: str) -> None:
    job = publish(queue, new_job_id(), status)
    with pytest.raises(JobFailedError) as info:
        queue.wait_for(job, 5)
    assert (info.value.job_id, info.value.status, info.value.status_message) == (job, status, None)
    assert queue_depth(sqs, queue.queue_url) == 0


def test_raw_message_delivery(make_queue: MakeQueue, publish: Publish, sns: Any, sqs: Any) -> None:
    queue = make_queue(raw_message_delivery=True)
    assert queue.subscription_arn is not None
    attrs = sns.get_subscription_attributes(SubscriptionArn=queue.subscription_arn)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    probe = publish(queue, new_job_id())
    [raw] = sqs.receive_message(QueueUrl=queue.queue_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(raw["Body"])["JobId"] == probe  # the body is Rekognition's JSON itself
    sqs.delete_message(QueueUrl=queue.queue_url, ReceiptHandle=raw["ReceiptHandle"])
    job = publish(queue, new_job_id())
    assert queue.wait_for(job, 5).job_id == job


def test_discard_deletes_a_held_and_a_late_message(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    early, late = new_job_id(), new_job_id()
    publish(queue, early)
    with pytest.raises(WaitTimeoutError):
        queue.wait_for(new_job_id(), 1)
    queue.discard(early)
    queue.discard(late)
    assert queue_depth(sqs, queue.queue_url) == 0
    publish(queue, late)
    with pytest.raises(WaitTimeoutError):
        queue.wait_for(new_job_id(), 1)
    assert queue_depth(sqs, queue.queue_url) == 0


def test_bad_wait_arguments(queue: CompletionQueue) -> None:
    with pytest.raises(RequestValidationError):
        queue.wait_for("bad job id!", 1)
    with pytest.raises(RequestValidationError):
        queue.wait_for_all([], 1)
    with pytest.raises(RequestValidationError):
        queue.wait_for_all("job-1", 1)
    with pytest.raises(ValueError, match="timeout"):
        queue.wait_for("job-1", -1)


# ---- sharing one queue ------------------------------------------------------------------


def run_threads(targets: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def guard(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                fn()
            except BaseException as exc:
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guard(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors


def test_two_threads_share_one_queue(queue: CompletionQueue, publish: Publish, sqs: Any) -> None:
    first = [new_job_id() for _ in range(5)]
    second = [new_job_id() for _ in range(5)]
    foreign = new_job_id()
    got: dict[str, list[str]] = {"first": [], "second": []}

    def waiter(name: str, jobs: list[str]) -> Callable[[], None]:
        def run() -> None:
            for job in jobs:
                got[name].append(queue.wait_for(job, 10).job_id)

        return run

    def publisher() -> None:
        publish(queue, foreign)
        for a, b in zip(first, second, strict=True):
            publish(queue, b)
            time.sleep(0.02)
            publish(queue, a)

    run_threads([waiter("first", first), waiter("second", second), publisher])
    assert got == {"first": first, "second": second}
    assert queue_depth(sqs, queue.queue_url) == 1  # the foreign message, never deleted


def test_two_consumers_of_one_queue_delete_no_foreign_message(
    queue: CompletionQueue, publish: Publish, sns: Any, sqs: Any
) -> None:
    other = CompletionQueue.attach(
        queue.queue_url, queue.topic_arn, ROLE_ARN, sns_client=sns, sqs_client=sqs, retry=fast_retry()
    )
    mine = [new_job_id() for _ in range(3)]
    theirs = [new_job_id() for _ in range(3)]
    foreign = new_job_id()
    for a, b in zip(mine, theirs, strict=True):
        publish(queue, b)
        publish(queue, a)
    publish(queue, foreign)
    got: dict[str, dict[str, CompletionNotification]] = {}

    def consumer(name: str, q: CompletionQueue, jobs: list[str]) -> Callable[[], None]:
        return lambda: got.__setitem__(name, q.wait_for_all(jobs, 15))

    run_threads([consumer("mine", queue, mine), consumer("theirs", other, theirs)])
    assert set(got["mine"]) == set(mine)
    assert set(got["theirs"]) == set(theirs)
    assert queue_depth(sqs, queue.queue_url) == 1


# ---- exact SQS calls (Stubber) ---------------------------------------------------------

QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/AmazonRekognition-test"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:AmazonRekognition-test"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:AmazonRekognition-test"


def sqs_message(job_id: str, message_id: str, handle: str) -> dict[str, Any]:
    envelope = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": TOPIC_ARN,
        "Message": rekognition_message(job_id),
        "Timestamp": "2023-11-14T22:13:20.456Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
        "UnsubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe",
    }
    return {"MessageId": message_id, "ReceiptHandle": handle, "MD5OfBody": "x", "Body": json.dumps(envelope)}


@pytest.fixture
def stubbed() -> tuple[CompletionQueue, Stubber]:
    sqs = boto3.client("sqs", region_name=REGION, **FAKE)
    sns = boto3.client("sns", region_name=REGION, **FAKE)
    stub = Stubber(sqs)
    stub.add_response(
        "get_queue_attributes",
        {"Attributes": {"QueueArn": QUEUE_ARN}},
        {"QueueUrl": QUEUE_URL, "AttributeNames": ["QueueArn"]},
    )
    stub.activate()
    queue = CompletionQueue.attach(QUEUE_URL, TOPIC_ARN, ROLE_ARN, sns_client=sns, sqs_client=sqs, retry=fast_retry())
    return queue, stub


def receive(stub: Stubber, messages: list[dict[str, Any]], wait: int = 20) -> None:
    stub.add_response(
        "receive_message",
        {"Messages": messages},
        {"QueueUrl": QUEUE_URL, "MaxNumberOfMessages": 10, "WaitTimeSeconds": wait},
    )


def test_exact_calls_release_foreign_delete_own_with_latest_handle(stubbed: tuple[CompletionQueue, Stubber]) -> None:
    queue, stub = stubbed
    receive(stub, [sqs_message("job-b", "m-b", "rh-b1"), sqs_message("job-a", "m-a", "rh-a1")])
    stub.add_response(
        "change_message_visibility", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-b1", "VisibilityTimeout": 0}
    )
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-a1"})
    # The same foreign message comes back (a new receipt handle): deduplicated, held 1 s this time.
    receive(stub, [sqs_message("job-b", "m-b", "rh-b2"), sqs_message("job-c", "m-c", "rh-c1")])
    stub.add_response(
        "change_message_visibility", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-b2", "VisibilityTimeout": 1}
    )
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-c1"})
    # job-b is then consumed from the buffer, deleted with its latest handle, without a receive.
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-b2"})

    assert queue.wait_for("job-a", 60).job_id == "job-a"
    assert queue.wait_for("job-c", 60).job_id == "job-c"
    assert queue.wait_for("job-b", 60).job_id == "job-b"
    stub.assert_no_pending_responses()
    assert queue.receive_calls == 2


def test_duplicate_deliveries_are_all_deleted(stubbed: tuple[CompletionQueue, Stubber]) -> None:
    queue, stub = stubbed
    receive(stub, [sqs_message("job-a", "m-1", "rh-1"), sqs_message("job-a", "m-2", "rh-2")])
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-1"})
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-2"})
    # A third copy arriving later is deleted as a duplicate, not passed around.
    receive(stub, [sqs_message("job-a", "m-3", "rh-3"), sqs_message("job-b", "m-b", "rh-b")])
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-3"})
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-b"})
    assert queue.wait_for("job-a", 60).job_id == "job-a"
    assert queue.wait_for("job-b", 60).job_id == "job-b"
    stub.assert_no_pending_responses()


def test_sqs_throttling_is_retried(stubbed: tuple[CompletionQueue, Stubber]) -> None:
    queue, stub = stubbed
    stub.add_client_error("receive_message", service_error_code="RequestThrottled", http_status_code=403)
    stub.add_client_error(
        "receive_message", service_error_code="AWS.SimpleQueueService.RequestThrottled", http_status_code=403
    )
    receive(stub, [sqs_message("job-a", "m-a", "rh-a")])
    stub.add_response("delete_message", {}, {"QueueUrl": QUEUE_URL, "ReceiptHandle": "rh-a"})
    assert queue.wait_for("job-a", 60).job_id == "job-a"
    assert queue.receive_calls == 3
    stub.assert_no_pending_responses()


def test_other_sqs_errors_are_typed_and_not_retried(stubbed: tuple[CompletionQueue, Stubber]) -> None:
    queue, stub = stubbed
    stub.add_client_error(
        "receive_message", service_error_code="AWS.SimpleQueueService.NonExistentQueue", http_status_code=400
    )
    with pytest.raises(APIError) as info:
        queue.wait_for("job-a", 60)
    assert info.value.code == "AWS.SimpleQueueService.NonExistentQueue"
    assert info.value.operation == "ReceiveMessage"
    assert queue.receive_calls == 1
