"""`demo://` feeds: moving pictures without cameras or network.

A demo source is a 60 s video clip, drawn once per camera and cached on disk, then played
through exactly the decode path of a recorded file (opened by the decoder, looped, paced). The
clip shows the camera's id and name, moving traffic and a clock face whose second hand runs
with the real clock: playback starts at `start_frame(spec, now)`, so a frozen tile is visible
at a glance.

How a clip is made, and why (figures from this 2-core machine, BENCHMARKS.md "Demo wall"):

- **H.264, not MJPEG.** A 640x360 sub clip (720 frames) took 1.0 s to make as MJPEG through
  `cv2.VideoWriter`, and 8-12 MB; 85 % of that was the JPEG encoding, 10 % the drawing. With
  libx264 (PyAV's wheel has it) at `ultrafast`, CRF 26, it takes 0.5 s and 0.9-1.8 MB; the
  1280x720 main clip 1.7 s and 2-3.4 MB instead of 3.5 s and 20-27 MB. It is also what real
  cameras send, so a demo tile exercises the decoder a camera does, and decoding it costs
  the wall less than MJPEG. A keyframe every second (every 12 frames at 12 fps) keeps the
  seek to `start_frame` short. The pictures are drawn as BGR, converted with OpenCV's BT.601
  limited-range I420 (the inverse of the decoder's conversion) and tagged so. Without
  libx264 (or with NAZAR_DEMO_CODEC=mjpeg), clips are MJPEG in .avi, as before.
- **Only what moves is redrawn.** The background, the caption and the "DEMO FEED" mark are
  drawn once; per frame only the rows of the traffic lanes and of the clock are restored,
  redrawn and converted to I420.
- **Clips are drawn in helper processes, as many as there are CPUs (at most 4).** Feed
  workers ask for their clips at the same time from separate threads, but neither path
  parallelises inside one process: 9 MJPEG clips from 9 threads took 10 s, all finishing
  together (so no tile showed a picture before all nine were drawn), and PyAV's encode()
  holds the GIL (two threads encoding take twice as long as one). Helper processes
  (`python -m app.demo serve`, started on first need, leaving after 30 s idle or when this
  process goes) draw one clip each at a time, in parallel, without taking the GUI thread's
  GIL; the callers queue for them, so clips are finished one after another and the first
  tiles go live while the rest are still being drawn. A helper costs about 0.4 s to start
  (Python, OpenCV, PyAV); NAZAR_DEMO_WORKERS=0 draws in the calling thread instead (also
  the fallback if helpers cannot run).
- **Not done:** playing a clip while it is still being written (an MP4 is readable only when
  finished, and the feed loops the file it opened), and drawing clips during `./nazar setup`
  (which cameras the first page shows depends on the layout and registry at first start;
  all 874 demo streams would take about 10 minutes of CPU and 1.7 GB, over the cache cap).
  With cheap clips drawn in parallel, a first run's first tile is live 0.3 s after the
  window shows, four tiles are moving after 1.5 s, all nine after 3.5 s: neither is needed.

The cache (`default_cache_dir()`) is capped: after a clip is written, clips are removed until
the directory is under NAZAR_DEMO_CACHE_MB (default 300 MB, about 200 clips): clips of another
generator version first, then the least recently used (a clip's mtime is touched whenever it
is handed out), each removal logged. Never removed: the clip just written, clips open in this
process, clips used in the last minute, other writers' partial files younger than five
minutes (older ones, left by a writer that died, are always removed).
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import math
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

log = logging.getLogger("nazar.demo")

GENERATOR_VERSION = 5  # 5: H.264 in MP4 (or MJPEG fallback), version in the file name
CLIP_SECONDS = 60
KEYFRAME_EVERY_S = 1.0  # short GOPs: seeking to start_frame decodes at most a second
H264_PRESET = "ultrafast"
H264_CRF = 26
DEFAULT_CACHE_MB = 300.0
PARTIAL_KEEP_S = 300.0  # another writer's .partial- file younger than this is left alone
RECENT_USE_S = 60.0  # a clip handed out this recently is not removed (it is being opened)
HELPER_IDLE_S = 30.0  # a helper process with nothing to draw for this long leaves
MAX_WORKERS = 4

SCENES = ("junction", "street", "bridge", "station", "atrium", "foodcourt", "entrance",
          "carpark", "lobby", "forecourt", "atm", "corridor", "gate")
_OUTDOOR = {"junction", "street", "bridge", "station", "carpark", "forecourt", "gate"}
_CLIP_SUFFIXES = (".mp4", ".avi")
_PARTIAL = ".partial-"


@dataclass(frozen=True)
class DemoSpec:
    scene: str
    width: int
    height: int
    fps: float
    seconds: int = CLIP_SECONDS  # every demo:// source: 60 (the clock); tests: shorter

    def __post_init__(self) -> None:
        if self.width % 2 or self.height % 2 or self.width < 16 or self.height < 16:
            raise ValueError(f"demo clip size {self.width}x{self.height}: even sides, >= 16")
        if not 1 <= self.fps <= 60:
            raise ValueError(f"demo fps {self.fps:g} is out of range (1 to 60)")
        if not 1 <= self.seconds <= 3600:
            raise ValueError(f"demo clip length {self.seconds} s is out of range")

    @classmethod
    def from_params(cls, scene: str, params: dict[str, str]) -> DemoSpec:
        """`demo://junction` (main, 1280x720 at 12 fps) or `demo://junction?size=sub` (640x360)."""
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", scene):
            raise ValueError(f"demo scene '{scene}' is not a name (letters, digits, - and _; "
                             f"e.g. {', '.join(SCENES[:3])})")
        size = params.get("size", "main")
        if size == "main":
            w, h = 1280, 720
        elif size == "sub":
            w, h = 640, 360
        else:
            try:
                w, h = (int(v) for v in size.lower().split("x"))
            except ValueError:
                raise ValueError(f"demo size '{size}' is not main, sub or WIDTHxHEIGHT") from None
            if not (16 <= w <= 3840 and 16 <= h <= 2160):
                raise ValueError(f"demo size '{size}' is out of range")
        fps = float(params.get("fps", 12))
        if not 1 <= fps <= 60:
            raise ValueError(f"demo fps {fps:g} is out of range (1 to 60)")
        return cls(scene, w - w % 2, h - h % 2, fps)


def default_cache_dir() -> Path:
    base = os.environ.get("NAZAR_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    root = Path(base) if base else Path.home() / ".cache"
    return (root if os.environ.get("NAZAR_CACHE_DIR") else root / "nazar") / "demo"


def clip_codec() -> str:
    """"h264" (libx264 through PyAV, an .mp4) or "mjpeg" (OpenCV, an .avi): NAZAR_DEMO_CODEC,
    else H.264 when PyAV has libx264."""
    wanted = os.environ.get("NAZAR_DEMO_CODEC", "").strip().lower()
    if wanted == "mjpeg":
        return "mjpeg"
    if wanted not in ("", "h264"):
        log.warning("NAZAR_DEMO_CODEC=%s is not h264 or mjpeg; ignored", wanted)
    return "h264" if _have_libx264() else "mjpeg"


_libx264: bool | None = None


def _have_libx264() -> bool:
    global _libx264
    if _libx264 is None:
        try:
            import av
            av.codec.Codec("libx264", "w")
            _libx264 = True
        except Exception as exc:  # noqa: BLE001 - no PyAV, or a build without libx264
            log.warning("demo clips: no H.264 encoder (%s); drawing MJPEG clips", exc)
            _libx264 = False
    return _libx264


def clip_path(cache_dir: Path, spec: DemoSpec, camera_id: str, title: str) -> Path:
    codec = clip_codec()
    key = f"{GENERATOR_VERSION}|{codec}|{spec}|{camera_id}|{title}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in camera_id)[:40]
    ext = ".mp4" if codec == "h264" else ".avi"
    return (cache_dir
            / f"{safe}-{spec.scene}-{spec.width}x{spec.height}-v{GENERATOR_VERSION}-{digest}{ext}")


def ensure_clip(cache_dir: Path, spec: DemoSpec, camera_id: str, title: str) -> Path:
    """Return the cached clip, drawing it first if needed.

    Safe against concurrent callers: in this process one caller draws a clip and the others
    for the same clip wait for it; across processes the clip appears atomically (a partial
    file renamed). Marks the clip as used (its mtime) and keeps the cache under its cap."""
    path = clip_path(cache_dir, spec, camera_id, title)
    if _ready(path):
        return path
    with _lock_for(path):
        if _ready(path):  # another thread drew it while this one waited
            return path
        cache_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(suffix=path.suffix, dir=cache_dir, prefix=_PARTIAL)
        os.close(fd)
        started = time.monotonic()
        try:
            _pool().draw(Path(tmp), spec, camera_id, title)
            os.replace(tmp, path)  # atomic: readers never see half a clip
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        log.info("demo clip drawn: %s (%.2f s, %.2f MB)", path.name,
                 time.monotonic() - started, path.stat().st_size / 1e6)
    try:
        trim_cache(cache_dir, keep=path)
    except OSError as exc:  # the clip is there: play it even if the cache cannot be trimmed
        log.warning("demo cache: cannot trim %s: %s", cache_dir, exc)
    return path


def start_frame(spec: DemoSpec, wall_time: float) -> int:
    """The frame to start playing at so that the clip's second hand shows the real second."""
    return int((wall_time % spec.seconds) * spec.fps) % max(1, frames_in_clip(spec))


