"""Decoders: a stream in, pictures out, scaled before their colours are converted.

    PyAV (FFmpeg's libraries)                    OpenCV
    demux -> decode (YUV planes) -> resize each plane to the tile's size -> YUV -> BGRA

OpenCV's own `VideoCapture.read()` always converts the whole frame from YUV to BGR; the wall
then scaled it and converted it again. Decoding with PyAV leaves the picture in its YUV
planes; each plane is resized with `cv2.resize` to the tile's size and only then converted
(`cv2.cvtColor(..., COLOR_YUV2BGRA_I420)`), so the colour conversion runs on the tile's
pixels, not the camera's (BENCHMARKS.md, "Decode path", has the figures of each way tried).

Both decoders are kept behind one small interface (`Capture.read() -> Picture`), chosen by
`NAZAR_DECODER` (`pyav`, the default, or `opencv`), so that the benchmark can measure one
against the other in the same run, and so that a console whose PyAV build misbehaves can go
back to OpenCV without a new release.

Decoder facts that come with PyAV: open and read timeouts, TCP for RTSP, one decoder thread
per stream, each packet's keyframe flag (the camera's keyframe interval is measured and shown
in the tile's info), keyframe-only standby (`skip_frame`), and hardware decoding where the
console has it (`detect_hwaccel`).
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

log = logging.getLogger(__name__)

DECODERS = ("pyav", "opencv")
# A live camera whose packets queue up this far behind their own timestamps (the console
# cannot decode them all in time) decodes keyframes only until it is back within CAUGHT_UP_S.
LATE_S = 1.0
CAUGHT_UP_S = 0.25
DRIFT = 0.002  # s per s: a camera's clock running slow against the console's is not "late"


def decoder_name() -> str:
    """The decoder chosen for this process: NAZAR_DECODER, or PyAV."""
    name = os.environ.get("NAZAR_DECODER", "pyav").strip().lower() or "pyav"
    if name not in DECODERS:
        log.warning("NAZAR_DECODER=%s is not one of %s; using pyav", name, ", ".join(DECODERS))
        return "pyav"
    return name


# -- paint-ready buffers -----------------------------------------------------------------------
class BufferPool:
    """Frame buffers for one worker, reused once nobody else holds them.

    A buffer handed to the slot may be held by the slot, by tiles (their Frame and the QImage
    wrapping it) or by a snapshot being saved; each of those is a reference. take() returns a
    buffer that only the pool refers to, so a frame is never written after it was handed over:
    the GUI can only obtain a frame from the slot, which holds a reference while it has it.
    """

    # sys.getrefcount of a buffer that only the pool holds, seen from take()'s loop: the
    # pool's list, the loop variable and getrefcount's own argument.
    FREE_REFS = 3

    def __init__(self, keep: int = 4, shapes: int = 4) -> None:
        self._by_shape: dict[tuple[int, ...], list[np.ndarray]] = {}  # least recent first
        self._keep = keep  # per shape; 3 suffice for one tile: slot, tile, worker
        self._shapes = shapes  # the scale-then-convert path uses two (I420 and BGRA)
        self.allocated = 0

    def take(self, shape: tuple[int, ...]) -> np.ndarray:
        buffers = self._by_shape.pop(shape, [])
        self._by_shape[shape] = buffers  # now the most recently used shape
        for buf in buffers:
            if sys.getrefcount(buf) <= self.FREE_REFS:
                return buf
        buf = np.empty(shape, np.uint8)
        self.allocated += 1
        buffers[:] = buffers[max(0, len(buffers) - self._keep + 1):] + [buf]
        while len(self._by_shape) > self._shapes:  # sizes no longer asked for are done with
            del self._by_shape[next(iter(self._by_shape))]
        return buf


# -- decode lanes ---------------------------------------------------------------------------
class DecodeLanes:
    """At most one stream per core runs its Python and decoding at a time.

    Each stream has its own thread, and each thread waits for the network without the GIL.
    But after every packet it runs Python (the packet, the decoder's calls, the conversion),
    and CPython's GIL is not fair: with 64 threads taking it back after every call, the GUI
    thread waited for it at each of its own Qt calls and the wall fell to one picture a
    second (BENCHMARKS.md, "The GIL and 64 cameras"). A stream that has a packet first
    takes a lane (a plain lock; a thread waiting for one sleeps without the GIL), then
    decodes, converts and hands over the picture, and leaves the lane before it waits for
    the network again. Only as many threads as lanes then race the GUI for the GIL.
    Measured, 64 x 360p15 on 2 cores: event-loop lag p99 3.3 s -> 19-33 ms, capture-to-paint
    p99 5 s -> 30-50 ms; the two cores then decode about three quarters of the frames, and the
    cameras that fall behind skip frames to stay current (`Pace`)."""

    def __init__(self, count: int) -> None:
        self._locks = [threading.Lock() for _ in range(max(1, count))]
        self._next = 0

    def __len__(self) -> int:
        return len(self._locks)

    def home(self) -> int:
        """A new stream's lane, in turn round the lanes (it keeps it while open)."""
        self._next = (self._next + 1) % len(self._locks)
        return self._next

    def enter(self, home: int) -> threading.Lock:
        """Wait for the stream's own lane, and take it."""
        lock = self._locks[home % len(self._locks)]
        lock.acquire()
        return lock

    def busy(self) -> int:
        """Lanes held now (tests: none are left held)."""
        return sum(lock.locked() for lock in self._locks)


def lane_count() -> int:
    """NAZAR_DECODE_LANES, or the cores this process may run on."""
    raw = os.environ.get("NAZAR_DECODE_LANES", "").strip()
    if raw:
        try:
            return max(1, int(raw))
        except ValueError:
            log.warning("NAZAR_DECODE_LANES=%s is not a number; using the cores", raw)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 2


_lanes_lock = threading.Lock()
_lanes: DecodeLanes | None = None


def decode_lanes() -> DecodeLanes:
    """The process's lanes, made at the first stream opened."""
    global _lanes
    with _lanes_lock:
        if _lanes is None:
            _lanes = DecodeLanes(lane_count())
        return _lanes


def even_size(width: int, height: int) -> tuple[int, int]:
    """YUV 4:2:0 needs even sides: round down, at least 2."""
    return max(2, width - width % 2), max(2, height - height % 2)


# -- what a decoder returns ---------------------------------------------------------------------
class Picture(Protocol):
    """One decoded picture, not yet converted."""

    @property
    def size(self) -> tuple[int, int]:  # width, height as decoded
        ...

    keyframe: bool

    def to_bgra(self, size: tuple[int, int] | None, pool: BufferPool) -> np.ndarray:
        """Paint-ready BGRA at `size` (None: as decoded), in a buffer taken from `pool`."""
        ...

    def to_bgr(self) -> np.ndarray:
        """A new full-resolution BGR array (snapshots)."""
        ...


class Capture(Protocol):
    """An open stream. `read()` blocks for at most the read timeout. It may return holding a
    decode lane (PyAV): the caller leaves it (`leave()`) once it has handed the picture over,
    and before it waits for anything else."""

    decoder: str  # for the tile's info: "h264 · PyAV software", "OpenCV"
    keyframes_only_wanted: bool  # standby: decode keyframes only (any thread may set it)
    # Of the last read(): the seconds it waited for its decode lane (other cameras decoding),
    # not for the camera. A read timed against the read timeout leaves this out.
    lane_wait_s: float

    def read(self) -> Picture | None:  # None: the stream ended or broke (see `error`)
        ...

    def rewind(self) -> bool:  # files: back to the start (looping); False: cannot
        ...

    def keyframe_interval_s(self) -> float | None:  # measured from keyframe timestamps
        ...

    def leave(self) -> None:  # done with the picture read: free the decode lane, if held
        ...

    def release(self) -> None:
        ...


# -- the scale-then-convert path -------------------------------------------------------------
# cv2.cvtColor's YUV -> BGR conversions expect limited-range ("TV", 16-235) BT.601 samples;
# JPEG-range pictures (MJPEG, some cameras' H.264) are mapped to it on the small planes.
_Y_FULL_TO_TV = (219.0 / 255.0, 16.0)
_C_FULL_TO_TV = (224.0 / 255.0, 128.0 - 128.0 * 224.0 / 255.0)
_PLANAR_YUV = {"yuv420p", "yuvj420p", "yuv422p", "yuvj422p", "yuv444p", "yuvj444p",
               "yuv440p", "yuvj440p", "yuv411p", "yuv410p"}
_SEMI_PLANAR = {"nv12"}  # what hardware decoders hand back


def _plane(frame: Any, index: int, width: int, height: int, channels: int = 1) -> np.ndarray:
    """A plane of an av.VideoFrame as a numpy view (no copy), without its line padding."""
    p = frame.planes[index]
    arr = np.frombuffer(p, np.uint8).reshape(-1, p.line_size)[:height, :width * channels]
    return arr if channels == 1 else arr.reshape(height, width, channels)


def yuv_to_bgra(frame: Any, size: tuple[int, int] | None, pool: BufferPool) -> np.ndarray:
    """An av.VideoFrame to BGRA at `size`: resize the YUV planes first, convert second.

    Planar YUV of any subsampling (4:2:0, 4:2:2, 4:4:4 ...) and NV12 take the fast path: the
    chroma planes are resized straight to the output's 4:2:0 size. Other formats (RGB,
    10-bit ...) are converted by FFmpeg to BGR first (correct, slower)."""
    w, h = frame.width, frame.height
    tw, th = even_size(*(size or (w, h)))
    fmt = frame.format.name
    full_range = fmt.startswith("yuvj") or getattr(frame, "color_range", 0) == 2
    if fmt in _PLANAR_YUV:
        i420 = pool.take((th * 3 // 2, tw))  # Y, then U, then V: one I420 buffer
        flat = i420.reshape(-1)
        cw, ch = tw // 2, th // 2
        y = flat[:tw * th].reshape(th, tw)
        u = flat[tw * th:tw * th + cw * ch].reshape(ch, cw)
        v = flat[tw * th + cw * ch:tw * th + 2 * cw * ch].reshape(ch, cw)
        pw, ph = frame.planes[1].width, frame.planes[1].height
        cv2.resize(_plane(frame, 0, w, h), (tw, th), dst=y, interpolation=cv2.INTER_LINEAR)
        cv2.resize(_plane(frame, 1, pw, ph), (cw, ch), dst=u, interpolation=cv2.INTER_LINEAR)
        cv2.resize(_plane(frame, 2, pw, ph), (cw, ch), dst=v, interpolation=cv2.INTER_LINEAR)
        if full_range:
            cv2.convertScaleAbs(y, dst=y, alpha=_Y_FULL_TO_TV[0], beta=_Y_FULL_TO_TV[1])
            cv2.convertScaleAbs(u, dst=u, alpha=_C_FULL_TO_TV[0], beta=_C_FULL_TO_TV[1])
            cv2.convertScaleAbs(v, dst=v, alpha=_C_FULL_TO_TV[0], beta=_C_FULL_TO_TV[1])
        code = cv2.COLOR_YUV2BGRA_I420
    elif fmt in _SEMI_PLANAR:
        i420 = pool.take((th * 3 // 2, tw))
        flat = i420.reshape(-1)
        cw, ch = tw // 2, th // 2
        y = flat[:tw * th].reshape(th, tw)
        uv = flat[tw * th:tw * th + 2 * cw * ch].reshape(ch, cw, 2)
        cv2.resize(_plane(frame, 0, w, h), (tw, th), dst=y, interpolation=cv2.INTER_LINEAR)
        cv2.resize(_plane(frame, 1, w // 2, h // 2, 2), (cw, ch), dst=uv,
                   interpolation=cv2.INTER_LINEAR)
        if full_range:
            cv2.convertScaleAbs(y, dst=y, alpha=_Y_FULL_TO_TV[0], beta=_Y_FULL_TO_TV[1])
            cv2.convertScaleAbs(uv, dst=uv, alpha=_C_FULL_TO_TV[0], beta=_C_FULL_TO_TV[1])
        code = cv2.COLOR_YUV2BGRA_NV12
    else:
        bgr = frame.to_ndarray(format="bgr24")
        return bgr_to_bgra(bgr, (tw, th) if size else None, pool)
    out = pool.take((th, tw, 4))
    cv2.cvtColor(i420, code, dst=out)
    return out


def bgr_to_bgra(bgr: np.ndarray, size: tuple[int, int] | None, pool: BufferPool) -> np.ndarray:
    """The OpenCV path: a full BGR frame resized, then converted to BGRA."""
    h, w = bgr.shape[:2]
    if size is not None and size != (w, h):
        tw, th = size
        scaled = pool.take((th, tw, 3))
        bgr = cv2.resize(bgr, (tw, th), dst=scaled, interpolation=cv2.INTER_LINEAR)
    out = pool.take((bgr.shape[0], bgr.shape[1], 4))
    cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA, dst=out)
    return out


@dataclass
class AVPicture:
    frame: Any  # av.VideoFrame, held (reference counted by FFmpeg) until the next one
    keyframe: bool

    @property
    def size(self) -> tuple[int, int]:
        return int(self.frame.width), int(self.frame.height)

    def to_bgra(self, size: tuple[int, int] | None, pool: BufferPool) -> np.ndarray:
        return yuv_to_bgra(self.frame, size, pool)

    def to_bgr(self) -> np.ndarray:
        return np.ascontiguousarray(self.frame.to_ndarray(format="bgr24"))


@dataclass
class BGRPicture:
    image: np.ndarray  # full BGR, from OpenCV
    keyframe: bool = False  # OpenCV does not say

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    def to_bgra(self, size: tuple[int, int] | None, pool: BufferPool) -> np.ndarray:
        return bgr_to_bgra(self.image, size, pool)

    def to_bgr(self) -> np.ndarray:
        return self.image.copy()


# -- hardware decoding -------------------------------------------------------------------------
@dataclass(frozen=True)
class HWChoice:
    kind: str | None  # "vaapi", "cuda" ... or None: software
    line: str  # what the log says, once, at start


HW_CANDIDATES: dict[str, tuple[str, ...]] = {  # device type: device nodes it needs
    "vaapi": ("/dev/dri/renderD128",),  # Intel and AMD, with a system-built FFmpeg
    "qsv": ("/dev/dri/renderD128",),  # Intel Quick Sync (in PyAV's wheel)
    "cuda": ("/dev/nvidia0", "/dev/nvidiactl"),  # NVIDIA NVDEC (in PyAV's wheel)
}


def detect_hwaccel(wanted: str = "auto", available: Callable[[], list[str]] | None = None,
                   exists: Callable[[str], bool] = os.path.exists,
                   probe: Callable[[str], str | None] | None = None) -> HWChoice:
    """Which hardware decoder to use: `wanted` is "auto" (the first that works), "off", or a
    device type. A candidate must be built into FFmpeg, have its device node, and decode a
    real H.264 picture (`probe`); anything less falls back to software, and the returned
    line says why."""
    wanted = (wanted or "auto").strip().lower()
    if wanted in ("off", "none", "software", "no"):
        return HWChoice(None, "decoding: software (hardware decoding turned off)")
    if available is None:
        from av.codec.hwaccel import hwdevices_available
        available = hwdevices_available
    built = set(available())
    names = list(HW_CANDIDATES) if wanted == "auto" else [wanted]
    why: list[str] = []
    for name in names:
        if name not in built:
            why.append(f"{name}: not in this FFmpeg build")
            continue
        missing = [p for p in HW_CANDIDATES.get(name, ()) if not exists(p)]
        if missing:
            why.append(f"{name}: no {missing[0]}")
            continue
        problem = (probe or _probe_hw)(name)
        if problem:
            why.append(f"{name}: {problem}")
            continue
        return HWChoice(name, f"decoding: hardware ({name}), software when a stream needs it")
    return HWChoice(None, "decoding: software (no hardware decoder: " + "; ".join(why) + ")")


def _probe_hw(kind: str) -> str | None:
    """Decode one real H.264 picture on the device, without software fall-back."""
    import av
    from av.codec.hwaccel import HWAccel
    try:
        sample = _h264_sample()
        with av.open(str(sample), hwaccel=HWAccel(kind, allow_software_fallback=False)) as c:
            for _ in c.decode(video=0):
                return None
        return "decoded nothing"
    except Exception as exc:  # noqa: BLE001 - any failure means: not this device
        return str(exc) or type(exc).__name__


def _h264_sample() -> Path:
    """A small H.264 clip to probe a hardware decoder with: resources/probe-h264.mp4 (made
    by `python -m app.decoders sample`), or a temporary one if that is missing."""
    path = Path(__file__).resolve().parents[1] / "resources" / "probe-h264.mp4"
    if path.is_file():
        return path
    import tempfile
    tmp = Path(tempfile.gettempdir()) / f"nazar-probe-h264-{os.getpid()}.mp4"
    if not tmp.is_file():
        write_h264_sample(tmp)
    return tmp


def write_h264_sample(path: Path) -> None:
    import av
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=25)
        s.width, s.height, s.pix_fmt = 320, 240, "yuv420p"
        for i in range(5):
            img = np.full((240, 320, 3), 40 * i, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)


_hw_lock = threading.Lock()
_hw_choice: HWChoice | None = None


def hwaccel_choice() -> HWChoice:
    """The process's hardware-decoding choice (NAZAR_HWACCEL: auto, off, vaapi, cuda),
    detected once (app.feeds.configure_decoding logs it at start)."""
    global _hw_choice
    with _hw_lock:
        if _hw_choice is None:
            _hw_choice = detect_hwaccel(os.environ.get("NAZAR_HWACCEL", "auto"))
        return _hw_choice


# -- keeping up with a live camera -------------------------------------------------------------
class Pace:
    """How late a live camera's packets are read, and whether to skip them to catch up.

    A camera sends in real time. When the console cannot decode all its frames in time (more
    cameras than its cores can take), the packets queue up in the connection, and the tile
    would show an ever older picture as live. How late a packet is: the time since the stream
    was last on time, less the stream time since then (its decode timestamps). Late by more
    than LATE_S: keyframes only (the other packets are skipped undecoded, so the queue drains
    at once) until it is within CAUGHT_UP_S; the caller then waits for the next keyframe,
    since the skipped frames were references. A camera clock running slow by up to DRIFT is
    forgiven, so that a 24-hour shift never adds up to "late"; timestamps that start again
    (a camera's restart) start the measure again."""

    def __init__(self) -> None:
        self._on_time: tuple[float, float] | None = None  # (arrival, stream time)
        self._last = (0.0, 0.0)  # the previous packet's (arrival, stream time)
        self.behind_s = 0.0
        self.catching_up = False

    def packet(self, t: float, arrived: float, keyframe: bool) -> tuple[bool, bool]:
        """(skip this packet, just caught up: resume at the next keyframe)."""
        last_arrival, last_t = self._last
        self._last = (arrived, t)
        if self._on_time is None or t < last_t - 1.0:  # the first packet, or time restarted
            self._on_time = (arrived, t)
        else:  # a slow camera clock is not lateness
            a0, t0 = self._on_time
            self._on_time = (a0 + DRIFT * max(0.0, arrived - last_arrival), t0)
        a0, t0 = self._on_time
        behind = (arrived - a0) - (t - t0)
        if behind < 0.0:  # on time (or ahead): the new reference
            self._on_time, behind = (arrived, t), 0.0
        self.behind_s = behind
        caught_up = False
        if not self.catching_up and behind > LATE_S:
            self.catching_up = True
        elif self.catching_up and behind < CAUGHT_UP_S:
            self.catching_up, caught_up = False, True
        return self.catching_up and not keyframe, caught_up


# -- PyAV --------------------------------------------------------------------------------------
class OpenFailed(Exception):
    """Could not open (connect, authenticate, find a video stream): the message says why."""


class PyAVCapture:
    """A stream decoded by PyAV: one decoder thread, keyframe flags, keyframe-only standby."""

    def __init__(self, target: str, open_s: float, read_s: float,
                 hwaccel: str | None = None):
        import av
        options = {"analyzeduration": "500000"}  # cameras announce the codec in the SDP
        # The read timeout is FFmpeg's own socket timeout, not PyAV's `timeout=(open, read)`:
        # PyAV checks its read timeout in FFmpeg's interrupt callback, which takes the GIL at
        # every network poll and socket read of every stream (BENCHMARKS.md, "Decode path":
        # the GIL and 64 cameras). PyAV's timeout still bounds the whole open.
        read_us = str(int(read_s * 1_000_000))
        if target.lower().startswith(("rtsp://", "rtsps://")):
            options["rtsp_transport"] = "tcp"  # no UDP loss smearing the picture
            options["timeout"] = read_us  # RTSP: socket I/O timeout, microseconds
        elif "://" in target and not target.lower().startswith("file:"):
            options["rw_timeout"] = read_us  # HTTP (MJPEG) and other network protocols
        kwargs: dict[str, Any] = {"options": options, "timeout": (open_s, None)}
        if hwaccel:
            from av.codec.hwaccel import HWAccel
            kwargs["hwaccel"] = HWAccel(hwaccel, allow_software_fallback=True)
        self._av = av
        try:
            self._container = av.open(target, **kwargs)
        except av.error.FFmpegError as exc:
            raise OpenFailed(_av_message(exc)) from None
        except OSError as exc:
            raise OpenFailed(str(exc)) from None
        if not self._container.streams.video:
            self._container.close()
            raise OpenFailed("no video stream")
        self._stream = self._container.streams.video[0]
        ctx = self._stream.codec_context
        ctx.thread_count = 1  # one decoder thread per stream: as fast in total, no delay
        name = ctx.name or "video"
        self.decoder = f"{name} · PyAV " + (f"{hwaccel}" if hwaccel else "software")
        self._packets: Iterator[Any] = self._container.demux(self._stream)
        self._pending: list[Any] = []
        self._last_key: float | None = None
        self._interval: float | None = None
        self._keyframes_only = False
        self.keyframes_only_wanted = False  # set from any thread; applied at the next packet
        self.resume_not_before = 0.0  # monotonic: the catch-up after standby waits for it
        self._gop: list[Any] = []  # on standby: the packets since the last keyframe
        self._resume_at_key = False  # after a seek: wait for a keyframe (no smearing)
        self.error = ""
        self.corrupt = 0  # packets the decoder refused (shown in the log, not a failure)
        self.on_packet: Callable[[Any], None] | None = None  # every packet (recording)
        self.tap_failed = False
        self._lanes = decode_lanes()
        self._home = self._lanes.home()
        self._lane: threading.Lock | None = None  # held from a packet's arrival to leave()
        self.live = False  # a camera, not a file: keep up with it (drop frames when late)
        self.pace = Pace()
        self.dropped = 0  # frames not decoded to catch up
        self.lane_wait_s = 0.0

    @property
    def stream(self) -> Any:
        """The input stream (codec parameters: a muxer's template)."""
        return self._stream

    @property
    def fps(self) -> float | None:
        rate = self._stream.average_rate or self._stream.guessed_rate
        return float(rate) if rate else None

    def read(self) -> AVPicture | None:
        av = self._av
        self.lane_wait_s = 0.0
        while not self._pending:
            self.leave()  # the wait for the network: without a lane
            try:
                packet = next(self._packets)
                arrived = time.monotonic()
            except StopIteration:
                self.error = "stream ended"
                return None
            except av.error.FFmpegError as exc:
                self.error = _av_message(exc)
                return None
            except OSError as exc:
                self.error = str(exc)
                return None
            if packet.size and self.on_packet is not None:  # recorded even when not decoded
                try:
                    self.on_packet(packet)
                except Exception:  # noqa: BLE001 - recording trouble never stops the picture
                    if not self.tap_failed:
                        log.exception("packet tap failed (recording); the stream goes on")
                    self.tap_failed = True
            if self.live and not self._keyframes_only and self._late(packet, arrived):
                self.dropped += 1  # skipped without a lane: a late stream drains at once
                continue
            if self._resume_at_key and not packet.is_keyframe and \
                    not self.keyframes_only_wanted:
                continue  # (on standby, the packets since the keyframe are kept below)
            # After the tap, which may write to disk (recording): a slow disk holds up this
            # camera, never the others of its lane.
            waiting = time.monotonic()
            self._lane = self._lanes.enter(self._home)
            self.lane_wait_s += time.monotonic() - waiting
            if packet.is_keyframe and packet.pts is not None and packet.time_base:
                t = float(packet.pts * packet.time_base)
                if self._last_key is not None and t > self._last_key:
                    self._interval = t - self._last_key
                self._last_key = t
            if self.keyframes_only_wanted != self._keyframes_only and (
                    self.keyframes_only_wanted or time.monotonic() >= self.resume_not_before):
                self.set_keyframes_only(self.keyframes_only_wanted)
            if self._keyframes_only:  # kept to catch up at once when standby ends
                if packet.is_keyframe:
                    self._gop = [packet]
                elif self._gop:
                    self._gop.append(packet)
            if self._resume_at_key:
                if not packet.is_keyframe:
                    continue
                self._resume_at_key = False
                self._stream.codec_context.skip_frame = "DEFAULT"
            try:
                self._pending.extend(packet.decode())
            except av.error.InvalidDataError:
                self.corrupt += 1  # a damaged packet: the next keyframe repairs the picture
            except av.error.FFmpegError as exc:
                self.error = _av_message(exc)
                return None
        frame = self._pending.pop(0)
        return AVPicture(frame, bool(frame.key_frame))

    def _late(self, packet: Any, arrived: float) -> bool:
        """Skip this packet: the stream has fallen behind (see `Pace`)?"""
        ts = packet.dts if packet.dts is not None else packet.pts
        if ts is None or not packet.time_base:
            return False
        skip, caught_up = self.pace.packet(float(ts * packet.time_base), arrived,
                                           bool(packet.is_keyframe))
        if caught_up:
            self._resume_at_key = True  # the skipped frames were references
        return skip

    def rewind(self) -> bool:
        try:
            self._container.seek(0, stream=self._stream)
        except self._av.error.FFmpegError:
            return False
        self._stream.codec_context.flush_buffers()
        self._packets = self._container.demux(self._stream)
        self._pending.clear()
        return True

    def seek_frame(self, index: int) -> None:
        """Files: start at frame `index`, decoding from the keyframe before it. Some
        containers (MPEG-TS) seek only roughly, to any packet: decoding starts at the next
        keyframe, and when that is past the frame it seeks further back."""
        rate = self.fps or 25.0
        tb = self._stream.time_base
        if index <= 0 or not tb:
            return
        start = self._stream.start_time or 0
        target = int(index / rate / float(tb)) + start
        step = int(1.0 / float(tb))  # one second further back each time it overshoots
        pic: AVPicture | None = None
        for attempt in range(4):
            self._container.seek(max(start, target - attempt * step), stream=self._stream,
                                 backward=True)
            self._stream.codec_context.flush_buffers()
            self._packets = self._container.demux(self._stream)
            self._pending.clear()
            self._resume_at_key = True  # MPEG-TS may land mid-GOP: start at a keyframe
            pic = self.read()
            if pic is None:
                return
            if pic.frame.pts is None or pic.frame.pts <= target:
                break
        if pic is None:
            return
        frame = pic.frame
        while frame.pts is not None and frame.pts < target:  # up to the wanted frame
            nxt = self.read()
            if nxt is None:
                return
            frame = nxt.frame
        self._pending.insert(0, frame)

    def set_keyframes_only(self, on: bool) -> None:
        """Standby on: decode keyframes only. Off: decode the packets since the last
        keyframe again at once (their references were skipped), so that the next picture is
        current and whole instead of waiting up to a keyframe interval for the next key."""
        self.keyframes_only_wanted = on
        if on == self._keyframes_only:
            return
        self._keyframes_only = on
        ctx = self._stream.codec_context
        if on:
            ctx.skip_frame = "NONKEY"
            self._gop = []
            return
        ctx.skip_frame = "DEFAULT"
        gop, self._gop = self._gop, []
        if not gop:  # no keyframe seen on standby: start at the next one
            self._resume_at_key = True
            return
        ctx.flush_buffers()
        self._pending.clear()
        frames: list[Any] = []
        for packet in gop:
            try:
                frames.extend(packet.decode())
            except self._av.error.FFmpegError:
                self.corrupt += 1
        self._pending = frames[-1:]  # the newest picture only: the wall shows the present

    def keyframe_interval_s(self) -> float | None:
        return self._interval

    def leave(self) -> None:
        lane, self._lane = self._lane, None
        if lane is not None:
            lane.release()

    def release(self) -> None:
        self.leave()
        try:
            self._container.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may complain
            pass


def _av_message(exc: Exception) -> str:
    """FFmpeg's error, without the URL (which may hold a password): "Connection refused"."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).split(": '", 1)[0].strip() or type(exc).__name__


# -- OpenCV ------------------------------------------------------------------------------------
class OpenCVCapture:
    """A stream decoded by OpenCV's `VideoCapture` (full-size BGR): the older path."""

    decoder = "OpenCV"
    keyframes_only_wanted = False  # OpenCV cannot change it on an open stream: ignored
    lane_wait_s = 0.0  # no decode lanes

    def __init__(self, cap: Any):
        self._cap = cap
        self._pool = BufferPool(keep=3)
        self._shape: tuple[int, ...] | None = None
        self.error = ""

    def read(self) -> BGRPicture | None:
        buf = self._pool.take(self._shape) if self._shape else None
        ok, image = self._cap.read(buf)
        if not ok or image is None:
            self.error = "no frame"
            return None
        self._shape = image.shape
        return BGRPicture(image)

    def rewind(self) -> bool:
        return bool(self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0))

    def keyframe_interval_s(self) -> float | None:
        return None

    def leave(self) -> None:
        """OpenCV's read() waits for the network and decodes in one call: no lane."""

    def release(self) -> None:
        self._cap.release()


if __name__ == "__main__":  # python -m app.decoders sample: (re)make the probe clip
    if sys.argv[1:] == ["sample"]:
        write_h264_sample(Path(__file__).resolve().parents[1] / "resources" / "probe-h264.mp4")
