"""The dispatch API of a running wall: FastAPI served by uvicorn in a thread (no Qt here).

Off unless the wall is started with `--api`. It listens on 127.0.0.1 by default
(`--api-bind HOST:PORT` to change it) and every request, the OpenAPI document and /metrics
included, needs `Authorization: Bearer <token>`, the token being the content of a file that
only the user can read (`load_token`: created with mode 600 when missing, refused when
anyone else may read it).

Threads: uvicorn runs its own event loop in the thread "nazar-api". A handler never touches
the wall: it hands a function to the `Gateway` (the GUI thread runs it between two paints,
`widgets.api_host.GuiGateway`) and awaits the result, at most `call_timeout_s`; the GUI thread
never waits for the API. Every change is a wall command run through
`app.dispatch.Dispatcher`, recorded in the audit log as "api:<caller>@<address>".

Errors, always as JSON `{"error": "..."}` and never disturbing the wall: bad JSON, a wrong
type or an unknown field 400; no or a wrong token 401; an unknown camera, incident or site
404; a command the wall refuses 409; a body over `max_body_bytes` 413; more than `rate` a
second (burst `burst`) from one address 429; the wall not answering in time 503.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from fastapi import FastAPI, Path as PathParam, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.cap import MAX_BYTES as CAP_MAX_BYTES
from app.cap import CapError
from app.commands import CommandError, NotFound
from app.dispatch import Dispatcher
from app.layouts import LAYOUTS
from app.metrics import WallMetrics
from app.private_files import PrivateFileError, check_private

log = logging.getLogger("nazar.api")

TOKEN_FILE = "api-token"
ADDRESS_FILE = "api-address"  # the running wall's API address, for `./nazar incident ...`
DEFAULT_PORT = 8765
VERSION = "1.0.0"


class Gateway(Protocol):
    """Runs a function on the wall's (GUI) thread; the future carries its result."""

    def submit(self, fn: Callable[[], Any]) -> Future: ...


class TokenFileError(PrivateFileError):
    """The token file cannot be used; the message names it and says how to fix it."""


def load_token(path: Path, create: bool = True) -> str:
    """The bearer token in `path`. A missing file is created (mode 600, a new random token)
    when `create`; a file that group or others may read or write, or that belongs to another
    user, is refused: the API is then not started."""
    path = Path(path)
    if not path.exists():
        if not create:
            raise TokenFileError(f"{path}: no such token file")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(32) + "\n")
        log.info("API token created in %s (mode 600)", path)
    try:
        check_private(path, "API token")
    except PrivateFileError as exc:
        raise TokenFileError(str(exc)) from None
    token = path.read_text(encoding="utf-8").strip()
    if len(token) < 16 or any(c.isspace() for c in token):
        raise TokenFileError(f"{path}: the token must be one word of 16 characters or more")
    return token


@dataclass(frozen=True)
class ApiLimits:
    max_body_bytes: int = CAP_MAX_BYTES
    rate: float = 20.0  # requests a second, per client address
    burst: int = 40
    call_timeout_s: float = 5.0


# ---------------------------------------------------------------------------------------------
# Request bodies (unknown fields are refused)
# ---------------------------------------------------------------------------------------------
Kind = Literal["fire", "crowd", "law_and_order", "other"]
LayoutName = Literal[tuple(LAYOUTS)]  # type: ignore[valid-type]


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={
        "anyOf": [{"required": ["lat", "lon"]}, {"required": ["site"]}]})
    lat: float | None = Field(None, ge=-90, le=90, description="WGS 84 latitude")
    lon: float | None = Field(None, ge=-180, le=180, description="WGS 84 longitude")
    site: str | None = Field(None, min_length=1, max_length=200,
                             description="a registry site's id or name, e.g. South City Mall")
    radius_m: float = Field(250, gt=0, le=2000, description="search radius in metres")
    uncertainty_m: float = Field(0, ge=0, le=5000,
                                 description="how far off the point itself may be (metres)")
    type: Kind = "fire"
    priority: int = Field(3, ge=1, le=5, description="5 is the most urgent")
    note: str = Field("", max_length=2000)
    exercise: bool = Field(False, description="an exercise: the EXERCISE banner, never real")

    @model_validator(mode="after")
    def _where(self) -> IncidentIn:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give lat and lon together")
        if self.lat is None and self.site is None:
            raise ValueError("give lat and lon, or a site")
        return self


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=2000)


class WallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cameras: list[str | None] = Field(max_length=256,
                                      description="camera ids in tile order; null: empty tile")
    layout: LayoutName | None = None  # type: ignore[valid-type]


# OpenAPI links: what a client (and the fuzzer) can do with a raised incident's id.
INCIDENT_LINKS = {name: {"operationId": op, "parameters": {"incident_id": "$response.body#/id"}}
                  for name, op in (("Get", "get_incident"), ("Cap", "get_incident_cap"),
                                   ("Acknowledge", "acknowledge_incident"),
                                   ("Note", "note_incident"), ("Clear", "clear_incident"))}

IncidentId = PathParam(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")


# ---------------------------------------------------------------------------------------------
# The ASGI guard in front of everything: rate limit, token, body size
# ---------------------------------------------------------------------------------------------
class Guard:
    def __init__(self, app: Any, token: str, limits: ApiLimits, metrics: WallMetrics):
        self.app = app
        self.token = token.encode()
        self.limits = limits
        self.metrics = metrics
        self._buckets: dict[str, tuple[float, float]] = {}  # address -> (tokens, time)

    async def _refuse(self, send: Any, code: int, message: str,
                      headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        await send({"type": "http.response.start", "status": code,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]
                    + (headers or [])})
        await send({"type": "http.response.body", "body": body})
        self.metrics.api_requests.labels(str(code)).inc()

    def _allow(self, address: str) -> bool:
        now = time.monotonic()
        tokens, last = self._buckets.get(address, (float(self.limits.burst), now))
        tokens = min(float(self.limits.burst), tokens + (now - last) * self.limits.rate)
        if tokens < 1.0:
            self._buckets[address] = (tokens, now)
            return False
        self._buckets[address] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:  # many addresses: forget the oldest
            self._buckets.pop(next(iter(self._buckets)))
        return True

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        address = (scope.get("client") or ("?", 0))[0]
        if not self._allow(address):
            await self._refuse(send, 429, "too many requests: slow down",
                               [(b"retry-after", b"1")])
            return
        headers = dict(scope.get("headers") or [])
        auth = headers.get(b"authorization", b"")
        given = auth[7:].strip() if auth[:7].lower() == b"bearer " else b""
        if not given or not hmac.compare_digest(given, self.token):
            await self._refuse(send, 401, "a valid bearer token is needed "
                               "(Authorization: Bearer <the token in the api-token file>)",
                               [(b"www-authenticate", b"Bearer")])
            return
        limit = self.limits.max_body_bytes
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self._refuse(send, 413, f"the body is larger than {limit} bytes")
            return
        received = 0
        started = False

        async def counted_receive() -> dict:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge(limit)
            return message

        async def tracked_send(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.metrics.api_requests.labels(str(message["status"])).inc()
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _TooLarge:  # read outside a route (the app answers it inside one)
            if not started:
                await self._refuse(send, 413, f"the body is larger than {limit} bytes")


class _TooLarge(StarletteHTTPException):
    """Raised while a body is read (chunked, no Content-Length): answered 413 by the app."""

    def __init__(self, limit: int):
        super().__init__(413, f"the body is larger than {limit} bytes")


_OPERATOR = re.compile(r"[A-Za-z0-9._@-]{1,40}")


def operator_of(request: Request) -> str:
    """"api:<X-Operator>@<address>" ("api:<address>" without the header): the audit log's
    operator for what this request does."""
    address = request.client.host if request.client else "?"
    name = request.headers.get("x-operator", "")
    return f"api:{name}@{address}" if _OPERATOR.fullmatch(name) else f"api:{address}"


# ---------------------------------------------------------------------------------------------
# The application
# ---------------------------------------------------------------------------------------------
def make_app(dispatcher: Dispatcher, gateway: Gateway, token: str,
             limits: ApiLimits | None = None, metrics: WallMetrics | None = None) -> Any:
    limits = limits or ApiLimits()
    metrics = metrics or WallMetrics()
    app = FastAPI(title="Nazar dispatch API", version=VERSION,
                  description="Raise and follow incidents on a running Nazar wall, read its "
                              "state and its feeds' health. Every request needs "
                              "`Authorization: Bearer <token>`.",
                  docs_url=None, redoc_url=None)  # their pages load scripts from a CDN
    app.state.metrics = metrics

    async def on_wall(fn: Callable[[], Any]) -> Any:
        future = gateway.submit(fn)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), limits.call_timeout_s)
        except asyncio.TimeoutError:
            future.cancel()
            raise _Busy from None

    def error(code: int, message: str) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        parts = []
        for e in exc.errors()[:5]:
            where = ".".join(str(x) for x in e.get("loc", ()) if x != "body") or "body"
            parts.append(f"{where}: {e.get('msg', 'invalid')}")
        return error(400, "; ".join(parts)[:1000])

    @app.exception_handler(NotFound)
    async def _not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return error(404, str(exc))

    @app.exception_handler(CapError)
    async def _bad_cap(_request: Request, exc: CapError) -> JSONResponse:
        return error(400, f"CAP refused: {exc}")

    @app.exception_handler(CommandError)
    async def _refused(_request: Request, exc: CommandError) -> JSONResponse:
        return error(409, str(exc))

    @app.exception_handler(_Busy)
    async def _busy(_request: Request, _exc: _Busy) -> JSONResponse:
        return error(503, f"the wall did not answer within {limits.call_timeout_s:g} s")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 404:
            return error(404, "no such endpoint")
        if exc.status_code == 405:
            return error(405, "method not allowed here")
        return error(exc.status_code, str(exc.detail))

    @app.get("/api/state", operation_id="get_state",
             summary="The wall: layout, each tile's camera and health, open incidents")
    async def state() -> Any:
        return await on_wall(dispatcher.state)

    @app.get("/api/cameras", operation_id="get_cameras",
             summary="The registry's cameras, each with its health")
    async def cameras() -> Any:
        return await on_wall(dispatcher.cameras)

    @app.get("/api/incidents", operation_id="list_incidents", summary="The open incidents")
    async def incidents() -> Any:
        return await on_wall(dispatcher.incidents)

    @app.post("/api/incidents", status_code=201, operation_id="raise_incident",
              summary="Raise an incident: the wall shows its cameras, best placed first",
              responses={201: {"description": "raised", "links": INCIDENT_LINKS},
                         404: {"description": "no such site"},
                         409: {"description": "the wall refused"}})
    async def raise_incident(body: IncidentIn, request: Request) -> Any:
        who = operator_of(request)
        return await on_wall(lambda: dispatcher.raise_incident(
            who, lat=body.lat, lon=body.lon, site=body.site, radius_m=body.radius_m,
            uncertainty_m=body.uncertainty_m, kind=body.type, priority=body.priority,
            note=body.note, exercise=body.exercise))

    @app.get("/api/incidents/{incident_id}", operation_id="get_incident",
                          summary="One open incident with its cameras in rank order and their reasons")
    async def incident(request: Request, incident_id: str = IncidentId) -> Any:
        return await on_wall(lambda: dispatcher.incident(incident_id))

    @app.get("/api/incidents/{incident_id}/cap", operation_id="get_incident_cap",
             summary="The incident as a CAP 1.2 Alert",
             response_class=Response,
             responses={200: {"content": {"application/xml": {}}}})
    async def incident_cap(incident_id: str = IncidentId) -> Response:
        xml = await on_wall(lambda: dispatcher.incident_cap(incident_id))
        return Response(xml, media_type="application/xml")

    @app.post("/api/incidents/{incident_id}/ack", operation_id="acknowledge_incident",
              summary="Acknowledge an incident")
    async def ack(request: Request, incident_id: str = IncidentId) -> Any:
        who = operator_of(request)
        return await on_wall(lambda: dispatcher.acknowledge(who, incident_id))

    @app.post("/api/incidents/{incident_id}/note", operation_id="note_incident",
              summary="Add a note to an incident")
    async def note(body: NoteIn, request: Request, incident_id: str = IncidentId) -> Any:
        who = operator_of(request)
        return await on_wall(lambda: dispatcher.add_note(who, incident_id, body.text))

    @app.post("/api/incidents/{incident_id}/clear", operation_id="clear_incident",
              summary="Clear an incident (the wall goes back to what it showed before)")
    async def clear(request: Request, incident_id: str = IncidentId) -> Any:
        who = operator_of(request)
        return await on_wall(lambda: dispatcher.clear(who, incident_id))

    @app.put("/api/wall", operation_id="put_wall",
             summary="Replace the wall: a layout and cameras in tile order")
    async def put_wall(body: WallIn, request: Request) -> Any:
        who = operator_of(request)
        return await on_wall(lambda: dispatcher.set_wall(who, list(body.cameras),
                                                         body.layout))

    @app.post("/api/cap", operation_id="post_cap",
              summary="A CAP 1.2 alert: Alert raises, Update changes, Cancel clears",
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/xml": {"schema": {"type": "string"}}}}},
              responses={201: {"description": "an Alert raised an incident"},
                         400: {"description": "malformed, or not for the wall"},
                         404: {"description": "its references name no open incident"}})
    async def cap(request: Request) -> Any:
        data = await request.body()
        who = operator_of(request)
        try:
            outcome = await on_wall(lambda: dispatcher.ingest_cap(who, data))
        except CapError:
            metrics.cap_messages.labels("refused").inc()
            raise
        except CommandError:
            metrics.cap_messages.labels("refused").inc()
            raise
        metrics.cap_messages.labels(outcome.action).inc()
        return JSONResponse({"action": outcome.action, "incident": outcome.incident_id,
                             "message": outcome.message},
                            status_code=201 if outcome.action == "raised" else 200)

    @app.get("/metrics", operation_id="get_metrics",
             summary="Prometheus text format: feeds, incidents, loop lag",
             response_class=Response,
             responses={200: {"content": {"text/plain": {}}}})
    async def prometheus() -> Response:
        snapshot = await on_wall(dispatcher.feed_snapshot)
        return Response(metrics.render(snapshot), media_type=metrics.content_type)

    return Guard(app, token, limits, metrics)


