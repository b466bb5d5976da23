"""A console's side of relay hubs (`./nazar relay`), as plain Python (no Qt).

A camera that a `relays:` entry serves is opened through its hub first:
`rtsp://USER:PASSWORD@HUB:PORT/<camera id>/main` (or `/sub`), the console's own credentials
at the hub. When the hub cannot be opened, or its stream breaks, the feed opens the camera
directly at once (no backoff), and its tile says why ("direct · Lalbazar-1 down"). While a
feed runs directly, it goes back to the hub once the hub answers again (`HubWatch`, an RTSP
OPTIONS every few seconds, which makes the hub open nothing) and its own retry time has come
(5 s, doubling to 60 s after each failed return, so a camera the hub cannot reach does not
flap).

The probes are RTSP requests on a plain socket: OPTIONS (is the hub there?) and, when the hub
would not give a stream, app.diagnose's DESCRIBE with the console's credentials (401: the hub
refused them; anything else: the hub could not get the camera).
"""
from __future__ import annotations

import base64
import logging
import socket
import threading
from dataclasses import dataclass
from urllib.parse import quote

from app.diagnose import NO_ANSWER, NO_NAME, NOT_FOUND, NOT_PROTOCOL, REFUSED, UNAUTHORIZED, \
    diagnose
from app.registry import Camera, Registry, Relay
from app.urls import Source

log = logging.getLogger("nazar.relay")

PROBE_EVERY_S = 3.0
PROBE_TIMEOUT_S = 1.0
RETURN_FIRST_S = 5.0
RETURN_CAP_S = 60.0


@dataclass(frozen=True)
class RelayRoute:
    relay_id: str
    name: str
    host: str
    port: int
    path: str  # "/<camera id>/main"
    source: Source  # the hub's stream, with this console's credentials
    user: str | None = None
    password: str | None = None


def _host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def route_for(registry: Registry, cam: Camera, stream: str) -> RelayRoute | None:
    """The hub route of one of a camera's streams ("main" / "sub"), or None: direct only."""
    relay = registry.relay_for(cam)
    if relay is None:
        return None
    return route(relay, cam.id, stream)


def route(relay: Relay, camera_id: str, stream: str) -> RelayRoute:
    path = f"/{quote(camera_id, safe='')}/{stream}"
    login = ""
    if relay.user is not None and relay.password is not None:
        login = f"{quote(relay.user, safe='')}:{quote(relay.password, safe='')}@"
    base = f"rtsp://{_host(relay.host)}:{relay.port}"
    display = f"rtsp://{_host(relay.host)}:{relay.port}{path} (via {relay.name})"
    return RelayRoute(relay.id, relay.name, relay.host, relay.port, path,
                      Source("rtsp", f"rtsp://{login}{base[len('rtsp://'):]}{path}", display),
                      relay.user, relay.password)


def rtsp_request(host: str, port: int, method: str, path: str, user: str | None = None,
                 password: str | None = None, timeout: float = PROBE_TIMEOUT_S) -> int | None:
    """The status code of one RTSP request, or None when there is no RTSP answer."""
    url = f"rtsp://{_host(host)}:{port}{path}"
    lines = [f"{method} {url} RTSP/1.0", "CSeq: 1", "User-Agent: nazar-probe"]
    if method == "DESCRIBE":
        lines.append("Accept: application/sdp")
    if user is not None and password is not None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        lines.append(f"Authorization: Basic {token}")
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            head = sock.recv(256).decode("latin-1")
    except OSError:
        return None
    parts = head.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("RTSP/") or not parts[1].isdigit():
        return None
    return int(parts[1])


def why_not(r: RelayRoute) -> str:
    """Why the hub did not give this stream, in words for the tile (app.diagnose's one
    DESCRIBE, with this console's login)."""
    d = diagnose(r.source, timeout=PROBE_TIMEOUT_S)
    if d.kind in (REFUSED, NO_NAME, NO_ANSWER):
        return f"{r.name} down"
    if d.kind == UNAUTHORIZED:
        return f"{r.name} refused this console's credentials"
    if d.kind == NOT_FOUND:
        return f"{r.name} does not serve this camera"
    if d.kind == NOT_PROTOCOL:
        return f"{r.name} did not answer"
    return f"{r.name} could not open the camera" + (f" ({d.text})" if d.text else "")


class HubWatch:
    """Is the hub up? One thread per hub, probing while some feed waits to return to it."""

    def __init__(self, host: str, port: int, every_s: float = PROBE_EVERY_S):
        self.host, self.port, self.every_s = host, port, every_s
        self.up = True  # optimistic until a probe says otherwise
        self._wanted = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"hub:{host}:{port}",
                                        daemon=True)
        self._thread.start()

    def want(self) -> None:
        """A feed is running directly and would like to go back: keep probing."""
        self._wanted.set()

    def mark_down(self) -> None:
        self.up = False
        self._wanted.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            if not self._wanted.wait(0.5):
                continue
            was = self.up
            self.up = rtsp_request(self.host, self.port, "OPTIONS", "*") is not None
            if self.up != was:
                log.info("relay hub %s:%d is %s", self.host, self.port,
                         "up" if self.up else "down")
            if self.up:
                self._wanted.clear()
            self._stop.wait(self.every_s)

    def stop(self) -> None:
        self._stop.set()
        self._wanted.set()


__all__ = ["RelayRoute", "route_for", "route", "rtsp_request", "why_not", "HubWatch"]
