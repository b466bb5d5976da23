#!/usr/bin/python3
"""A looping RTSP test server (GStreamer ``gst-rtsp-server``), one process for many mounts.

Run it with Debian's ``/usr/bin/python3`` (it needs ``python3-gi`` and
``gir1.2-gst-rtsp-server-1.0``, not the project's virtualenv)::

    /usr/bin/python3 tests/support/rtsp_server.py --port 8554 \\
        --mount /cam1=clips/a.ts --mount /cam2=clips/b.ts

Each mount serves an H.264 MPEG-TS clip (see ``clips.py``) as RTP/H.264, over TCP or UDP,
endlessly and in real time, without transcoding::

    multifilesrc loop=true ! tsdemux ! h264parse ! rtph264pay

``multifilesrc`` feeds the file again at its end, ``tsdemux`` turns the PTS wrap-around into
continuously increasing timestamps (the loop seam adds about half a frame interval once per
loop) and the RTSP server's sinks pace the stream by the clock.  The media of a mount is shared
by all its clients; it starts at the clip's beginning when the first client connects and is
torn down when the last one leaves.

Prints ``READY <port>`` on stdout once listening (``--port 0`` picks a free port); exits 0 on
SIGTERM or SIGINT (or, with ``--exit-on-stdin-eof``, when stdin is closed), 2 on bad arguments
and 3 when it cannot listen (e.g. the port is in use).
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

REQUIRED_ELEMENTS = ("multifilesrc", "tsdemux", "h264parse", "rtph264pay")


def launch_description(clip: Path) -> str:
    """The media pipeline of one mount, in ``gst-launch`` syntax."""
    # multifilesrc formats its location with printf (for "%05d" sequences): escape '%'.
    location = str(clip.resolve()).replace("%", "%%").replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'( multifilesrc location="{location}" loop=true ! tsdemux ! h264parse'
        " ! rtph264pay name=pay0 pt=96 config-interval=-1 )"
    )


def parse_mount(text: str) -> tuple[str, Path]:
    """``/path=CLIPFILE`` -> (``/path``, clip path); raises ``argparse.ArgumentTypeError``."""
    mount, sep, clip = text.partition("=")
    if not sep or not mount.startswith("/") or len(mount) < 2 or not clip:
        raise argparse.ArgumentTypeError(f"expected /path=CLIPFILE, got {text!r}")
    path = Path(clip)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"clip not found: {clip}")
    return mount, path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8554, help="TCP port (0: any free port)")
    parser.add_argument(
        "--exit-on-stdin-eof", action="store_true",
        help="exit when stdin is closed, e.g. because the launching process died",
    )  # fmt: skip
    parser.add_argument(
        "--mount", type=parse_mount, action="append", required=True,
        metavar="/PATH=CLIP", help="serve CLIP (an H.264 MPEG-TS file) at rtsp://HOST:PORT/PATH",
    )  # fmt: skip
    args = parser.parse_args(argv)
    mounts: list[tuple[str, Path]] = args.mount
    if len({mount for mount, _ in mounts}) != len(mounts):
        parser.error("duplicate mount path")

    Gst.init(None)
    missing = [name for name in REQUIRED_ELEMENTS if Gst.ElementFactory.find(name) is None]
    if missing:
        print(f"missing GStreamer elements: {', '.join(missing)}", file=sys.stderr)
        return 2

    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    mount_points = server.get_mount_points()
    for mount, clip in mounts:
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(launch_description(clip))
        factory.set_shared(True)
        # The media reports itself seekable (tsdemux answers the SEEKING query), so PLAY with
        # "Range: npt=0-" would seek the shared pipeline and fail with 503. Clock-and-offset
        # publishing is how gst-rtsp-server marks a stream as live, i.e. not seekable.
        factory.set_publish_clock_mode(GstRtspServer.RTSPPublishClockMode.CLOCK_AND_OFFSET)
        mount_points.add_factory(mount, factory)

    # attach() creates, binds (with SO_REUSEADDR) and listens on the socket; 0 means failure.
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        return 3

    loop = GLib.MainLoop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_HIGH, signum, loop.quit)
    if args.exit_on_stdin_eof:  # nothing is ever written to stdin: any wake-up means EOF
        stdin, condition = sys.stdin.fileno(), GLib.IO_IN | GLib.IO_HUP
        GLib.io_add_watch(stdin, GLib.PRIORITY_DEFAULT, condition, lambda *_: loop.quit())
    # Sessions of clients that vanished without TEARDOWN (UDP) expire; reap them.
    GLib.timeout_add_seconds(2, lambda: server.get_session_pool().cleanup() >= 0)

    print(f"READY {server.get_bound_port()}", flush=True)
    loop.run()

    # Close every client connection so that the media pipelines are shut down in order.
    server.client_filter(lambda _server, _client: GstRtspServer.RTSPFilterResult.REMOVE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