class _Busy(Exception):
    pass


def openapi_document(app: Any) -> dict:
    """The OpenAPI document of `make_app(...)`'s application (behind its guard)."""
    inner = app.app if isinstance(app, Guard) else app
    return inner.openapi()


# ---------------------------------------------------------------------------------------------
# Serving
# ---------------------------------------------------------------------------------------------
class ApiStartError(Exception):
    pass


def parse_bind(text: str) -> tuple[str, int]:
    """"127.0.0.1:8765", "8765", "[::1]:8765" -> (host, port)."""
    text = text.strip()
    host, port = "127.0.0.1", text
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    elif ":" in text:
        host, port = text.rsplit(":", 1)
    if not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--api-bind: '{text}' is not HOST:PORT (e.g. 127.0.0.1:8765)")
    return host or "127.0.0.1", int(port)


class ApiServer:
    """uvicorn in a daemon thread; `stop()` ends it (the app exits even if it hangs)."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = DEFAULT_PORT):
        import uvicorn

        self.host = host
        self.config = uvicorn.Config(app, host=host, port=port, log_level="warning",
                                     access_log=False, lifespan="off", server_header=False,
                                     timeout_graceful_shutdown=1)
        self.server = uvicorn.Server(self.config)
        self.thread = threading.Thread(target=self._serve, name="nazar-api", daemon=True)
        self.failure: str | None = None

    def _serve(self) -> None:
        try:
            self.server.run()
        except SystemExit:  # uvicorn exits when it cannot bind
            self.failure = f"cannot listen on {self.host}:{self.config.port}"
        except Exception as exc:  # noqa: BLE001 - reported by start()
            self.failure = str(exc)

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.server.should_exit = True
                raise ApiStartError(self.failure or f"cannot listen on {self.host}:"
                                    f"{self.config.port} (in use?)")
            time.sleep(0.01)

    @property
    def port(self) -> int:
        for server in getattr(self.server, "servers", []):
            for sock in server.sockets:
                return int(sock.getsockname()[1])
        return self.config.port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}"

    def stop(self, timeout: float = 2.0) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(timeout)


__all__ = ["ApiLimits", "ApiServer", "ApiStartError", "Gateway", "TokenFileError",
           "load_token", "make_app", "openapi_document", "parse_bind", "TOKEN_FILE",
           "ADDRESS_FILE", "DEFAULT_PORT"]
