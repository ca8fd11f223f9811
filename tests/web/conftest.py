"""Fixtures for the workbench: an app per test (TestClient), a live uvicorn server on 127.0.0.1 on a free
port, and a headless Chromium from the system packages driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the web extra (fastapi) is not installed: pip install -e '.[test]'")

from fastapi.testclient import TestClient  # noqa: E402

from smetslab.interfaces.web import Settings, create_app  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RTDS_DIR = Path(os.environ.get("SMETSLAB_RTDS", REPO.parent / "shared" / "gbcs-rtds"))


def rtds_available() -> bool:
    return (RTDS_DIR / "index.csv").is_file() and (RTDS_DIR / "keystore").is_dir()


SCREENSHOTS = Path(os.environ.get("SMETSLAB_SCREENSHOTS", REPO / "build" / "screenshots"))
"""Where the browser tests save each page's screenshot (CI keeps them as artefacts)."""

KEYSTORE_SEED = 11


def small_scenario(client: TestClient, headers: dict[str, str], **changes: Any) -> dict[str, Any]:
    """gb-default cut down to 8,192 premises x 2 replicates and four options (a run takes ~1 s)."""
    data: dict[str, Any] = client.get("/api/scenarios/gb-default", headers=headers).json()["scenario"]
    data.update(premises=8192, replicates=2, sensitivity=[],
                options=["baseline", "secmp0037", "hub_button", "secmp0032"], name="small")
    data.update(changes)
    return data


def make_settings(workspace: Path, **kw: Any) -> Settings:
    return Settings(workspace=workspace, keystore_dir=(RTDS_DIR / "keystore") if rtds_available() else None,
                    stories_dir=REPO / "examples" / "stories", keystore_seed=KEYSTORE_SEED, **kw)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "ws")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.fixture
def auth(settings: Settings) -> dict[str, str]:
    return {"Authorization": f"Bearer {settings.token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, settings: Settings) -> None:
        import uvicorn

        self.settings = settings
        self.port = free_port()
        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        end = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > end:
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(make_settings(tmp_path_factory.mktemp("live-ws"))) as srv:
        yield srv


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no system Chromium on PATH (install Debian's 'chromium'; .ci/run does) - browser tests skipped")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (test extra)")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    pg.js_errors = errors
    try:
        yield pg
    finally:
        ctx.close()


def screenshot(pg: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"serve-{name}.png"
    pg.screenshot(path=str(path), full_page=False)
    return path