def frames_in_clip(spec: DemoSpec) -> int:
    return int(round(spec.seconds * spec.fps))


def keyframe_interval(spec: DemoSpec) -> int:
    """Frames from one keyframe to the next."""
    return max(1, int(round(spec.fps * KEYFRAME_EVERY_S)))


def _ready(path: Path) -> bool:
    """The clip is there: mark it used now (least-recently-used order of the cache cap)."""
    try:
        if path.stat().st_size <= 0:
            return False
    except FileNotFoundError:
        return False
    with contextlib.suppress(OSError):  # a read-only cache still plays
        os.utime(path)
    return True


_locks_guard = threading.Lock()
_locks: dict[Path, threading.Lock] = {}


def _lock_for(path: Path) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(path, threading.Lock())


# -- the cache cap -----------------------------------------------------------------------------
def cache_cap_bytes() -> int:
    """NAZAR_DEMO_CACHE_MB (megabytes, 10^6 bytes), default 300."""
    raw = os.environ.get("NAZAR_DEMO_CACHE_MB", "").strip()
    mb = DEFAULT_CACHE_MB
    if raw:
        try:
            mb = float(raw)
            if not mb >= 0 or math.isinf(mb):
                raise ValueError(raw)
        except ValueError:
            log.warning("NAZAR_DEMO_CACHE_MB=%s is not a size in MB; using %g", raw,
                        DEFAULT_CACHE_MB)
            mb = DEFAULT_CACHE_MB
    return int(mb * 1e6)


