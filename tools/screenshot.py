"""Take the README screenshot: the demo wall in a real window on a virtual X screen.

    .venv/bin/python tools/screenshot.py docs/screenshot.png [main.py options]
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402

from tests.support.xvfb import Xvfb  # noqa: E402


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshot.png")
    extra = sys.argv[2:] or ["--layout", "3x3"]
    with Xvfb(1600, 900) as x:
        env = dict(os.environ, DISPLAY=x.display, QT_QPA_PLATFORM="xcb")
        proc = subprocess.Popen([sys.executable, str(ROOT / "main.py"), *extra], env=env)
        try:
            time.sleep(12)  # a picture for people: let the clips be drawn and fps settle
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), x.screenshot())
        finally:
            proc.terminate()
            proc.wait(10)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
