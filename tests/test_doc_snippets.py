"""Docs cannot drift: every ```python block in README.md and docs/ is a complete script that runs as written.

Each page with Python blocks states once, near its top, in a ```sh block whose first line is
``# To run the Python examples on this page``, what its examples need: servers started in the background
(``rekotrack serve ... &``, ``moto_server ... &``), other set-up commands, and the variables to
``export``. The test does exactly that, each stated port swapped for a free one on 127.0.0.1, and runs
every block of the page as its own script (``python block.py`` in an empty temporary directory) with the
page's variables and no other ``AWS_*`` variable: it must exit 0.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# a ```python (or ```py) fence, indented too (in a list or an admonition), up to its closing fence
BLOCK = re.compile(r"^([ \t]*)```(?:python|py)[ \t]*\n(.*?)^\1```", re.S | re.M)
NOTE_MARK = "# To run the Python examples on this page"
NOTE = re.compile(r"^```(?:sh|bash)\n(" + re.escape(NOTE_MARK) + r".*?)^```", re.S | re.M)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SERVERS = {"rekotrack", "moto_server"}  # the commands a note may start in the background
PORT = re.compile(r"(?:--port|-p)\s+(\d+)")
BLOCK_TIMEOUT = 300.0  # seconds for one block (a real analysis on a busy machine): a hang fails, never blocks CI
START_TIMEOUT = 60.0  # seconds for a stated server to accept connections
BLOCK_WORKERS = 6  # blocks run at once, across pages: much of a block's time is spent waiting for a job
SERVER_EXTRA = ("cv2", "av", "scipy", "onnxruntime")  # what `rekotrack serve --analyzer video` imports


def _blocks(page: Path) -> list[tuple[int, str]]:
    """(first line, code) of each ```python block of ``page``."""
    text = page.read_text()
    return [(text.count("\n", 0, m.start()) + 2, textwrap.dedent(m.group(2))) for m in BLOCK.finditer(text)]


def _note(page: Path) -> str | None:
    found = NOTE.findall(page.read_text())
    assert len(found) <= 1, f"{page.name}: the examples' environment is stated more than once"
    return found[0] if found else None


def _missing(note: str) -> str | None:
    """What the note needs that this machine lacks: the server extra, a file it copies."""
    if "--analyzer video" in note and not all(importlib.util.find_spec(name) for name in SERVER_EXTRA):
        return "the server extra (pip install -e '.[dev,server]')"
    for path in re.findall(r"(?<=\s)/\S+", note):
        if not Path(path).exists():
            return f"{path} (for vtest.avi: apt-get install opencv-doc)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Environment:
    """A note made real: its servers (started by this test) and its variables."""

    variables: dict[str, str] = field(default_factory=dict)
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    failure: str | None = None  # why it could not be started


@dataclass
class PageRun:
    blocks: int = 0
    failures: list[str] = field(default_factory=list)
    skipped: str | None = None  # why the page's blocks could not run on this machine
    partly_skipped: str | None = None  # why some of them could not (the others ran)


_ASYNC_CLIENT = re.compile(r"\bAsync[A-Z]\w*|aiobotocore")


def _needs_missing_async_client(code: str) -> bool:
    """A block that uses rekotrack's async client, on a machine without aiobotocore (the newest-botocore suite)."""
    return _ASYNC_CLIENT.search(code) is not None and importlib.util.find_spec("aiobotocore") is None


class Harness:
    def __init__(self, home: Path, workdir: Path) -> None:
        self.home = home  # HOME for every process: no ~/.aws of the machine's user is read
        self.workdir = workdir
        self.environments: dict[str, Environment] = {}
        self._starting = threading.Lock()

    def clean_env(self, variables: dict[str, str]) -> dict[str, str]:
        """This process's environment without any AWS_* variable, plus ``variables``."""
        env = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["HOME"] = str(self.home)
        env.update(variables)
        return env

    def environment(self, note: str) -> Environment:
        """The note's environment; started on first use and shared by the pages that state the same note."""
        with self._starting:
            return self._environment(note)

    def _environment(self, note: str) -> Environment:
        if note not in self.environments:
            self.environments[note] = env = Environment()
            try:
                self._start(note, env)
            except Exception as exc:
                env.failure = f"{type(exc).__name__}: {exc}"
                raise
        env = self.environments[note]
        assert env.failure is None, f"the environment of this note could not be started: {env.failure}"
        return env

    def _start(self, note: str, env: Environment) -> None:
        for port in set(PORT.findall(note)):
            note = re.sub(rf"(?<=[:\s]){port}\b", str(_free_port()), note)
        listening: list[tuple[int, subprocess.Popen[bytes], Path]] = []
        for line in note.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if not words or words[:2] == ["pip", "install"]:  # the test runs in the project's dev environment
                continue
            if words[0] == "export":
                for word in words[1:]:
                    name, _, value = word.partition("=")
                    env.variables[name] = value
            elif words[-1] == "&":
                assert words[0] in SERVERS, f"the note starts {words[0]!r}, which this test cannot stop: {line}"
                stated = PORT.search(line)
                assert stated, f"a background server with no stated port: {line}"
                log = self.workdir / f"{words[0]}-{stated.group(1)}.log"  # a file: a full pipe would stall it
                with log.open("wb") as out:
                    proc = subprocess.Popen([str(Path(sys.executable).parent / words[0]), *words[1:-1]],
                                            cwd=self.workdir, env=self.clean_env({}),
                                            stdout=out, stderr=subprocess.STDOUT)
                env.processes.append(proc)
                listening.append((int(stated.group(1)), proc, log))
            else:
                subprocess.run(["bash", "-euc", line], cwd=self.workdir, env=self.clean_env({}), check=True,
                               timeout=120)
        for port, proc, log in listening:
            _wait_for_port(port, proc, log)

    def run_page(self, page: Path, blocks: ThreadPoolExecutor, workdir: Path) -> PageRun:
        """Starts what the page's note states (once per note) and runs each of its blocks on ``blocks``."""
        note = _note(page)
        if note is None:
            return PageRun(failures=[f"{page.name} has ```python blocks but no ```sh block starting {NOTE_MARK!r}"])
        missing = _missing(note)
        if missing:
            return PageRun(skipped=f"{page.name}'s examples need {missing}")
        found = _blocks(page)
        unrunnable = [(line, code) for line, code in found if _needs_missing_async_client(code)]
        if unrunnable and len(unrunnable) == len(found):
            return PageRun(skipped=f"{page.name}'s examples use the async client, which needs aiobotocore "
                                   "(pip install -e '.[dev]')")
        variables = self.environment(note).variables
        runs = [blocks.submit(self.run_block, page, line, code, variables, workdir / f"{page.stem}-{line}")
                for line, code in found if (line, code) not in unrunnable]
        run = PageRun(blocks=len(found), failures=[failure for run in runs if (failure := run.result())])
        if unrunnable:
            run.partly_skipped = (f"{len(unrunnable)} of {len(found)} blocks of {page.name} use the async client, "
                                  "which needs aiobotocore (pip install -e '.[dev]')")
        return run

    def run_block(self, page: Path, line: int, code: str, variables: dict[str, str], workdir: Path) -> str | None:
        """None when the block exits 0, else what went wrong."""
        workdir.mkdir()
        script = workdir / f"{page.stem.replace('-', '_')}_{line}.py"
        script.write_text(code)
        try:
            proc = subprocess.run([sys.executable, script.name], cwd=workdir, env=self.clean_env(variables),
                                  capture_output=True, text=True, timeout=BLOCK_TIMEOUT)
        except subprocess.TimeoutExpired:
            return f"{page.name}:{line}: still running after {BLOCK_TIMEOUT} s"
        if proc.returncode != 0:
            return f"{page.name}:{line}: exit {proc.returncode}\n{proc.stderr[-3000:]}"
        return None

    def stop(self) -> None:
        processes = [proc for env in self.environments.values() for proc in env.processes]
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args!r} exited {proc.returncode}:\n{log.read_text(errors='replace')}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{proc.args!r} did not listen on 127.0.0.1:{port} within {START_TIMEOUT} s")


PAGES_WITH_BLOCKS = [page for page in PAGES if _blocks(page)]


_PAGE_TEST = "test_every_python_block_runs_as_written"


@pytest.fixture(scope="module")
def page_runs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        dict[Path, Future[PageRun]]]:
    """Every selected page's blocks, all started at once (pages with a real analysis first: the longest)."""
    wanted = [Path(str(item.callspec.params["page"])) for item in request.session.items
              if isinstance(item, pytest.Function) and item.originalname == _PAGE_TEST]
    wanted.sort(key=lambda page: "--analyzer video" not in (_note(page) or ""))
    harness = Harness(tmp_path_factory.mktemp("home"), tmp_path_factory.mktemp("servers"))
    workdir = tmp_path_factory.mktemp("blocks")
    pages = ThreadPoolExecutor(max_workers=max(len(wanted), 1), thread_name_prefix="doc-page")
    blocks = ThreadPoolExecutor(max_workers=BLOCK_WORKERS, thread_name_prefix="doc-block")
    try:
        yield {page: pages.submit(harness.run_page, page, blocks, workdir) for page in wanted}
    finally:
        blocks.shutdown(wait=True, cancel_futures=True)
        pages.shutdown(wait=True)
        harness.stop()


def test_the_docs_have_python_blocks() -> None:
    assert len(PAGES_WITH_BLOCKS) >= 8
    assert sum(len(_blocks(page)) for page in PAGES_WITH_BLOCKS) >= 40


@pytest.mark.parametrize("page", PAGES_WITH_BLOCKS, ids=lambda p: p.name)
def test_every_python_block_runs_as_written(page: Path, page_runs: dict[Path, Future[PageRun]]) -> None:
    run = page_runs[page].result()
    if run.skipped:
        if os.environ.get("REKOTRACK_REQUIRE_SERVER_EXTRA"):  # CI installs everything: there it is a failure
            pytest.fail(run.skipped)
        pytest.skip(run.skipped)
    assert not run.failures, f"{len(run.failures)} of {run.blocks} blocks failed:\n\n" + "\n\n".join(run.failures)
    if run.partly_skipped:
        if os.environ.get("REKOTRACK_REQUIRE_SERVER_EXTRA"):
            pytest.fail(run.partly_skipped)
        pytest.skip(run.partly_skipped)


# ---- the first snippet a reader sees ---------------------------------------------------------

FIRST_SNIPPET_DOCS = [ROOT / "README.md", ROOT / "docs" / "quickstart.md"]


def _first_snippet(doc: Path) -> str:
    return _blocks(doc)[0][1].strip()


def test_readme_and_quickstart_open_with_the_same_snippet() -> None:
    first = {_first_snippet(doc) for doc in FIRST_SNIPPET_DOCS}
    assert len(first) == 1
    assert "for det in" in first.pop()


def test_first_snippet_type_checks_under_mypy_strict() -> None:
    """As a user's mypy sees it: --strict, no project config; the old promise (``bounding_box.left``) must fail."""
    from mypy import api

    # A fixed folder beside mypy's cache: the cache keys modules by name, so a new path each run would
    # be answered with the errors (and paths) cached for the old one.
    tmp_path = ROOT / ".mypy_cache" / "doc-snippets-src"
    tmp_path.mkdir(parents=True, exist_ok=True)
    good = tmp_path / "first_snippet.py"
    good.write_text(_first_snippet(ROOT / "README.md") + "\n")
    bad = tmp_path / "unchecked_box.py"
    bad.write_text(
        "from rekotrack import PersonTracker\n\n"
        "for det in PersonTracker().start('s3://bucket/clip.mp4').persons():\n"
        "    print(det.person.bounding_box.left)\n"
    )
    sort = tmp_path / "bad_sort.py"  # enum parameters are Literal types: a wrong value is a type error
    sort.write_text(
        "from rekotrack import PersonTracker\n\n"
        "PersonTracker().persons('job', sort_by='CONFIDENCE')\n"
    )
    (tmp_path / "mypy.ini").write_text("[mypy]\n")
    out, err, _ = api.run(["--strict", "--config-file", str(tmp_path / "mypy.ini"),
                           "--cache-dir", str(ROOT / ".mypy_cache" / "doc-snippets"), str(good), str(bad), str(sort)])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert errors, out + err  # the check can fail ...
    failing = {Path(line.split(":", 1)[0]).name for line in errors}
    assert failing == {bad.name, sort.name}, out  # ... and the snippet passes it
    assert any('"None" of "BoundingBox | None" has no attribute "left"' in line for line in errors), out
    assert any(Path(line.split(":", 1)[0]).name == sort.name and "'CONFIDENCE'" in line for line in errors), out


@pytest.mark.parametrize("doc", FIRST_SNIPPET_DOCS, ids=lambda p: p.name)
def test_first_snippet_runs_on_face_only_and_boxless_detections(
    doc: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from rekotrack.testing import LocalRekognition, SyntheticScene

    scene = SyntheticScene(seed=5, people=4, duration_ms=30_000, face_rate=0.6, face_only_rate=0.5)
    truth = list(scene.ground_truth())
    boxed = [d for d in truth if "BoundingBox" in d["Person"]]
    assert 0 < len(boxed) < len(truth)  # the scene has detections without a person box
    with LocalRekognition(job_seconds=0.0) as server:
        server.add_video("s3://bucket/clip.mp4", scene)
        for name, value in {"AWS_ENDPOINT_URL_REKOGNITION": server.url, "AWS_DEFAULT_REGION": "us-east-1",
                            "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}.items():
            monkeypatch.setenv(name, value)
        exec(compile(_first_snippet(doc), str(doc), "exec"), {"__name__": "snippet"})
    printed = capsys.readouterr().out.splitlines()
    expected = []
    for d in boxed:
        box = d["Person"]["BoundingBox"]
        expected.append(f"{d['Timestamp']} {d['Person']['Index']} {box['Left']} {box['Top']} {box['Width']} "
                        f"{box['Height']}")
    assert printed == expected
