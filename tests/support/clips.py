"""Synthetic H.264 test clips, made with the system ``ffmpeg``, for the RTSP test server.

Clips are MPEG-TS files holding one H.264 stream (``testsrc2`` pattern, libx264, yuv420p,
Main profile, no B-frames, a closed GOP of ``gop`` frames and SPS/PPS before every IDR).

Why MPEG-TS: the server (``rtsp_server.py``) loops a clip with
``multifilesrc loop=true ! tsdemux``, i.e. it just feeds the file's bytes again and again.
A transport stream is designed to be concatenated: ``tsdemux`` sees the PCR/PTS jump back
at each wrap-around as a discontinuity and keeps its output timestamps running on, so the
stream is endless, paced in real time and needs neither transcoding nor seeking.  Raw
Annex-B would concatenate too, but carries no timestamps (``h264parse`` then only sets DTS
and ``rtph264pay`` emits frozen RTP timestamps); MP4 cannot be concatenated at all and would
need segment seeks inside the server's media pipeline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

__all__ = ["clip_name", "make_clip"]


def _safe_label(label: str) -> str:
    """``label`` reduced to characters safe in a file name and in an ffmpeg filter string."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-.") or "clip"


def clip_name(
    width: int, height: int, fps: int, seconds: float, gop: int, label: str | None = None
) -> str:
    """The cache file name: every encoding parameter is part of it."""
    stem = f"testsrc2_{width}x{height}_{fps}fps_{seconds:g}s_gop{gop}"
    return f"{stem}_{_safe_label(label)}.ts" if label else f"{stem}.ts"


def make_clip(
    path: str | os.PathLike[str],
    width: int,
    height: int,
    fps: int,
    seconds: float,
    gop: int | None = None,
    label: str | None = None,
) -> Path:
    """Make (or reuse) an H.264 MPEG-TS clip in the directory ``path`` and return its path.

    ``gop`` is the keyframe interval in frames (default ``2 * fps``).  ``label``, when given,
    is burnt into the picture (bottom left) and added to the file name.  A clip that already
    exists with the same parameters is reused; a new one is written under a temporary name
    and renamed, so an interrupted or concurrent run never leaves a truncated clip behind.
    """
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"width and height must be positive and even, got {width}x{height}")
    if fps <= 0 or seconds <= 0:
        raise ValueError(f"fps and seconds must be positive, got {fps} and {seconds}")
    gop = gop or 2 * fps
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (Debian package 'ffmpeg')")

    directory = Path(path)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / clip_name(width, height, fps, seconds, gop, label)
    if target.is_file() and target.stat().st_size > 0:
        return target

    video = f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds:g}"
    if label:
        size = max(12, height // 12)
        video += (
            f",drawtext=text={_safe_label(label)}:x={size // 2}:y=h-th-{size // 2}"
            f":fontsize={size}:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw={size // 4}"
        )
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    command = [
        ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", video,
        "-an", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main",
        "-pix_fmt", "yuv420p", "-bf", "0", "-g", str(gop), "-keyint_min", str(gop),
        "-sc_threshold", "0", "-f", "mpegts", str(partial),
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if result.returncode != 0:
            raise RuntimeError(
                f"ffmpeg failed ({result.returncode}) making {target.name}: {result.stderr.strip()}"
            )
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return target
