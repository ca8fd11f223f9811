"""bench/premises_speedup.py's --before/--after: a checkout folder or a commit of this clone, and one-line refusals."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _bench():
    spec = importlib.util.spec_from_file_location("premises_speedup", ROOT / "bench" / "premises_speedup.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_commit_is_exported_into_a_temporary_checkout_and_removed_afterwards():
    if subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode != 0:
        pytest.skip("not a git clone")
    b = _bench()
    with ExitStack() as stack:
        tree = b._tree("--before", "HEAD", stack)
        assert tree != ROOT and (tree / "src" / "smetslab" / "__init__.py").is_file()
        assert (tree / "bench" / "premises_bench.py").is_file()
    assert not tree.exists()


def test_a_folder_is_used_as_it_is():
    with ExitStack() as stack:
        assert _bench()._tree("--after", str(ROOT), stack) == ROOT


@pytest.mark.parametrize(("given", "says"), [
    ("no-such-commit-or-folder", "neither a folder nor a commit of this clone"),
    ("docs", "not a smetslab checkout"),
])
def test_refusals_name_the_option_and_the_value(given, says):
    b = _bench()
    with ExitStack() as stack, pytest.raises(b.BenchError) as exc:
        b._tree("--before", str(ROOT / given) if given == "docs" else given, stack)
    assert str(exc.value).startswith("--before '") and says in str(exc.value)


def test_the_command_line_refuses_in_one_line_with_exit_2():
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "premises_speedup.py"), "--before", "nope"],
                          capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: --before 'nope':"), proc.stderr