_trim_lock = threading.Lock()


def trim_cache(cache_dir: Path, keep: Path | None = None, cap_bytes: int | None = None,
               now: float | None = None) -> list[Path]:
    """Remove clips until the cache is under its cap; return what was removed.

    Partial files older than PARTIAL_KEEP_S (a writer that died) are always removed. Then,
    while over the cap: clips of another generator version, then the least recently used
    clips. Never: `keep`, clips open in this process, clips used in the last RECENT_USE_S,
    other writers' partial files younger than PARTIAL_KEEP_S."""
    cap = cache_cap_bytes() if cap_bytes is None else cap_bytes
    now = time.time() if now is None else now
    with _trim_lock:
        entries: list[tuple[Path, int, float]] = []
        try:
            with os.scandir(cache_dir) as it:
                for e in it:
                    try:
                        if e.is_file(follow_symlinks=False):
                            st = e.stat(follow_symlinks=False)
                            entries.append((Path(e.path), st.st_size, st.st_mtime))
                    except FileNotFoundError:
                        continue  # removed meanwhile
        except FileNotFoundError:
            return []
        total = sum(size for _, size, _ in entries)
        stale = [(p, size) for p, size, mtime in entries
                 if p.name.startswith(_PARTIAL) and now - mtime > PARTIAL_KEEP_S]
        if total <= cap and not stale:
            return []
        open_now = _open_paths() if total > cap else set()
        current = f"-v{GENERATOR_VERSION}-"

        def rank(entry: tuple[Path, int, float]) -> tuple[int, float] | None:
            path, _, mtime = entry
            if (keep is not None and path.name == keep.name) or path.name.startswith(_PARTIAL):
                return None
            if not path.name.endswith(_CLIP_SUFFIXES):
                return None  # not ours
            if now - mtime < RECENT_USE_S or Path(os.path.realpath(path)) in open_now:
                return None
            return (0 if current not in path.name else 1, mtime)

        ranked = sorted((r, e) for e in entries if (r := rank(e)) is not None)
        removed: list[Path] = []
        freed = 0

        def remove(path: Path, size: int) -> None:
            nonlocal freed
            try:
                path.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("demo cache: cannot remove %s: %s", path.name, exc)
                return
            removed.append(path)
            freed += size

        for path, size in sorted(stale):
            remove(path, size)
        for _, (path, size, _) in ranked:
            if total - freed <= cap:
                break
            remove(path, size)
        if removed:
            log.info("demo cache (cap %.0f MB): removed %d file(s), %.1f MB: %s", cap / 1e6,
                     len(removed), freed / 1e6, ", ".join(p.name for p in removed))
        if total - freed > cap:
            log.info("demo cache still %.0f MB (cap %.0f MB): the rest is in use",
                     (total - freed) / 1e6, cap / 1e6)
        return removed


