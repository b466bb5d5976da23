"""`demo://` feeds: moving pictures without cameras or network.

A demo source is a short MJPEG clip, drawn once per camera and cached on disk, then played
through exactly the same OpenCV decode path as a recorded file (looped and paced). The clip
shows the camera's id and name, moving traffic and a clock face whose second hand runs with
the real clock: the clip is 60 s long and playback starts at the current second, so a frozen
tile is visible at a glance.
"""
from __future__ import annotations

import hashlib
import math
import os
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

GENERATOR_VERSION = 4
CLIP_SECONDS = 60

SCENES = ("junction", "street", "bridge", "station", "atrium", "foodcourt", "entrance",
          "carpark", "lobby", "forecourt", "atm", "corridor", "gate")
_OUTDOOR = {"junction", "street", "bridge", "station", "carpark", "forecourt", "gate"}


@dataclass(frozen=True)
class DemoSpec:
    scene: str
    width: int
    height: int
    fps: float

    @classmethod
    def from_params(cls, scene: str, params: dict[str, str]) -> DemoSpec:
        """`demo://junction` (main, 1280x720 at 12 fps) or `demo://junction?size=sub` (640x360)."""
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


def clip_path(cache_dir: Path, spec: DemoSpec, camera_id: str, title: str) -> Path:
    key = f"{GENERATOR_VERSION}|{spec}|{camera_id}|{title}|{CLIP_SECONDS}"
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in camera_id)[:40]
    return cache_dir / f"{safe}-{spec.scene}-{spec.width}x{spec.height}-{digest}.avi"


def ensure_clip(cache_dir: Path, spec: DemoSpec, camera_id: str, title: str) -> Path:
    """Return the cached clip, drawing it first if needed (safe against concurrent callers)."""
    path = clip_path(cache_dir, spec, camera_id, title)
    if path.exists() and path.stat().st_size > 0:
        return path
    cache_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".avi", dir=cache_dir, prefix=".partial-")
    os.close(fd)
    try:
        _write_clip(Path(tmp), spec, camera_id, title)
        os.replace(tmp, path)  # atomic: readers never see half a clip
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def start_frame(spec: DemoSpec, wall_time: float) -> int:
    """The frame to start playing at so that the clip's second hand shows the real second."""
    return int((wall_time % CLIP_SECONDS) * spec.fps) % max(1, frames_in_clip(spec))


def frames_in_clip(spec: DemoSpec) -> int:
    return int(round(CLIP_SECONDS * spec.fps))


def _ascii(text: str) -> str:
    # cv2.putText only has ASCII glyphs; the tile caption shows the full (e.g. Bengali) name.
    out = "".join(ch if 32 <= ord(ch) < 127 else " " for ch in text)
    return " ".join(out.split())


def _write_clip(path: Path, spec: DemoSpec, camera_id: str, title: str) -> None:
    w, h, fps = spec.width, spec.height, spec.fps
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*"MJPG"), fps, (w, h))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write an MJPEG clip to {path}")
    writer.set(cv2.VIDEOWRITER_PROP_QUALITY, 70)
    seed = zlib.crc32(camera_id.encode("utf-8"))
    rng = np.random.default_rng(seed)
    background = _background(spec, rng)
    movers = _movers(spec, rng)
    label = _ascii(title)[:48]
    s = h / 360.0
    try:
        for i in range(frames_in_clip(spec)):
            t = i / fps
            frame = background.copy()
            for lane_y, speed, length, colour, phase in movers:
                span = w + length
                x = int((phase + speed * t * s) % span) - length
                y = int(lane_y)
                cv2.rectangle(frame, (x, y), (x + length, y + int(18 * s)), colour, -1)
            _clock(frame, t, s)
            # Below the band where the tile paints its own caption.
            cv2.putText(frame, f"{camera_id}  {label}", (int(8 * s), int(58 * s)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.5 * s, (245, 245, 245), max(1, int(s)),
                        cv2.LINE_AA)
            cv2.putText(frame, f"DEMO FEED  {spec.scene}", (w - int(170 * s), h - int(10 * s)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.45 * s, (200, 230, 255), max(1, int(s)),
                        cv2.LINE_AA)
            writer.write(frame)
    finally:
        writer.release()


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


def _movers(spec: DemoSpec, rng: np.random.Generator) -> list[tuple[float, float, int, tuple, float]]:
    h = spec.height
    s = h / 360.0
    lanes = (0.6, 0.72, 0.8) if spec.scene in _OUTDOOR else (0.65, 0.78)
    out = []
    for _ in range(int(rng.integers(3, 7))):
        lane = float(rng.choice(lanes)) * h
        speed = float(rng.uniform(40, 160)) * (1 if rng.random() < 0.5 else -1)
        length = int(rng.uniform(30, 90) * s) if spec.scene in _OUTDOOR else int(14 * s)
        colour = tuple(int(v) for v in rng.integers(40, 255, 3))
        out.append((lane, speed, length, colour, float(rng.uniform(0, spec.width))))
    return out


def _clock(frame: np.ndarray, t: float, s: float) -> None:
    """A clock face, top right, whose second hand completes a turn every 60 s of the clip."""
    h, w = frame.shape[:2]
    r = int(34 * s)
    cx, cy = w - r - int(10 * s), r + int(46 * s)
    cv2.circle(frame, (cx, cy), r, (30, 30, 30), -1)
    cv2.circle(frame, (cx, cy), r, (230, 230, 230), max(1, int(2 * s)))
    for k in range(12):
        a = k * math.pi / 6
        cv2.line(frame, (int(cx + 0.8 * r * math.sin(a)), int(cy - 0.8 * r * math.cos(a))),
                 (int(cx + r * math.sin(a)), int(cy - r * math.cos(a))), (230, 230, 230), 1)
    a = (t % CLIP_SECONDS) / CLIP_SECONDS * 2 * math.pi
    cv2.line(frame, (cx, cy), (int(cx + 0.9 * r * math.sin(a)), int(cy - 0.9 * r * math.cos(a))),
             (40, 40, 255), max(1, int(2 * s)), cv2.LINE_AA)
    cv2.putText(frame, f":{int(t) % 60:02d}", (cx - int(14 * s), cy + r + int(16 * s)),
                cv2.FONT_HERSHEY_SIMPLEX, 0.5 * s, (255, 255, 255), max(1, int(s)), cv2.LINE_AA)
