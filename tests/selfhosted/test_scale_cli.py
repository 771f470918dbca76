"""``serve --broker`` and ``worker``: bad input is one line and exit 2, before anything starts."""

from __future__ import annotations

import re

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


def _options_of(command: str) -> set[str]:
    import argparse

    from rekotrack._cli import _parser

    sub = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction))
    return {flag for action in sub.choices[command]._actions for flag in action.option_strings}


def test_the_deployment_docs_use_only_options_that_exist() -> None:
    """The commands in docs/self-hosted.md's "At scale" and in docs/compose.yaml parse as written."""
    import shlex
    from pathlib import Path

    import yaml

    docs = Path(__file__).resolve().parents[2] / "docs"
    text = (docs / "self-hosted.md").read_text()
    section = text[text.index("## At scale"):text.index("## Accuracy")]
    commands = [shlex.split(line.replace("\\\n", " "))
                for block in section.split("```sh\n")[1:] for line in block.split("```")[0].replace("\\\n", " ")
                .splitlines() if line.startswith(("rekotrack serve ", "rekotrack worker "))]
    compose = yaml.safe_load((docs / "compose.yaml").read_text())
    commands += [service["command"] for name, service in compose["services"].items() if name in ("api", "worker")]
    assert {argv[1] for argv in commands} == {"serve", "worker"}
    for argv in commands:
        words = [w for w in argv[2:] if w.startswith("--")]
        assert set(words) <= _options_of(argv[1]), argv
    table = section.split("| option | of | meaning |")[1].split("\n\n")[0]
    for row in table.splitlines()[2:]:
        flag, used_by = re.findall(r"`(--[a-z0-9-]+)", row)[0], row.split("|")[2]
        for command in ("serve", "worker"):
            assert (flag in _options_of(command)) == (command in used_by), (flag, command)