def _open_paths() -> set[Path]:
    """Files this process has open (Linux: /proc/self/fd); empty where that is unknown."""
    out: set[Path] = set()
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return out
    for fd in fds:
        with contextlib.suppress(OSError):
            out.add(Path(os.readlink(f"/proc/self/fd/{fd}")))
    return out


# -- drawing: helper processes -----------------------------------------------------------------
class _HelperGone(Exception):
    """The helper process exited (idle, killed, or it could not start)."""


class _Helper:
    """One `python -m app.demo serve` process: a JSON line in, a JSON line out, per clip."""

    def __init__(self) -> None:
        root = str(Path(__file__).resolve().parents[1])
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        env.pop("OPENCV_FFMPEG_IS_THREAD_SAFE", None)  # the wall's decoding option: a warning
        self.proc = subprocess.Popen([sys.executable, "-m", "app.demo", "serve"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
                                     close_fds=True)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def draw(self, path: Path, spec: DemoSpec, camera_id: str, title: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        job = {"path": str(path), "spec": asdict(spec), "camera_id": camera_id, "title": title}
        try:
            self.proc.stdin.write((json.dumps(job) + "\n").encode("utf-8"))
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except OSError as exc:  # BrokenPipeError: it had left
            raise _HelperGone(str(exc)) from None
        if not line:
            raise _HelperGone(f"helper exited ({self.proc.wait()})")
        reply = json.loads(line)
        if not reply.get("ok"):
            raise RuntimeError(reply.get("error") or "the helper could not draw the clip")

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class _Pool:
    """At most `workers` clips drawn at once, each by an idle or new helper process."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._idle: list[_Helper] = []
        self._failures = 0

    def draw(self, path: Path, spec: DemoSpec, camera_id: str, title: str) -> None:
        with self._slots:
            for _ in range(2):
                if self.workers == 0 or self._failures >= 2:
                    break
                helper = self._take()
                if helper is None:
                    break
                try:
                    helper.draw(path, spec, camera_id, title)
                except _HelperGone as exc:
                    helper.close()
                    with self._lock:
                        self._failures += 1
                        if self._failures >= 2:
                            log.warning("demo clips: helper processes keep failing (%s); "
                                        "drawing in this process from now on", exc)
                    continue
                except Exception:
                    self._give(helper)
                    raise
                self._give(helper)
                with self._lock:
                    self._failures = 0
                return
            write_clip(path, spec, camera_id, title)  # in this thread

    def _take(self) -> _Helper | None:
        with self._lock:
            while self._idle:
                helper = self._idle.pop()
                if helper.alive():
                    return helper
                helper.close()  # left after being idle: reap it
        try:
            return _Helper()
        except OSError as exc:
            with self._lock:
                self._failures = 2
            log.warning("demo clips: cannot start a helper process (%s); drawing in this "
                        "process from now on", exc)
            return None

    def _give(self, helper: _Helper) -> None:
        with self._lock:
            self._idle.append(helper)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for helper in idle:
            helper.close()


def workers() -> int:
    """Helper processes drawing clips: NAZAR_DEMO_WORKERS, else the CPUs (at most 4)."""
    raw = os.environ.get("NAZAR_DEMO_WORKERS", "").strip()
    if raw:
        try:
            return max(0, min(16, int(raw)))
        except ValueError:
            log.warning("NAZAR_DEMO_WORKERS=%s is not a number; ignored", raw)
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return max(1, min(MAX_WORKERS, cpus))


_pools_lock = threading.Lock()
_pools: dict[int, _Pool] = {}


def _pool() -> _Pool:
    n = workers()
    with _pools_lock:
        if not _pools:
            atexit.register(close_helpers)
        return _pools.setdefault(n, _Pool(n))


def close_helpers() -> None:
    """Let the idle helper processes go (they also leave on their own when idle or orphaned)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()


def _serve() -> int:
    """The helper process: draw the clips asked for on stdin, one JSON reply line each."""
    parent = os.getppid()
    # Ctrl+C in the terminal reaches the whole process group: the wall handles it and closes,
    # and this process then leaves at the end of its pipe (no traceback from here).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the replies
    jobs = os.fdopen(0, "rb", buffering=0)
    orphaned: Callable[[], bool] = lambda: os.getppid() != parent  # noqa: E731
    while True:
        ready, _, _ = select.select([jobs], [], [], HELPER_IDLE_S)
        if not ready:
            return 0  # idle: leave; the parent starts another when it needs one
        line = jobs.readline()
        if not line:
            return 0  # the parent closed the pipe or is gone
        job = json.loads(line)
        path = Path(job["path"])
        reply: dict[str, object]
        try:
            write_clip(path, DemoSpec(**job["spec"]), job["camera_id"], job["title"],
                       stop=orphaned)
            reply = {"ok": True}
        except _Abandoned:
            with contextlib.suppress(OSError):
                path.unlink()
            return 0
        except Exception as exc:  # noqa: BLE001 - reported to the caller, which raises it
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            replies.write(json.dumps(reply) + "\n")
            replies.flush()
        except BrokenPipeError:  # the wall exited while this clip was drawn: nothing to say
            os._exit(0)  # not sys.exit: the unflushed reply would raise again at exit


# -- drawing: the pictures and the encoders ----------------------------------------------------
class _Abandoned(Exception):
    """The process that asked for the clip is gone."""


def write_clip(path: Path, spec: DemoSpec, camera_id: str, title: str,
               stop: Callable[[], bool] | None = None) -> None:
    """Draw the clip into `path`: H.264 in MP4 for an .mp4 path, else MJPEG (in .avi)."""
    painter = Painter(spec, camera_id, title)
    if path.suffix == ".mp4":
        _write_h264(path, spec, painter, stop)
    else:
        _write_mjpeg(path, spec, painter, stop)


def _write_h264(path: Path, spec: DemoSpec, painter: Painter,
                stop: Callable[[], bool] | None) -> None:
    import av

    rate = Fraction(spec.fps).limit_denominator(1001)
    gop = keyframe_interval(spec)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=rate)
        ctx = stream.codec_context
        ctx.width, ctx.height, ctx.pix_fmt = spec.width, spec.height, "yuv420p"
        ctx.gop_size = gop
        ctx.thread_count = 1  # one clip per process: the processes are the parallelism
        # What cv2.COLOR_BGR2YUV_I420 produces, and what the decoder's conversion expects.
        ctx.color_range = 1  # MPEG ("TV", 16-235)
        ctx.colorspace = ctx.color_primaries = ctx.color_trc = 6  # SMPTE 170M (BT.601)
        ctx.options = {"preset": H264_PRESET, "crf": str(H264_CRF), "keyint_min": str(gop),
                       "sc_threshold": "0", "bf": "0"}
        for i, i420 in enumerate(painter.i420_frames()):
            if stop is not None and i % gop == 0 and stop():
                raise _Abandoned()
            frame = av.VideoFrame.from_ndarray(i420, format="yuv420p")
            frame.pts = i
            frame.time_base = 1 / rate
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def _write_mjpeg(path: Path, spec: DemoSpec, painter: Painter,
                 stop: Callable[[], bool] | None) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), spec.fps,
                             (spec.width, spec.height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write an MJPEG clip to {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 70)
    gop = keyframe_interval(spec)
    try:
        for i, bgr in enumerate(painter.bgr_frames()):
            if stop is not None and i % gop == 0 and stop():
                raise _Abandoned()
            writer.write(bgr)
    finally:
        writer.release()


def _ascii(text: str) -> str:
    # cv2.putText only has ASCII glyphs; the tile caption shows the full (e.g. Bengali) name.
    out = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in text)
    return " ".join(out.split())


