"""Issue 22, point 6: a pager checks its job id and page size once, when it is made, not on every Get.

Each page's request adds only its NextToken to the pager's parameters (checked as
before); a bad job id or page size is still a RequestValidationError before any
request (``tests/unit/test_pagination.py``).
"""

from __future__ import annotations

import pytest

from rekotrack._core import _requests

from .test_prefetch import PagedService
from .unit_support import JOB_ID, FakeClock, make_tracker


@pytest.mark.parametrize("prefetch", [True, False], ids=["prefetch", "no-prefetch"])
def test_the_job_id_and_page_size_are_checked_once_per_pager(prefetch: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    checks: list[str] = []
    real_job_id, real_page_size = _requests.check_job_id, _requests.check_page_size

    def job_id(value: str) -> None:
        checks.append("job_id")
        real_job_id(value)

    def page_size(name: str, value: int, limit: int) -> None:
        checks.append("page_size")
        real_page_size(name, value, limit)

    monkeypatch.setattr(_requests, "check_job_id", job_id)
    monkeypatch.setattr(_requests, "check_page_size", page_size)
    service = PagedService(pages=5, size=3)
    pager = make_tracker(service, FakeClock(), prefetch=prefetch).persons(JOB_ID, page_size=3)
    made = list(checks)
    assert [d.timestamp for d in pager] == list(range(15))
    assert service.calls == [0, 1, 2, 3, 4]
    assert checks == made  # five pages, no check after the pager was made
