"""``serve --broker`` and ``worker``: bad input is one line and exit 2, before anything starts."""

from __future__ import annotations

import pytest

from rekotrack._cli import main

pytest.importorskip("cv2")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["worker", "--broker", "http://127.0.0.1:6379/0"], "expected redis://"),
        (["worker", "--broker", "redis://127.0.0.1:1/0", "--concurrency", "0"], "--concurrency"),
        (["worker", "--broker", "redis://127.0.0.1:1/0", "--lease-seconds", "0"], "--lease-seconds"),
        (["worker", "--broker", "redis://127.0.0.1:1/0", "--lease-seconds", "400"], "--visibility-timeout"),
        (["worker", "--broker", "redis://127.0.0.1:1/0", "--visibility-timeout", "inf"], "--visibility-timeout"),
        (["serve", "--analyzer", "video", "--broker", "redis://127.0.0.1:1/0"], "--results"),
        (["serve", "--analyzer", "video", "--broker", "redis://127.0.0.1:1/0", "--results", "s3://r",
          "--video-root", "."], "--video-root"),
        (["serve", "--analyzer", "video", "--broker", "redis://127.0.0.1:1/0", "--results", "s3://r",
          "--max-attempts", "0"], "--max-attempts"),
        (["serve", "--analyzer", "video", "--broker", "redis://127.0.0.1:1/0", "--results", "bucket/x"],
         "s3://bucket"),
        (["serve", "--analyzer", "video", "--results", "s3://r"], "--results needs --broker"),
    ],
)
def test_bad_scale_out_options_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
