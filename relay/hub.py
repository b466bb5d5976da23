"""The relay hub: one camera session for many consoles, on GStreamer's RTSP server.

Run with Debian's Python (`./nazar relay ...`; it needs python3-gi, gir1.2-gst-rtsp-server-1.0,
python3-yaml and python3-prometheus-client, which the script installs). It reads the same
`cameras.yaml` as the consoles and serves, for every camera its `relays:` entry serves:

    rtsp://HUB:PORT/<camera id>/main     and   /<camera id>/sub

Each mount is a *shared* media: the hub pulls the camera (`rtspsrc`, RTP over TCP) when the
first console asks, hands the same packets to every later console (depayload, parse, payload
again: never decoded or re-encoded), and drops the camera when the last console leaves.
Camera passwords (`${ENV}` in the registry) are resolved here, on the hub, and never sent to
a console: consoles log in to the hub with their own names and passwords (HTTP Basic over
RTSP), listed in a users file that only the hub's account may read (`name:password` a line;
mode 600). A wrong console login gets 401.

Metrics (`--metrics-port`, Prometheus text format, on the same address):

    nazar_relay_consoles                         gauge    RTSP connections of consoles
    nazar_relay_upstream{camera,stream}          gauge    1 while the camera is pulled
    nazar_relay_clients{camera,stream}           gauge    consoles playing the stream
    nazar_relay_upstream_starts_total{...}       counter  times the camera was pulled again
    nazar_relay_errors_total{camera,stream}      counter  errors from the camera's pipeline
    nazar_relay_bytes_total{camera,stream}       counter  bytes relayed from the camera
                                                          (counted once, not per console)

Only H.264 cameras are relayed (what the demo and the test cameras send); an H.265 camera
needs another depayloader and payloader in `launch()`.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

from app.private_files import PrivateFileError, check_private  # noqa: E402
from app.registry import Registry, RegistryFileError, load_registry  # noqa: E402

log = logging.getLogger("nazar.relay")
ROLE = "console"
REQUIRED = ("rtspsrc", "rtph264depay", "h264parse", "rtph264pay")


def launch(url: str) -> str:
    """The shared media of one camera stream, in gst-launch syntax (no decoding)."""
    location = url.replace("\\", "\\\\").replace('"', '\\"')
    # latency=0: over TCP nothing arrives out of order, so the jitter buffer only delays.
    return (f'( rtspsrc location="{location}" protocols=tcp latency=0 '
            "! rtph264depay ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=-1 )")


def read_users(path: Path) -> dict[str, str]:
    """`name:password` lines (blank lines and # comments skipped) from a private file."""
    check_private(path, "console passwords")
    users: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, password = line.partition(":")
        if not sep or not name or not password:
            raise ValueError(f"{path}:{n}: expected name:password")
        users[name] = password
    if not users:
        raise ValueError(f"{path}: no console is listed (name:password a line)")
    return users


@dataclass
class StreamStats:
    upstream: int = 0
    clients: int = 0
    starts: int = 0
    errors: int = 0
    bytes: int = 0


@dataclass
class HubState:
    """What the hub's metrics say; written on the GLib thread, read by the metrics thread."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    consoles: int = 0
    streams: dict[tuple[str, str], StreamStats] = field(default_factory=dict)


class Hub:
    def __init__(self, registry: Registry, relay_id: str, host: str, port: int,
                 users: dict[str, str] | None):
        if relay_id not in registry.relays:
            known = ", ".join(registry.relays) or "none"
            raise ValueError(f"no relay '{relay_id}' in {registry.path} (relays: {known})")
        self.registry = registry
        self.relay = registry.relays[relay_id]
        self.state = HubState()
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address(host)
        self.server.set_service(str(port))
        if users is not None:
            auth = GstRtspServer.RTSPAuth()
            token = GstRtspServer.RTSPToken()
            token.set_string("media.factory.role", ROLE)
            for name, password in users.items():
                auth.add_basic(GstRtspServer.RTSPAuth.make_basic(name, password), token)
            self.server.set_auth(auth)
        self.users = users
        self.mounts: list[str] = []
        mounts = self.server.get_mount_points()
        for cam in registry.cameras.values():
            if not self.relay.serves(cam, self._division(cam)):
                continue
            for stream, source in (("main", cam.main), ("sub", cam.sub)):
                if source is None:
                    continue
                if source.kind not in ("rtsp", "rtsps"):
                    log.warning("camera %s %s: %s is not RTSP; not relayed", cam.id, stream,
                                source.display)
                    continue
                path = f"/{cam.id}/{stream}"
                mounts.add_factory(path, self._factory(cam.id, stream, source.url))
                self.mounts.append(path)
                self.state.streams[(cam.id, stream)] = StreamStats()
        self.server.connect("client-connected", self._client_connected)

    def _division(self, cam) -> str | None:  # noqa: ANN001 - app.registry.Camera
        station = self.registry.stations.get(cam.station)
        return station.division if station else None

    def _factory(self, camera_id: str, stream: str, url: str) -> GstRtspServer.RTSPMediaFactory:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch(url))
        factory.set_shared(True)
        if self.users is not None:
            perms = GstRtspServer.RTSPPermissions()
            perms.add_permission_for_role(ROLE, "media.factory.access", True)
            perms.add_permission_for_role(ROLE, "media.factory.construct", True)
            factory.set_permissions(perms)
        key = (camera_id, stream)
        factory.connect("media-configure", lambda _f, media: self._media(key, media))
        return factory

    # -- accounting (GLib thread) --------------------------------------------------------------
    def _stats(self, key: tuple[str, str]) -> StreamStats:
        return self.state.streams.setdefault(key, StreamStats())

    def _media(self, key: tuple[str, str], media: GstRtspServer.RTSPMedia) -> None:
        with self.state.lock:
            self._stats(key).starts += 1
        log.info("camera %s %s: pulling it for the first console", *key)
        media.connect("prepared", lambda _m: self._upstream(key, 1))
        media.connect("unprepared", lambda _m: self._upstream(key, 0))
        media.connect("handle-message", lambda _m, msg: self._message(key, msg))
        element = media.get_element()
        pay = element.get_by_name("pay0") if element is not None else None
        pad = pay.get_static_pad("src") if pay is not None else None
        if pad is not None:
            pad.add_probe(Gst.PadProbeType.BUFFER | Gst.PadProbeType.BUFFER_LIST,
                          self._count_bytes, key)

    def _count_bytes(self, _pad: Gst.Pad, info: Gst.PadProbeInfo, key: tuple[str, str]):
        size = 0
        if info.type & Gst.PadProbeType.BUFFER_LIST:
            blist = info.get_buffer_list()
            size = sum(blist.get(i).get_size() for i in range(blist.length())) if blist else 0
        else:
            buf = info.get_buffer()
            size = buf.get_size() if buf is not None else 0
        with self.state.lock:
            self._stats(key).bytes += size
        return Gst.PadProbeReturn.OK

    def _upstream(self, key: tuple[str, str], up: int) -> None:
        with self.state.lock:
            self._stats(key).upstream = up
        if not up:
            log.info("camera %s %s: no console left, camera session closed", *key)

    def _message(self, key: tuple[str, str], msg: Gst.Message) -> bool:
        if msg.type == Gst.MessageType.ERROR:
            err, _debug = msg.parse_error()
            with self.state.lock:
                self._stats(key).errors += 1
            log.warning("camera %s %s: %s", key[0], key[1], err.message)
        return False

    def _client_connected(self, _server: GstRtspServer.RTSPServer,
                          client: GstRtspServer.RTSPClient) -> None:
        playing: set[tuple[str, str]] = set()
        with self.state.lock:
            self.state.consoles += 1

        def key_of(ctx: GstRtspServer.RTSPContext) -> tuple[str, str] | None:
            parts = (ctx.uri.abspath if ctx.uri else "").strip("/").split("/")
            if len(parts) >= 2 and (parts[0], parts[1]) in self.state.streams:
                return parts[0], parts[1]
            return None

        def play(_c: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext) -> None:
            key = key_of(ctx)
            if key is not None and key not in playing:
                playing.add(key)
                with self.state.lock:
                    self._stats(key).clients += 1

        def stop(key: tuple[str, str]) -> None:
            if key in playing:
                playing.discard(key)
                with self.state.lock:
                    self._stats(key).clients -= 1

        def teardown(_c: GstRtspServer.RTSPClient, ctx: GstRtspServer.RTSPContext) -> None:
            key = key_of(ctx)
            if key is not None:
                stop(key)

        def closed(_c: GstRtspServer.RTSPClient) -> None:
            for key in list(playing):
                stop(key)
            with self.state.lock:
                self.state.consoles -= 1

        client.connect("play-request", play)
        client.connect("teardown-request", teardown)
        client.connect("closed", closed)

    def attach(self) -> int:
        if self.server.attach(None) == 0:
            raise OSError(f"cannot listen on {self.server.get_address()}:"
                          f"{self.server.get_service()}")
        return self.server.get_bound_port()


def serve_metrics(state: HubState, host: str, port: int):  # noqa: ANN201
    """Prometheus /metrics in a thread (prometheus_client's own HTTP server)."""
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class Collector:
        def collect(self):  # noqa: ANN202
            with state.lock:
                consoles = state.consoles
                streams = {k: StreamStats(**vars(v)) for k, v in state.streams.items()}
            yield GaugeMetricFamily("nazar_relay_consoles", "RTSP connections of consoles",
                                    value=consoles)
            labels = ["camera", "stream"]
            fams = {
                "upstream": GaugeMetricFamily("nazar_relay_upstream",
                                              "1 while the camera is pulled", labels=labels),
                "clients": GaugeMetricFamily("nazar_relay_clients",
                                             "Consoles playing the stream", labels=labels),
                "starts": CounterMetricFamily("nazar_relay_upstream_starts",
                                              "Times the camera was pulled", labels=labels),
                "errors": CounterMetricFamily("nazar_relay_errors",
                                              "Errors from the camera's pipeline",
                                              labels=labels),
                "bytes": CounterMetricFamily("nazar_relay_bytes",
                                             "Bytes relayed from the camera", labels=labels),
            }
            for (cam, stream), st in sorted(streams.items()):
                for name, fam in fams.items():
                    fam.add_metric([cam, stream], getattr(st, name))
            yield from fams.values()

    registry = CollectorRegistry()
    registry.register(Collector())
    return start_http_server(port, addr=host, registry=registry)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="nazar relay", description=__doc__.split("\n\n")[0])
    p.add_argument("--id", required=True, help="this hub's id in the registry's relays:")
    p.add_argument("--config", type=Path, default=Path(__file__).resolve().parents[1]
                   / "cameras.yaml", help="camera registry (default: the bundled one)")
    p.add_argument("--bind", default=None, metavar="HOST:PORT",
                   help="where to listen (default: the relay's address in the registry)")
    p.add_argument("--users", type=Path, metavar="FILE",
                   help="consoles allowed in: name:password a line, mode 600")
    p.add_argument("--no-auth", action="store_true",
                   help="let any console in (a closed network only)")
    p.add_argument("--metrics-port", type=int, default=0, metavar="N",
                   help="serve Prometheus /metrics on this port (0: off)")
    p.add_argument("--log-level", default="INFO")
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if (args.users is None) == (not args.no_auth):
        p.error("give --users FILE (consoles log in) or --no-auth")
    Gst.init(None)
    missing = [e for e in REQUIRED if Gst.ElementFactory.find(e) is None]
    if missing:
        print(f"nazar relay: missing GStreamer elements: {', '.join(missing)}", file=sys.stderr)
        return 2
    try:
        registry = load_registry(args.config)
        users = read_users(args.users) if args.users else None
        relay = registry.relays.get(args.id)
        host, port = (relay.host, relay.port) if relay else ("127.0.0.1", 0)
        if args.bind:
            h, _, prt = args.bind.rpartition(":")
            host, port = h or "0.0.0.0", int(prt)
        hub = Hub(registry, args.id, host, port, users)
    except (RegistryFileError, PrivateFileError, ValueError, OSError) as exc:
        print(f"nazar relay: {exc}", file=sys.stderr)
        return 2
    try:
        bound = hub.attach()
    except OSError as exc:
        print(f"nazar relay: {exc}", file=sys.stderr)
        return 3
    for problem in registry.problems:
        if problem.field not in ("user", "password"):  # the consoles' logins: not ours
            log.warning("registry: %s", problem)
    if args.metrics_port:
        serve_metrics(hub.state, host, args.metrics_port)
    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, loop.quit)
    GLib.timeout_add_seconds(2, lambda: hub.server.get_session_pool().cleanup() >= 0)
    log.info("relay %s (%s) serves %d stream(s) on rtsp://%s:%d/ (%s)", hub.relay.id,
             hub.relay.name, len(hub.mounts), host, bound,
             "consoles log in" if users else "no login")
    print(f"READY {bound}", flush=True)
    loop.run()
    hub.server.client_filter(lambda _s, _c: GstRtspServer.RTSPFilterResult.REMOVE)
    return 0