Mover = tuple[float, float, int, tuple[int, int, int], float]


class Painter:
    """A clip's pictures. The static parts are drawn once into `background`; frame i is the
    background with the rows in `bands` restored and the moving parts drawn over them."""

    def __init__(self, spec: DemoSpec, camera_id: str, title: str) -> None:
        self.spec = spec
        rng = np.random.default_rng(zlib.crc32(camera_id.encode("utf-8")))
        self.background = _background(spec, rng)
        self.movers = _movers(spec, rng)
        w, h = spec.width, spec.height
        s = h / 360.0
        label = _ascii(title)[:48]
        # Below the band where the tile paints its own caption.
        cv2.putText(self.background, f"{camera_id}  {label}", (int(8 * s), int(58 * s)),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.5 * s, (245, 245, 245), max(1, int(s)),
                    cv2.LINE_AA)
        cv2.putText(self.background, f"DEMO FEED  {spec.scene}", (w - int(170 * s),
                    h - int(10 * s)), cv2.FONT_HERSHEY_SIMPLEX, 0.45 * s, (200, 230, 255),
                    max(1, int(s)), cv2.LINE_AA)
        self.bands = _changing_rows(spec, self.movers)

    def draw_moving(self, frame: np.ndarray, i: int) -> None:
        """The parts that move, drawn into `frame` for frame number i."""
        spec = self.spec
        t = i / spec.fps
        s = spec.height / 360.0
        for lane_y, speed, length, colour, phase in self.movers:
            span = spec.width + length
            x = int((phase + speed * t * s) % span) - length
            y = int(lane_y)
            cv2.rectangle(frame, (x, y), (x + length, y + int(18 * s)), colour, -1)
        _clock(frame, t, s)

    def bgr_frames(self) -> Iterator[np.ndarray]:
        """Every frame as BGR, in one buffer reused from frame to frame."""
        frame = self.background.copy()
        for i in range(frames_in_clip(self.spec)):
            for y0, y1 in self.bands:
                frame[y0:y1] = self.background[y0:y1]
            self.draw_moving(frame, i)
            yield frame

    def i420_frames(self) -> Iterator[np.ndarray]:
        """Every frame as I420 (Y, U, V planes; h*3/2 rows), only the changing rows converted."""
        w, h = self.spec.width, self.spec.height
        i420 = cv2.cvtColor(self.background, cv2.COLOR_BGR2YUV_I420)
        flat = i420.reshape(-1)
        u0, v0 = w * h, w * h * 5 // 4
        for bgr in self.bgr_frames():
            for y0, y1 in self.bands:
                part = cv2.cvtColor(bgr[y0:y1], cv2.COLOR_BGR2YUV_I420).reshape(-1)
                n = (y1 - y0) * w
                flat[y0 * w:y1 * w] = part[:n]
                flat[u0 + y0 * w // 4:u0 + y1 * w // 4] = part[n:n + n // 4]
                flat[v0 + y0 * w // 4:v0 + y1 * w // 4] = part[n + n // 4:]
            yield i420


def _changing_rows(spec: DemoSpec, movers: list[Mover]) -> list[tuple[int, int]]:
    """Row ranges (even bounds, merged) that hold everything `draw_moving` can touch."""
    h = spec.height
    s = h / 360.0
    _, cy, r = _clock_face(spec.width, h, s)
    spans = [(cy - r - int(4 * s) - 2, cy + r + int(26 * s) + 2)]  # face, rim, ":SS" below
    for lane_y, *_ in movers:
        spans.append((int(lane_y) - 2, int(lane_y) + int(18 * s) + 2))
    out: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        a = max(0, a - a % 2)
        b = min(h, b + b % 2)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        elif a < b:
            out.append((a, b))
    return out


def _background(spec: DemoSpec, rng: np.random.Generator) -> np.ndarray:
    w, h = spec.width, spec.height
    hue = int(rng.integers(0, 180))
    top = np.array([hue, 60, 150 if spec.scene in _OUTDOOR else 110], np.uint8)
    bottom = np.array([(hue + 20) % 180, 90, 70], np.uint8)
    ramp = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    hsv = (top[None, :] * (1 - ramp) + bottom[None, :] * ramp).astype(np.uint8)
    img = cv2.cvtColor(np.repeat(hsv[:, None, :], w, axis=1), cv2.COLOR_HSV2BGR)
    if spec.scene in _OUTDOOR:  # a road with lane markings
        y0, y1 = int(h * 0.55), int(h * 0.9)
        cv2.rectangle(img, (0, y0), (w, y1), (60, 60, 60), -1)
        for x in range(0, w, max(8, w // 12)):
            cv2.line(img, (x, (y0 + y1) // 2), (x + w // 30, (y0 + y1) // 2), (220, 220, 220),
                     max(1, h // 120))
    else:  # floor tiles and shop fronts
        for x in range(0, w, max(8, w // 8)):
            cv2.rectangle(img, (x + 4, int(h * 0.2)), (x + w // 10, int(h * 0.5)),
                          tuple(int(v) for v in rng.integers(60, 200, 3)), -1)
        for x in range(0, w, max(8, w // 16)):
            cv2.line(img, (x, int(h * 0.6)), (x - w // 8, h), (90, 90, 90), 1)
    return img


def _movers(spec: DemoSpec, rng: np.random.Generator) -> list[Mover]:
    h = spec.height
    s = h / 360.0
    lanes = (0.6, 0.72, 0.8) if spec.scene in _OUTDOOR else (0.65, 0.78)
    out: list[Mover] = []
    for _ in range(int(rng.integers(3, 7))):
        lane = float(rng.choice(lanes)) * h
        speed = float(rng.uniform(40, 160)) * (1 if rng.random() < 0.5 else -1)
        length = int(rng.uniform(30, 90) * s) if spec.scene in _OUTDOOR else int(14 * s)
        c = rng.integers(40, 255, 3)
        out.append((lane, speed, length, (int(c[0]), int(c[1]), int(c[2])),
                    float(rng.uniform(0, spec.width))))
    return out


def _clock_face(w: int, h: int, s: float) -> tuple[int, int, int]:
    """Centre x, centre y and radius of the clock face, top right."""
    r = int(34 * s)
    return w - r - int(10 * s), r + int(46 * s), r


def _clock(frame: np.ndarray, t: float, s: float) -> None:
    """A clock face, top right, whose second hand completes a turn every 60 s of the clip."""
    h, w = frame.shape[:2]
    cx, cy, r = _clock_face(w, h, s)
    cv2.circle(frame, (cx, cy), r, (30, 30, 30), -1)
    cv2.circle(frame, (cx, cy), r, (230, 230, 230), max(1, int(2 * s)))
    for k in range(12):
        a = k * math.pi / 6
        cv2.line(frame, (int(cx + 0.8 * r * math.sin(a)), int(cy - 0.8 * r * math.cos(a))),
                 (int(cx + r * math.sin(a)), int(cy - r * math.cos(a))), (230, 230, 230), 1)
    a = (t % 60) / 60 * 2 * math.pi
    cv2.line(frame, (cx, cy), (int(cx + 0.9 * r * math.sin(a)), int(cy - 0.9 * r * math.cos(a))),
             (40, 40, 255), max(1, int(2 * s)), cv2.LINE_AA)
    cv2.putText(frame, f":{int(t) % 60:02d}", (cx - int(14 * s), cy + r + int(16 * s)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5 * s, (255, 255, 255), max(1, int(s)), cv2.LINE_AA)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["serve"]:
        return _serve()
    print("usage: python -m app.demo serve   (a helper process of ensure_clip)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
