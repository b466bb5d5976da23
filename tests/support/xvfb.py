"""A real X server (Xvfb) for end-to-end runs, and screenshots of it."""
from __future__ import annotations

import os
import shutil
import subprocess
import time

import numpy as np


class Xvfb:
    """`with Xvfb() as x:` starts a virtual screen; `x.display` is e.g. ':99'."""

    def __init__(self, width: int = 1920, height: int = 1080):
        self.width, self.height = width, height
        self.display = ""
        self._proc: subprocess.Popen | None = None

    def __enter__(self) -> Xvfb:
        if shutil.which("Xvfb") is None:
            raise RuntimeError("Xvfb is not installed (Debian package 'xvfb'; ./nazar test "
                               "installs it)")
        read_fd, write_fd = os.pipe()
        self._proc = subprocess.Popen(
            ["Xvfb", "-displayfd", str(write_fd), "-screen", "0",
             f"{self.width}x{self.height}x24", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()  # Xvfb writes its display number when ready
        if not number:
            self._proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"
        return self

    def __exit__(self, *exc) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()

    def screenshot(self) -> np.ndarray:
        """The whole screen as a BGR array, taken by ImageMagick's `import` like a person would."""
        import cv2
        png = subprocess.run(["import", "-display", self.display, "-window", "root", "png:-"],
                             capture_output=True, check=True, timeout=30).stdout
        img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise RuntimeError("could not decode the screenshot")
        return img


def grid_cells(img: np.ndarray, cols: int, rows: int) -> list[np.ndarray]:
    h, w = img.shape[:2]
    return [img[r * h // rows:(r + 1) * h // rows, c * w // cols:(c + 1) * w // cols]
            for r in range(rows) for c in range(cols)]


def live_marker(cell: np.ndarray) -> bool:
    """The tile's state marker (bottom-left bar) is the 'live' green (46, 160, 67)."""
    h = cell.shape[0]
    patch = cell[h - 14:h - 5, 4:6].reshape(-1, 3).astype(int)  # BGR
    green = (np.abs(patch - np.array([67, 160, 46])).sum(axis=1) < 40)
    return bool(green.mean() > 0.6)


def wait(predicate, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
