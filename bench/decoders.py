"""The decode path's alternatives, one frame at a time, without Qt: `./nazar bench decoders`.

    python -m bench.decoders [--res 720p,1080p] [--sizes 640x360,960x540] [--frames N]
                             [--reps R] [--clip-dir DIR] [--json FILE]

One H.264 clip per resolution (the RTSP benchmark's clips: tests/support/clips.py, testsrc2,
libx264 Main, no B-frames, GOP 2 s, 25 fps), read from the file by one thread, every
alternative decoding the same frames from a fresh open. Per frame: the process's CPU time
(user + system; the only thread working is the one reading) over `--frames` frames, the
median of `--reps` repetitions, the alternatives interleaved (every other repetition in
reverse order). Both decoders run with one decoder thread, OpenCV with its thread pool off
(`app.feeds.configure_decoding`), as in the wall.

Alternatives (each includes its decoding):
- cv2.read(): OpenCV's FFmpeg backend, full-size BGR (THE LIMIT of the RTSP benchmark);
- cv2.read + resize + BGR2BGRA at a tile size: the wall's worker before PyAV;
- PyAV decode only: `app.decoders.PyAVCapture.read()`, YUV planes (THE FLOOR);
- PyAV `frame.reformat(w, h, "bgra")`: FFmpeg's swscale, scale and convert in one pass (a new
  swscale context per frame, one scaler thread per core: PyAV's defaults);
- PyAV swscale kept: one `VideoReformatter` (its swscale context) kept for the stream, one
  thread, AREA when shrinking to half or less, else BILINEAR (tried as the wall's path in
  December 2026: cheaper here, one call, but dearer in the wall; BENCHMARKS.md);
- PyAV `to_ndarray(format="bgr24")` + resize + BGRA: OpenCV's way on PyAV's decoder;
- PyAV + `app.decoders.yuv_to_bgra`: resize the YUV planes, then one YUV -> BGRA (the wall).

OpenCV and PyAV each bring their own FFmpeg build; "PyAV to_ndarray(bgr24), full size" is
the PyAV equivalent of cv2.read(), so the two decoders can be told apart from the two ways
of converting.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.feeds import configure_decoding  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from app.decoders import BufferPool, PyAVCapture  # noqa: E402

Size = tuple[int, int]
FULL = None  # a size of None: the decoded size

# (key, label, decoder, convert, size); convert in: none, bgra (cv2), reformat, kept, bgr24,
# yuv
Alt = tuple[str, str, str, str, Size | None]


def alternatives(sizes: list[Size | None]) -> list[Alt]:
    def name(size: Size | None) -> str:
        return "full size" if size is None else f"{size[0]}x{size[1]}"

    alts: list[Alt] = [("cv2", "cv2.read(), full BGR (THE LIMIT)", "cv2", "none", None)]
    for sz in sizes:
        alts.append((f"cv2+bgra@{name(sz)}",
                     f"cv2.read + resize + BGR2BGRA, {name(sz)} (old worker)"
                     if sz else "cv2.read + BGR2BGRA, full size (old worker)",
                     "cv2", "bgra", sz))
    alts.append(("floor", "PyAV decode only (THE FLOOR)", "pyav", "none", None))
    for sz in sizes:
        alts.append((f"reformat@{name(sz)}", f"PyAV reformat(bgra), {name(sz)}", "pyav",
                     "reformat", sz))
    for sz in sizes:
        alts.append((f"kept@{name(sz)}", f"PyAV swscale kept (bgra, 1 thread), {name(sz)}",
                     "pyav", "kept", sz))
    for sz in sizes:
        alts.append((f"bgr24@{name(sz)}",
                     f"PyAV to_ndarray(bgr24) + resize + BGRA, {name(sz)}" if sz else
                     "PyAV to_ndarray(bgr24) + BGRA, full size", "pyav", "bgr24", sz))
    for sz in sizes:
        alts.append((f"yuv@{name(sz)}", f"PyAV + yuv_to_bgra, {name(sz)} (the wall)", "pyav",
                     "yuv", sz))
    return alts


def _cv2_loop(path: str, frames: int, convert: str, size: Size | None) -> tuple[float, int]:
    cap = cv2.VideoCapture(path, cv2.CAP_FFMPEG, [cv2.CAP_PROP_N_THREADS, 1])
    if not cap.isOpened():
        raise RuntimeError(f"OpenCV cannot open {path}")
    frame = scaled = bgra = None
    n = 0
    t0 = time.process_time()
    while n < frames:
        ok, frame = cap.read(frame)
        if not ok:
            break
        n += 1
        if convert == "bgra":
            src = frame
            if size is not None and (frame.shape[1], frame.shape[0]) != size:
                if scaled is None:
                    scaled = np.empty((size[1], size[0], 3), np.uint8)
                src = cv2.resize(frame, size, dst=scaled, interpolation=cv2.INTER_LINEAR)
            if bgra is None:
                bgra = np.empty((src.shape[0], src.shape[1], 4), np.uint8)
            cv2.cvtColor(src, cv2.COLOR_BGR2BGRA, dst=bgra)
    cpu = time.process_time() - t0
    cap.release()
    return cpu, n


def _pyav_loop(path: str, frames: int, convert: str, size: Size | None) -> tuple[float, int]:
    cap = PyAVCapture(path, 10.0, 10.0)
    pool = BufferPool()
    from av.video.reformatter import VideoReformatter
    kept = VideoReformatter()
    scaled = bgra = None
    n = 0
    out: object = None
    t0 = time.process_time()
    while n < frames:
        pic = cap.read()
        if pic is None:
            break
        n += 1
        if convert == "yuv":
            out = pic.to_bgra(size, pool)
        elif convert == "kept":
            w, h = size or pic.size
            interp = "AREA" if 2 * w <= pic.size[0] and 2 * h <= pic.size[1] else "BILINEAR"
            out = kept.reformat(pic.frame, w, h, "bgra", threads=1, interpolation=interp)
        elif convert == "reformat":
            w, h = size or pic.size
            out = pic.frame.reformat(w, h, "bgra").to_ndarray()
        elif convert == "bgr24":
            bgr = pic.frame.to_ndarray(format="bgr24")
            if size is not None and (bgr.shape[1], bgr.shape[0]) != size:
                if scaled is None:
                    scaled = np.empty((size[1], size[0], 3), np.uint8)
                bgr = cv2.resize(bgr, size, dst=scaled, interpolation=cv2.INTER_LINEAR)
            if bgra is None:
                bgra = np.empty((bgr.shape[0], bgr.shape[1], 4), np.uint8)
            out = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA, dst=bgra)
    cpu = time.process_time() - t0
    del out
    cap.release()
    return cpu, n


def measure(path: str, alts: list[Alt], frames: int, reps: int,
            log: Callable[[str], None] = print) -> dict[str, dict]:
    """Per alternative: CPU ms per frame of each repetition, and the median."""
    per: dict[str, list[float]] = {a[0]: [] for a in alts}
    counts: dict[str, int] = {}
    for rep in range(reps):
        order = alts if rep % 2 == 0 else alts[::-1]
        for key, _label, decoder, convert, size in order:
            loop = _cv2_loop if decoder == "cv2" else _pyav_loop
            cpu, n = loop(path, frames, convert, size)
            if n == 0:
                raise RuntimeError(f"{key}: no frame decoded from {path}")
            per[key].append(1000.0 * cpu / n)
            counts[key] = n
        log(f"    repetition {rep + 1}/{reps} done")
    return {k: {"ms": statistics.median(v), "reps_ms": v, "frames": counts[k]}
            for k, v in per.items()}


def table(res_label: str, alts: list[Alt], figures: dict[str, dict]) -> list[str]:
    base = figures["cv2"]["ms"]
    floor = figures["floor"]["ms"]
    width = max(len(a[1]) for a in alts) + 2
    lines = [f"{'alternative':<{width}}{'ms/frame':>9}{'x cv2.read':>12}{'over decode':>13}"
             f"{'spread':>9}"]
    for key, label, decoder, _convert, _size in alts:
        f = figures[key]
        own = base if decoder == "cv2" else floor
        over = f["ms"] - own if key not in ("cv2", "floor") else 0.0
        spread = max(f["reps_ms"]) - min(f["reps_ms"])
        lines.append(f"{label:<{width}}{f['ms']:>9.2f}{f['ms'] / base:>12.2f}"
                     + (f"{over:>+13.2f}" if key not in ("cv2", "floor") else f"{'':>13}")
                     + f"{spread:>9.2f}")
    return [f"\n{res_label}", "-" * len(res_label)] + lines


def _size(text: str) -> Size:
    w, _, h = text.lower().partition("x")
    return int(w), int(h)


RES = {"360p": (640, 360), "720p": (1280, 720), "1080p": (1920, 1080)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench decoders", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--res", default="720p,1080p", help="clips: 360p, 720p, 1080p or WxH")
    p.add_argument("--fps", type=int, default=25)
    p.add_argument("--sizes", default="640x360,960x540",
                   help="tile sizes to convert to (full size is always added)")
    p.add_argument("--frames", type=int, default=300, help="frames per measurement")
    p.add_argument("--reps", type=int, default=3, help="repetitions (the median is shown)")
    p.add_argument("--clip-dir", default=None)
    p.add_argument("--json", default=None, help="also write all figures to this file")
    args = p.parse_args(argv)

    from bench.rtsp_bench import default_clip_dir
    from tests.support.clips import make_clip

    configure_decoding()
    import av

    clip_dir = Path(args.clip_dir) if args.clip_dir else default_clip_dir()
    sizes: list[Size | None] = [_size(x) for x in args.sizes.split(",") if x.strip()]
    sizes.append(FULL)
    alts = alternatives(sizes)
    print(f"OpenCV {cv2.__version__}, PyAV {av.__version__} (FFmpeg "
          f"{'.'.join(map(str, av.library_versions.get('libavcodec', ())))} libavcodec), "
          f"one thread, cv2.setNumThreads(1); CPU per frame = process CPU time / frames, "
          f"median of {args.reps}", flush=True)
    results = {}
    for res in args.res.split(","):
        w, h = RES.get(res.strip(), None) or _size(res)
        clip = make_clip(clip_dir, w, h, fps=args.fps, seconds=20)
        label = (f"{w}x{h} H.264 {args.fps} fps ({clip.name}, {args.frames} frames), "
                 f"CPU ms per frame, one thread")
        print(f"  {w}x{h}: {len(alts)} alternatives x {args.reps} ...", flush=True)
        figs = measure(str(clip), alts, args.frames, args.reps,
                       log=lambda line: print(line, flush=True))
        for line in table(label, alts, figs):
            print(line)
        sys.stdout.flush()
        results[f"{w}x{h}"] = {"clip": str(clip), "figures": figs,
                               "labels": {a[0]: a[1] for a in alts}}
    print("\n'over decode': the alternative's CPU beyond its own decoder's (cv2.read for the "
          "OpenCV rows, the PyAV floor for the PyAV rows); 'spread': max - min of the "
          "repetitions.")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
