"""`smetslab serve`: the browser workbench (FastAPI + uvicorn) on 127.0.0.1 with a fresh access token.

Like a notebook server it prints its URL with a token; every page and API call needs it. Listening on
another address needs ``--allow-remote`` and prints a warning (the token then crosses the network in
clear text unless a TLS proxy is put in front).
"""

from __future__ import annotations

import ipaddress
import secrets
import socket
import sys
from pathlib import Path

import typer

from smetslab.errors import InputError

__all__ = ["register", "serve", "is_loopback"]

DEFAULT_PORT = 8765
KEEP_ALIVE_S = 75


def register(root: typer.Typer) -> None:
    root.command("serve")(serve)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback unless --allow-remote)."),
    port: int = typer.Option(DEFAULT_PORT, "--port", min=0, max=65535, help="TCP port (0 = any free port)."),
    workspace: Path = typer.Option(Path("smetslab-workspace"), "--workspace",
                                   help="Folder for runs (kept across restarts)."),
    keystore: Path | None = typer.Option(None, "--keystore", help="Also offer this key folder to the GBCS and "
                                         "UTRN tools (e.g. ../shared/gbcs-rtds/keystore); a generated test PKI "
                                         "is always offered."),
    stories: Path | None = typer.Option(None, "--stories", help="Folder of example stories (default: the "
                                        "checkout's examples/stories)."),
    allow_remote: bool = typer.Option(False, "--allow-remote", help="Allow a --host that is not loopback."),
    max_body: int = typer.Option(2 * 1024 * 1024, "--max-body", min=1024, help="Largest request body, bytes."),
    max_runs: int = typer.Option(1, "--max-runs", min=1, max=16, help="Compare runs computed at once."),
    max_queued: int = typer.Option(8, "--max-queued", min=1, max=1000, help="Compare runs queued or running at "
                                   "once; more are refused (HTTP 429)."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes per compare run (1 = in-process)."),
    no_resume: bool = typer.Option(False, "--no-resume", help="Mark runs interrupted by a restart as "
                                   "'interrupted' instead of resuming them."),
) -> int:
    """Serve the browser workbench: Compare, Premises and GBCS tools pages and the REST API under /api/."""
    if not is_loopback(host) and not allow_remote:
        raise InputError(f"--host {host!r}: not a loopback address; add --allow-remote to listen on it "
                         f"(anyone who can reach it and has the token can run and use keys)")
    if keystore is not None and not keystore.is_dir():
        raise InputError(f"--keystore {str(keystore)!r}: not a directory; pass a key folder")
    if stories is not None and not stories.is_dir():
        raise InputError(f"--stories {str(stories)!r}: not a directory; pass a folder of story YAML files")
    try:
        import uvicorn

        from smetslab.interfaces.web import Settings, create_app
    except ImportError as exc:
        raise InputError(f"smetslab serve needs the web extra ({exc.name} is missing): "
                         f"pip install 'smetslab[web]'") from None
    if workspace.exists() and not workspace.is_dir():
        raise InputError(f"--workspace {str(workspace)!r}: is a file, expected a folder")
    token = secrets.token_urlsafe(24)
    settings = Settings(workspace=workspace.resolve(), token=token, keystore_dir=keystore, stories_dir=stories,
                        max_body_bytes=max_body, max_concurrent_runs=max_runs, max_queued_runs=max_queued,
                        workers=workers, resume_interrupted=not no_resume)
    app = create_app(settings)
    # keep-alive well above uvicorn's 5 s: under load a client may reuse an idle connection just as the
    # server closes it, and the request fails with a reset (seen in bench/serve_bench.py at 32 clients)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False,
                            timeout_keep_alive=KEEP_ALIVE_S)
    server = uvicorn.Server(config)
    if not is_loopback(host):
        print(f"warning: listening on {host}, not loopback: anyone who can reach it and has the token can run "
              f"compare runs and use the server's keys; the token travels in clear text without TLS",
              file=sys.stderr)

    shown_host = f"[{host}]" if ":" in host else host

    def announce() -> None:
        bound = port
        for s in server.servers:
            for sock in s.sockets:
                bound = sock.getsockname()[1]
        print(f"smetslab workbench on http://{shown_host}:{bound}/?token={token}", flush=True)
        print(f"workspace {settings.workspace} · Ctrl-C to stop", flush=True)

    orig_startup = server.startup

    async def startup(sockets: list[socket.socket] | None = None) -> None:
        await orig_startup(sockets=sockets)
        announce()

    server.startup = startup  # type: ignore[method-assign]
    server.run()
    return 0
