"""Issue 12 point 3: the engine reads a failed request's error code in its operation's table.

``VideoOperation.errors`` defaults to the generated per-operation tables
(``rekotrack._errors.errors_for`` of Start and Get); a spec with a table of its own
gets its own classes, and a code the operation does not declare is a plain APIError
(still retried on a 5xx). Nothing in the engine names a code or a class.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any, ClassVar

import pytest
from botocore.stub import Stubber

from rekotrack import APIError, AsyncPersonTracker, PersonTracker, ResourceNotFoundError, RetryPolicy
from rekotrack._core._operation import PERSON_TRACKING, VideoOperation
from rekotrack._errors import ERROR_CLASSES, errors_for

from .unit_support import JOB_ID, FakeClock, count_sends, make_client, raw_response


class NoSuchJob(APIError):
    """The spec's own class for ResourceNotFoundException."""


CUSTOM: VideoOperation[Any, Any] = dataclasses.replace(PERSON_TRACKING, errors={"ResourceNotFoundException": NoSuchJob})


class CustomTracker(PersonTracker):
    _operation: ClassVar[VideoOperation[Any, Any]] = CUSTOM


def _error(code: str) -> bytes:
    return json.dumps({"__type": code, "message": f"{code} here"}).encode()


def _tracker(
    cls: type[PersonTracker], clock: FakeClock, code: str, status: int = 400
) -> tuple[PersonTracker, list[Any]]:
    client = make_client()
    sends = count_sends(client, "GetPersonTracking", lambda request: raw_response(request, status, _error(code)))
    tracker = cls(client=client, retry=RetryPolicy(max_attempts=2, sleep=clock.sleep), prefetch=False)
    tracker._clock = clock
    return tracker, sends


def test_the_default_table_is_the_generated_per_operation_one() -> None:
    assert PERSON_TRACKING.errors == {**errors_for("StartPersonTracking"), **errors_for("GetPersonTracking")}
    unknown: VideoOperation[Any, Any] = VideoOperation(
        name="NotAnOperation",
        list_key="Persons",
        page_model=PERSON_TRACKING.page_model,
        item_model=PERSON_TRACKING.item_model,
        start_constraints={},
        get_constraints={},
    )
    assert unknown.errors == ERROR_CLASSES


def test_the_engine_maps_codes_through_the_spec_table(clock: FakeClock) -> None:
    tracker, sends = _tracker(CustomTracker, clock, "ResourceNotFoundException")
    with pytest.raises(NoSuchJob) as info:
        tracker.status(JOB_ID)
    assert type(info.value) is NoSuchJob
    assert info.value.code == "ResourceNotFoundException"
    assert (info.value.operation, info.value.attempts) == ("GetPersonTracking", 1)
    assert len(sends) == 1

    plain, _ = _tracker(PersonTracker, clock, "ResourceNotFoundException")
    with pytest.raises(ResourceNotFoundError):
        plain.status(JOB_ID)


@pytest.mark.parametrize(
    ("code", "status", "attempts"),
    [("AccessDeniedException", 400, 1), ("InternalServerError", 500, 2)],  # a 5xx is still retried
)
def test_a_code_the_spec_does_not_declare_is_a_plain_api_error(
    clock: FakeClock, code: str, status: int, attempts: int
) -> None:
    tracker, sends = _tracker(CustomTracker, clock, code, status=status)
    with pytest.raises(APIError) as info:
        tracker.status(JOB_ID)
    assert type(info.value) is APIError
    assert info.value.code == code
    assert info.value.attempts == attempts
    assert len(sends) == attempts


def test_the_async_engine_maps_codes_through_the_spec_table() -> None:
    class AsyncCustom(AsyncPersonTracker):
        _operation: ClassVar[VideoOperation[Any, Any]] = CUSTOM

    async def sleep(seconds: float) -> None:
        pass

    client = make_client()
    stub = Stubber(client)
    stub.add_client_error("get_person_tracking", "ResourceNotFoundException", "gone", 400)
    with stub:
        tracker = AsyncCustom(client=_AsyncWrapper(client), retry=RetryPolicy(async_sleep=sleep))
        with pytest.raises(NoSuchJob):
            asyncio.run(tracker.status(JOB_ID))


class _AsyncWrapper:
    """A synchronous botocore client behind coroutine methods (what aiobotocore's client looks like)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.meta = client.meta

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        async def call(**params: Any) -> Any:
            return method(**params)

        return call
