"""`smetslab serve` on the command line: loopback by default, a printed URL with a fresh token, and a
refusal (exit 2, one line) for another host without --allow-remote."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from web_helpers import REPO

from smetslab.interfaces.cli import main
from smetslab.interfaces.commands.serve import is_loopback


@pytest.mark.parametrize(("host", "loopback"), [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True),
                                                ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False),
                                                ("example.org", False), ("::", False)])
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_another_host_needs_allow_remote(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["serve", "--host", "0.0.0.0", "--workspace", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'0.0.0.0'" in err and "--allow-remote" in err


@pytest.mark.parametrize("flag", ["--keystore", "--stories"])
def test_missing_folders_are_named(capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: str) -> None:
    assert main(["serve", flag, str(tmp_path / "nope"), "--workspace", str(tmp_path)]) == 2
    assert flag in capsys.readouterr().err


def test_serve_prints_a_url_with_a_fresh_token_that_the_api_requires(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    tokens = []
    for _ in range(1):
        proc = subprocess.Popen([sys.executable, "-m", "smetslab", "serve", "--port", "0", "--workspace",
                                 str(tmp_path / "ws")], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env)
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            assert line.startswith("smetslab workbench on http://127.0.0.1:"), line
            url, token = line.split()[-1].split("/?token=")
            assert len(token) >= 32
            tokens.append(token)
            assert httpx.get(f"{url}/api/health").status_code == 401
            ok = httpx.get(f"{url}/api/health", headers={"Authorization": f"Bearer {token}"})
            assert ok.status_code == 200 and ok.json()["workspace"] == str((tmp_path / "ws").resolve())
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    from smetslab.interfaces.web import Settings

    fresh = {Settings(workspace=tmp_path).token for _ in range(3)}
    assert len(fresh) == 3 and tokens[0] not in fresh  # a fresh token each start
