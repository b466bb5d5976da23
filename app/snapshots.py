"""Snapshots: the selected tile's current frame as a PNG, with a small JSON sidecar."""
from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path

import cv2
import numpy as np

from app.registry import Camera


def default_snapshot_dir() -> Path:
    pictures = os.environ.get("XDG_PICTURES_DIR")
    return (Path(pictures) if pictures else Path.home() / "Pictures") / "Nazar"


def operator_name() -> str:
    """Who is on duty: $NAZAR_OPERATOR if the console sets it, else the login name."""
    name = os.environ.get("NAZAR_OPERATOR")
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


class SnapshotWriter:
    def __init__(self, directory: Path | None = None):
        self.directory = Path(directory) if directory else default_snapshot_dir()

    def save(self, camera: Camera, frame_bgr: np.ndarray, stream: str = "main",
             source: str = "", now: dt.datetime | None = None) -> Path:
        """Write `<camera>_<YYYYmmdd-HHMMSS>.png` (full decoded resolution) and a .json beside it."""
        now = now or dt.datetime.now().astimezone()
        self.directory.mkdir(parents=True, exist_ok=True)
        safe_id = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in camera.id)
        stem = f"{safe_id}_{now.strftime('%Y%m%d-%H%M%S')}"
        path = self.directory / f"{stem}.png"
        n = 1
        while path.exists():  # two snapshots in one second keep both
            path = self.directory / f"{stem}-{n}.png"
            n += 1
        tmp = path.with_name(f".{path.name}.partial.png")
        if not cv2.imwrite(str(tmp), frame_bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1]):
            raise OSError(f"could not write {path}")
        os.replace(tmp, path)
        meta = {
            "camera": {"id": camera.id, "number": camera.number, "name": camera.name,
                       "ownership": camera.ownership, "station": camera.station,
                       "site": camera.site},
            "time": now.isoformat(timespec="seconds"),
            "operator": operator_name(),
            "stream": stream,
            "source": source,  # masked: never a password
            "width": int(frame_bgr.shape[1]),
            "height": int(frame_bgr.shape[0]),
            "image": path.name,
        }
        path.with_suffix(".json").write_text(json.dumps(meta, ensure_ascii=False, indent=2),
                                             encoding="utf-8")
        return path
