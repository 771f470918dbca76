"""What installing rekotrack gives: a cheap import, a cheap pytest plugin, and a wheel and sdist with their metadata."""

from __future__ import annotations

import ast
import email
import importlib
import importlib.util
import re
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from email.message import Message
from pathlib import Path

import pytest

import rekotrack

ROOT = Path(__file__).resolve().parents[1]
INIT = ROOT / "src" / "rekotrack" / "__init__.py"
GENERATED_PUBLIC = ROOT / "src" / "rekotrack" / "_generated" / "public.py"


# ---- the lazy public surface ----------------------------------------------------------------


def _imports(statements: list[ast.stmt]) -> dict[str, str]:
    found: dict[str, str] = {}
    for statement in statements:
        assert isinstance(statement, ast.ImportFrom)
        if statement.names[0].name == "*":  # the generated names: every import of rekotrack/_generated/public.py
            assert statement.module == "_generated.public"
            generated = ast.parse(GENERATED_PUBLIC.read_text()).body
            found.update(_imports([s for s in generated if isinstance(s, ast.ImportFrom) and s.module != "__future__"]))
            continue
        for alias in statement.names:
            module = "." * statement.level + (statement.module or "")
            found[alias.asname or alias.name] = module.removeprefix("rekotrack")
    return found


def _type_checking_imports() -> dict[str, str]:
    """Public name -> module, as imported under ``if TYPE_CHECKING:`` in rekotrack/__init__.py."""
    found: dict[str, str] = {}
    for node in ast.parse(INIT.read_text()).body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            found.update(_imports(node.body))
    return found


def test_lazy_table_type_checking_imports_and_all_agree() -> None:
    lazy = {name: module for module, names in rekotrack._LAZY.items() for name in names}
    assert _type_checking_imports() == lazy
    assert set(rekotrack.__all__) == set(lazy) | {"__version__"}
    assert len(rekotrack.__all__) == len(set(rekotrack.__all__))


def test_every_public_name_resolves_to_its_module() -> None:
    for name in rekotrack.__all__:
        value = getattr(rekotrack, name)
        if name == "__version__":
            continue
        module = importlib.import_module(rekotrack._MODULE_OF[name], "rekotrack")
        assert getattr(module, name) is value
    assert set(rekotrack.__all__) <= set(dir(rekotrack))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchName'"):
        _ = rekotrack.NoSuchName  # type: ignore[attr-defined]


def _imported_after(code: str) -> set[str]:
    """Top-level packages (and rekotrack submodules) in sys.modules after running ``code`` in a fresh interpreter."""
    probe = textwrap.dedent(code) + textwrap.dedent(
        """
        import sys
        print("\\n".join(sorted(sys.modules)))
        """
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60).stdout
    return {name if name.startswith("rekotrack") else name.split(".")[0] for name in out.split()}


def test_import_rekotrack_imports_nothing_heavy() -> None:
    loaded = _imported_after("import rekotrack")
    for heavy in ("asyncio", "aiobotocore", "boto3", "botocore", "pydantic", "tenacity", "rekotrack._aio"):
        assert heavy not in loaded, heavy


def test_the_sync_client_does_not_import_the_async_one() -> None:
    loaded = _imported_after("from rekotrack import PersonTracker, TrackingResult")
    assert "aiobotocore" not in loaded
    assert "asyncio" not in loaded  # ~46 ms: the retry module imports it only in the async paths
    assert not any(name.startswith("rekotrack._aio") for name in loaded)


def test_a_sync_tracker_in_use_loads_no_asyncio() -> None:
    loaded = _imported_after(
        """
        from rekotrack import PersonTracker, RetryPolicy
        tracker = PersonTracker(region_name="us-east-1", retry=RetryPolicy(max_attempts=2))
        tracker.client.meta.region_name
        """
    )
    assert "asyncio" not in loaded
    assert "aiobotocore" not in loaded


def test_cli_help_and_version_import_nothing_heavy() -> None:
    for argv in (["--version"], ["--help"], ["get", "--help"]):
        loaded = _imported_after(
            f"""
            import contextlib, io
            from rekotrack._cli import main
            with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
                main({argv!r})
            """
        )
        for heavy in ("boto3", "botocore", "pydantic", "tqdm", "rekotrack.testing", "rekotrack._synthetic"):
            assert heavy not in loaded, (argv, heavy)


