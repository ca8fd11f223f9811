"""The README (and the docs' quick starts) run verbatim, so they cannot drift from the code (issue 7).

Every ```bash and ```console block is extracted and run with bash, in order, from the root of a temporary
copy of the repository that has ``../shared`` beside it (a symlink to the real one), as a new user would on a
fresh clone. Rules:

- In a console block, a line starting with ``$ `` is a command (a trailing backslash continues it on the next
  line); every other line is output, not a command. Output lines are checked: each one without an ellipsis
  (``…``, an elision) must appear in what the command printed, and a command whose shown output starts
  with ``error:`` must fail (exit 1 or 2) while every other command must succeed.
- ``smetslab serve`` lines are never run: the server never ends by itself.
- ``pip install ...`` is not run (it would change the environment every other test uses); the extras it
  names must exist in pyproject.toml. ``pytest`` is not run either: it is what is running this.
- The national run, the local Dask cluster and the benchmarks take minutes on a shared 2-core machine, so
  they run only in the slow variant (``pytest tests/test_readme.py -m slow``), which also runs the docs'
  quick starts (docs/compare.md, report.md, stories.md); the rest of the README runs in CI.

The commands write under ``runs/`` in the copy (the README says so; git ignores it); the checkout itself is
never written to. The copy leaves out ``.git``; a fresh clone has its history, so the commands see this
repository's through ``GIT_DIR`` (only read: ``bench/premises_speedup.py --before <commit>`` runs ``git archive``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DOCUMENTS = ("README.md", "docs/compare.md", "docs/report.md", "docs/stories.md")
"""In the order they are run: docs/report.md re-reports the run the README made."""

SLOW = ("gb-national", "--scheduler", "bench/")
NEVER = ("smetslab serve",)
_FENCE = re.compile(r"^```(bash|console)\s*\n(.*?)^```\s*$", re.S | re.M)


@dataclass
class Command:
    source: str  # file:line, for the failure message
    text: str
    expected: list[str]


def extract(markdown: str, source: str) -> list[Command]:
    """The commands of every bash/console block of ``markdown``, with the output lines shown under them."""
    out: list[Command] = []
    for m in _FENCE.finditer(markdown):
        kind, body = m.group(1), m.group(2)
        first_line = markdown[: m.start()].count("\n") + 2
        lines = body.splitlines()
        i = 0
        while i < len(lines):
            line = lines[i]
            where = f"{source}:{first_line + i}"
            is_command = line.strip() != "" if kind == "bash" else line.startswith("$ ")
            if not is_command:
                if out and kind == "console":
                    out[-1].expected.append(line)
                i += 1
                continue
            text = line[2:] if kind == "console" else line
            while text.rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text.rstrip()[:-1].rstrip() + " " + lines[i].strip()
            out.append(Command(where, text.strip(), []))
            i += 1
    return out


def runnable(cmd: str) -> str | None:
    """The part of a command line this test runs (None: nothing), by the rules in the module docstring."""
    if any(n in cmd for n in NEVER):
        return None
    parts = []
    for part in re.split(r"\s*&&\s*", cmd):
        words = part.split()
        if words[:2] == ["pip", "install"]:
            _check_extras(part)
            continue
        if words[:1] == ["pytest"]:
            continue
        parts.append(part)
    return " && ".join(parts) or None


def _check_extras(pip_line: str) -> None:
    extras = re.findall(r"\.\[([a-z0-9_,-]+)\]", pip_line)
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for group in extras:
        for extra in group.split(","):
            assert extra in declared, f"{pip_line!r}: extra {extra!r} is not in pyproject.toml"


def _commands(slow: bool) -> list[Command]:
    """CI: the README without its slow lines. The slow variant: every line of the README and the docs."""
    cmds = []
    for doc in DOCUMENTS if slow else DOCUMENTS[:1]:
        for c in extract((ROOT / doc).read_text(encoding="utf-8"), doc):
            if slow or not any(s in c.text for s in SLOW):
                cmds.append(c)
    return cmds


@pytest.fixture
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (SHARED / "gbcs-rtds").is_dir():
        pytest.skip("the README's GBCS commands need ../shared/gbcs-rtds beside the checkout")
    base = tmp_path_factory.mktemp("readme")
    repo = base / "repo"
    ignore = shutil.ignore_patterns(".git", "runs", "compare-*", "__pycache__", ".mypy_cache", ".ruff_cache",
                                    ".pytest_cache", ".hypothesis", ".benchmarks", "*.duckdb", "*.egg-info")
    shutil.copytree(ROOT, repo, ignore=ignore, symlinks=True)
    (base / "shared").symlink_to(SHARED)
    return repo


def _run_all(clone: Path, commands: list[Command]) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(clone / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.pop("COLUMNS", None)
    git_dir = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--absolute-git-dir"],
                             capture_output=True, text=True)
    if git_dir.returncode == 0:
        env["GIT_DIR"] = git_dir.stdout.strip()
    before = {p.name for p in clone.iterdir()}
    ran = 0
    for c in commands:
        text = runnable(c.text)
        if text is None:
            continue
        proc = subprocess.run(["bash", "-c", f"set -o pipefail; {text}"], cwd=clone, env=env,
                              capture_output=True, text=True, timeout=900)
        printed = proc.stdout + proc.stderr
        shown = [ln for ln in c.expected if ln.strip() and "…" not in ln]
        if shown and shown[0].startswith("error:"):
            assert proc.returncode in (1, 2), f"{c.source}: {text!r} should fail, exit {proc.returncode}\n{printed}"
        else:
            assert proc.returncode == 0, f"{c.source}: {text!r} exit {proc.returncode}\n{printed[-2000:]}"
        assert "Traceback" not in printed, f"{c.source}: {text!r}\n{printed}"
        got = {ln.strip() for ln in printed.splitlines()}
        for ln in shown:
            assert ln.strip() in got, f"{c.source}: {text!r} did not print {ln.strip()!r}\n{printed[-2000:]}"
        ran += 1
    assert ran > 0
    # outputs go where the README says: runs/ (git-ignored), or compare's own compare-<scenario>-<date-time>
    stray = sorted(n for n in {p.name for p in clone.iterdir()} - before if n != "runs" and not n.startswith("compare-"))
    assert not stray, f"the README's commands wrote into the checkout: {stray}"


def test_extract_reads_console_blocks_as_commands_and_output():
    md = ("text\n```console\n$ smetslab a \\\n      --b 1\nout line\n$ smetslab c\nerror: x\n```\n"
          "```bash\nsmetslab d   # comment\n\npip install '.[dask]' && smetslab e\n```\n```python\nnot = run\n```\n")
    cmds = extract(md, "md")
    assert [(c.text, c.expected) for c in cmds] == [
        ("smetslab a --b 1", ["out line"]), ("smetslab c", ["error: x"]), ("smetslab d   # comment", []),
        ("pip install '.[dask]' && smetslab e", [])]
    assert runnable("pip install . && smetslab compare") == "smetslab compare"
    assert runnable("pip install -e '.[test]' && pytest") is None
    assert runnable("smetslab serve --port 8000") is None
    with pytest.raises(AssertionError):
        runnable("pip install '.[nonexistent]' && smetslab compare")


def test_first_screen_has_two_setup_commands_and_says_python_311():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme[: readme.index("\n---")]
    (block,) = [m.group(2) for m in _FENCE.finditer(first)]
    assert [ln.split("#")[0].strip() for ln in block.splitlines() if ln.strip()] == [
        "pip install . && smetslab compare", "pip install -e '.[test]' && pytest"]
    assert "Python ≥ 3.11" in first
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert requires == ">=3.11"


def test_readme_and_quick_starts_run_verbatim(clone):
    _run_all(clone, _commands(slow=False))


@pytest.mark.slow
def test_readme_slow_commands_run_verbatim(clone, request):
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("minutes on a shared machine: pytest tests/test_readme.py -m slow")
    _run_all(clone, _commands(slow=True))
