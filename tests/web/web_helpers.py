"""Helpers for the workbench tests (imported by conftest.py and the test modules)."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from smetslab.interfaces.web import Settings, create_app

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



def screenshot(pg: Any, name: str, focus: str = "header.top, main h1") -> Path:
    """Save the viewport, scrolled to ``focus`` (default: the top of the page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"serve-{name}.png"
    top = pg.locator(focus).first
    if top.count():
        top.scroll_into_view_if_needed()  # the page from its top (a click may have scrolled it)
    pg.screenshot(path=str(path), full_page=False)
    return path
