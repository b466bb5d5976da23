#!/usr/bin/python3
"""Load for the relay benchmark: many RTSP clients in one process, with GStreamer.

Run with Debian's Python (python3-gi). Each client is `rtspsrc protocols=tcp ! fakesink`:
it receives the RTP packets and drops them, without decoding, so what it costs is the
network reading of a console, not its decoder. Prints one JSON line at the end:
{"clients": N, "bytes": [per client], "seconds": S}.

    /usr/bin/python3 bench/relay_clients.py --seconds 20 URL [URL ...]
"""
from __future__ import annotations

import argparse
import json
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("urls", nargs="+")
    args = p.parse_args(argv)
    Gst.init(None)
    counts = [0] * len(args.urls)
    pipelines = []
    for i, url in enumerate(args.urls):
        pipe = Gst.parse_launch(f'rtspsrc location="{url}" protocols=tcp latency=200 '
                                f"! fakesink name=sink{i} sync=false")
        sink = pipe.get_by_name(f"sink{i}")

        def count(_pad, info, i=i):
            buf = info.get_buffer()
            if buf is not None:
                counts[i] += buf.get_size()
            return Gst.PadProbeReturn.OK

        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
        pipe.set_state(Gst.State.PLAYING)
        pipelines.append(pipe)
    loop = GLib.MainLoop()
    GLib.timeout_add(int(args.seconds * 1000), loop.quit)
    loop.run()
    for pipe in pipelines:
        pipe.set_state(Gst.State.NULL)
    print(json.dumps({"clients": len(args.urls), "bytes": counts, "seconds": args.seconds}),
          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
