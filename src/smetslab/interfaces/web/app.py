"""The FastAPI application of ``smetslab serve``: pages, REST API, token, CSP, limits.

Security model (docs/serve.md): the server binds to 127.0.0.1 unless told otherwise and prints a URL
carrying a fresh random token. Every page and every API call needs that token (a ``Bearer`` header,
an ``X-Smetslab-Token`` header, or the ``SameSite=Strict`` HttpOnly cookie a page visit with
``?token=`` sets); only the static assets (scripts, styles, fonts: nothing secret) are served without
it. Every response carries a strict Content-Security-Policy: scripts, styles and fonts only from this
server, no inline script, no third-party origin. Keys stay on the server: the API returns verdicts,
public identifiers and certificates, never a private key.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from smetslab import __version__
from smetslab.errors import InputError, SmetslabError
from smetslab.interfaces.web.runs import LimitReached, NotFound, RunManager

__all__ = ["Settings", "create_app", "CSP", "TOKEN_COOKIE"]

TOKEN_COOKIE = "smetslab_token"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; frame-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
"""The pages' policy: nothing inline, nothing from another origin."""

REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'self'"
"""The stored report.html is one self-contained file with an inline <style> and inline SVG, and no
script: it is served with its own policy that allows those styles and nothing else (no script at all)."""

_PUBLIC_PREFIXES = ("/static/",)
_PAGES = {"/": "index.html", "/compare": "compare.html", "/premises": "premises.html", "/gbcs": "gbcs.html"}

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Settings:
    """What ``smetslab serve`` configures; tests build one directly."""

    workspace: Path
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    keystore_dir: Path | None = None  # e.g. the RTDS keystore; the generated test PKI is always offered
    stories_dir: Path | None = None
    max_body_bytes: int = 2 * 1024 * 1024
    max_concurrent_runs: int = 1
    max_queued_runs: int = 8
    max_premises_runs: int = 2
    workers: int | None = 1
    resume_interrupted: bool = True
    keystore_seed: int | None = None  # a seeded test PKI (tests); None draws fresh keys


def _json_error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


class BodyLimit:
    """Refuse request bodies above ``limit`` bytes with 413, by Content-Length and while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.limit:
            await self._refuse(scope, receive, send, int(length))
            return
        # read the body here, so an over-long one without a Content-Length (chunked) is refused with 413 too,
        # before any handler sees it; bodies are small (JSON, at most --max-body), so buffering is cheap
        messages: list[Message] = []
        seen = 0
        while True:
            msg = await receive()
            messages.append(msg)
            if msg["type"] != "http.request":
                break
            seen += len(msg.get("body", b""))
            if seen > self.limit:
                await self._refuse(scope, receive, send, seen)
                return
            if not msg.get("more_body", False):
                break
        replay = iter(messages)

        async def replayed() -> Message:
            nxt = next(replay, None)
            return nxt if nxt is not None else await receive()

        await self.app(scope, replayed, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, size: int) -> None:
        resp = _json_error(413, f"request body: {size} bytes or more; at most {self.limit} bytes are allowed "
                                f"(smetslab serve --max-body)")
        _secure(resp)
        await resp(scope, receive, send)


_SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                     (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"SAMEORIGIN"),
                     (b"cache-control", b"no-store")]


class TokenGuard:
    """The token check and the security headers, as plain ASGI (no per-request Request/Response copies).

    Everything but /static/ needs the token; a page visit with ``?token=`` moves it into the cookie;
    a state-changing request whose Origin is another site is refused."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if not path.startswith(_PUBLIC_PREFIXES):
            request = Request(scope)
            refusal = self._check(request, path)
            if refusal is not None:
                _secure(refusal)
                await refusal(scope, receive, send)
                return

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in _SECURITY_HEADERS if k not in names]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_secured)

    def _check(self, request: Request, path: str) -> Response | None:
        given = _token_of(request)
        if given is None or not secrets.compare_digest(given.encode(), self.token):
            if path.startswith("/api/"):
                return _json_error(401, "missing or wrong access token; send 'Authorization: Bearer TOKEN' "
                                        "with the token smetslab serve printed")
            return HTMLResponse(_REFUSED, status_code=403)
        if "token" in request.query_params and request.method == "GET" and not path.startswith("/api/"):
            # move the token from the URL into a cookie, so it leaves the address bar and history
            resp = RedirectResponse(path, status_code=303)
            resp.set_cookie(TOKEN_COOKIE, self.token.decode(), httponly=True, samesite="strict", path="/")
            return resp
        origin = request.headers.get("origin")
        if request.method not in ("GET", "HEAD") and origin is not None and \
                origin.split("://", 1)[-1] != request.headers.get("host"):
            return _json_error(403, f"origin {origin!r}: cross-site requests are refused")
        return None