def test_async_names_import_the_async_client_when_used() -> None:
    loaded = _imported_after("from rekotrack import AsyncPersonTracker")
    assert "rekotrack._aio" in loaded


# ---- the pytest plugin ----------------------------------------------------------------------


def test_pytest_plugin_loads_without_server_boto3_or_pydantic(tmp_path: Path) -> None:
    (tmp_path / "test_probe.py").write_text(
        textwrap.dedent(
            """
            import sys

            def test_nothing_heavy_at_collection():
                heavy = {"boto3", "botocore", "pydantic", "rekotrack.testing", "rekotrack._synthetic",
                         "rekotrack._models"}
                assert not heavy & set(sys.modules), heavy & set(sys.modules)
                assert "rekotrack.pytest_plugin" in sys.modules

            def test_the_fixture_still_works(local_rekognition):
                assert local_rekognition.url.startswith("http://127.0.0.1:")
            """
        )
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 passed" in proc.stdout


def test_plugin_is_registered_under_the_rekotrack_name() -> None:
    from importlib.metadata import entry_points

    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "rekotrack"]
    assert plugin.value == "rekotrack.pytest_plugin"


# ---- wheel and sdist ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    for needed in ("build", "hatchling", "hatch_fancy_pypi_readme"):
        if importlib.util.find_spec(needed) is None:
            pytest.skip(f"{needed} is not installed (it is in the dev extra)")
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   capture_output=True, text=True, check=True, timeout=600)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def _wheel_metadata(wheel: Path) -> tuple[list[str], Message]:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return names, email.message_from_bytes(archive.read(meta))


def test_wheel_carries_license_notice_and_models(built: dict[str, Path]) -> None:
    names, _ = _wheel_metadata(built["wheel"])
    licenses = {n.split(".dist-info/licenses/", 1)[1] for n in names if ".dist-info/licenses/" in n}
    assert {"LICENSE", "NOTICE"} <= licenses
    assert "rekotrack/py.typed" in names
    assert "rekotrack/pytest_plugin.py" in names
    with zipfile.ZipFile(built["wheel"]) as archive:
        license_text = archive.read(next(n for n in names if n.endswith(".dist-info/licenses/LICENSE"))).decode()
    assert "Apache License" in license_text
    assert "Version 2.0, January 2004" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text  # the full text, not a pointer to it


def test_sdist_carries_license_and_notice(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "NOTICE", "README.md", "pyproject.toml", "src/rekotrack/__init__.py"} <= names
    assert not any(name.startswith((".venv/", ".git/")) for name in names)


def test_wheel_metadata_is_complete(built: dict[str, Path]) -> None:
    _, meta = _wheel_metadata(built["wheel"])
    assert meta["Name"] == "rekotrack"
    assert meta["Version"] == rekotrack.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert set(meta.get_all("License-File") or []) >= {"LICENSE", "NOTICE"}
    assert meta["Requires-Python"] == ">=3.10"
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL") or [])
    assert {"Homepage", "Documentation", "Source", "Issues"} <= set(urls)
    classifiers = set(meta.get_all("Classifier") or [])
    assert {f"Programming Language :: Python :: 3.{minor}" for minor in (10, 11, 12, 13)} <= classifiers
    assert "Typing :: Typed" in classifiers
    extras = set(meta.get_all("Provides-Extra") or [])
    assert {"async", "dev", "pandas", "plot", "server"} <= extras


def test_readme_on_the_index_page_has_only_absolute_links(built: dict[str, Path]) -> None:
    _, meta = _wheel_metadata(built["wheel"])
    description = meta.get_payload()
    assert isinstance(description, str)
    assert meta["Description-Content-Type"] == "text/markdown"
    links = re.findall(r"\]\(([^)]+)\)", description)
    assert links, "the README links to its docs"
    relative = [link for link in links if not link.startswith(("https://", "http://", "#"))]
    assert relative == []
    source = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL") or [])["Source"]
    assert all(link.startswith(source) for link in links if "docs/" in link)