def _token_of(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return (request.headers.get("x-smetslab-token") or request.cookies.get(TOKEN_COOKIE)
            or request.query_params.get("token"))


def _template(name: str) -> str:
    return (resources.files("smetslab.interfaces.web") / "templates" / name).read_text(encoding="utf-8")


_REFUSED = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>smetslab: access refused</title>
<link rel="stylesheet" href="/static/app.css"></head><body><main class="refused"><h1>Access refused</h1>
<p id="refused">This smetslab workbench needs its access token. Open the URL that <code>smetslab serve</code>
printed when it started (it ends in <code>?token=…</code>).</p></main></body></html>"""


def create_app(settings: Settings) -> FastAPI:
    """The workbench application for one workspace."""
    from smetslab.interfaces.web import api_compare, api_premises, api_tools

    settings.workspace.mkdir(parents=True, exist_ok=True)
    runs = RunManager(settings.workspace, max_concurrent=settings.max_concurrent_runs,
                      max_queued=settings.max_queued_runs, workers=settings.workers,
                      resume_interrupted=settings.resume_interrupted)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> Any:
        yield
        runs.shutdown()

    app = FastAPI(title="smetslab workbench API", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  description="Everything the smetslab serve pages do. Every call needs the access token "
                              "(Authorization: Bearer TOKEN).")
    app.state.settings = settings
    app.state.runs = runs
    app.state.tools = api_tools.Tools(settings)
    app.state.premises = api_premises.PremisesRuns(settings)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p != "body"]
            fld = ".".join(loc) or "body"
            value = e.get("input")
            shown = None if isinstance(value, dict | list) else value
            errors.append({"field": fld, "value": shown, "message": str(e.get("msg", ""))})
        first = errors[0] if errors else {"field": "body", "value": None, "message": "invalid"}
        val = "" if first["value"] is None else f" = {first['value']!r}"
        return _json_error(422, f"{first['field']}{val}: {first['message']}", errors=errors)

    @app.exception_handler(LimitReached)
    async def limit(_request: Request, exc: LimitReached) -> JSONResponse:
        return _json_error(429, str(exc))

    @app.exception_handler(SmetslabError)
    async def bad_input(_request: Request, exc: SmetslabError) -> JSONResponse:
        if isinstance(exc, NotFound):
            return _json_error(404, str(exc))
        return _json_error(422 if isinstance(exc, InputError) or exc.exit_code == 2 else 400, str(exc))

    for path, page in _PAGES.items():
        app.add_api_route(path, _page(page), methods=["GET"], include_in_schema=False,
                          response_class=HTMLResponse)

    app.include_router(api_compare.router)
    app.include_router(api_premises.router)
    app.include_router(api_tools.router)

    @app.get("/api/health", tags=["server"])
    def health() -> dict[str, Any]:
        """Version, workspace and limits of this server; the risk register's scoring methods."""
        from smetslab.risk import METHODS

        return {"version": __version__, "workspace": str(settings.workspace), "runs_active": runs.active(),
                "limits": {"max_body_bytes": settings.max_body_bytes,
                           "max_concurrent_runs": settings.max_concurrent_runs,
                           "max_queued_runs": settings.max_queued_runs,
                           "max_premises_runs": settings.max_premises_runs},
                "risk_methods": list(METHODS)}

    static = resources.files("smetslab.interfaces.web") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    app.add_middleware(TokenGuard, token=settings.token)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)  # outermost: before anything reads the body
    return app


def _secure(resp: Response) -> None:
    resp.headers["content-security-policy"] = CSP
    resp.headers["x-content-type-options"] = "nosniff"
    resp.headers["referrer-policy"] = "no-referrer"
    resp.headers["x-frame-options"] = "SAMEORIGIN"
    resp.headers["cache-control"] = "no-store"


def _page(name: str) -> Callable[[], HTMLResponse]:
    def page() -> HTMLResponse:
        return HTMLResponse(_template(name))
    page.__name__ = f"page_{name.split('.')[0]}"
    return page


def json_dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), default=str)
