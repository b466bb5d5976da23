"""Take the README screenshots of the map panel beside the wall, on a virtual X screen.

    .venv/bin/python tools/map_screenshot.py docs/map.png
    .venv/bin/python tools/map_screenshot.py docs/alarm.png --alarm   # a fire at South City Mall
    .venv/bin/python tools/map_screenshot.py docs/map-demo.png --wide # the demo's basemap, zoom 13

Runs the demo wall (3x3, the default first view) with the map dock attached the way
MainWindow will attach it (`widgets.map_dock.attach_map_dock`), waits until the map page is up
and the tiles are live, zooms the map to central Kolkata with the selected tile's camera
marked, and grabs the whole screen with ImageMagick's `import`, as a person would see it.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

W, H = 1920, 1080


def child(ready_file: Path, alarm: bool = False, wide: bool = False) -> int:
    """Inside the X server: the window, then write `ready_file` when it is worth a picture."""
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if os.geteuid() == 0 and "--no-sandbox" not in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"]:
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] += " --no-sandbox"
    from app.feeds import FeedManager
    from app.layouts import LAYOUTS, WallModel
    from app.registry import load_registry
    from widgets.main_window import MainWindow
    from widgets.map_dock import attach_map_dock
    from widgets.map_panel import register_schemes

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    import argparse
    import logging

    import main as nazar_main
    register_schemes()  # before the QApplication, as main.py does
    app = QApplication(sys.argv[:1])
    reg = load_registry(ROOT / "cameras.yaml")
    # The basemap ./nazar demo shows (the hand-drawn demo layer).
    nazar_main.choose_basemap(reg, argparse.Namespace(config=nazar_main.DEFAULT_CONFIG,
                                                      basemap=None), logging.getLogger("shot"))
    model = WallModel(layout=LAYOUTS["3x3"], view=reg.default_view(9))
    feeds = FeedManager(cache_dir=Path(tempfile.gettempdir()) / "nazar-shot-clips")
    win = MainWindow(reg, model, feeds)
    panel = attach_map_dock(win)
    win.setGeometry(0, 0, W, H)
    win.resizeDocks([win.map_dock], [780], Qt.Orientation.Horizontal)
    win.show()
    model.select(4)
    started = time.monotonic()

    def check() -> None:
        live = sum(1 for f in feeds.feeds() if f.reading().state.value == "live")
        if alarm and panel.is_ready and not win.alarm.open:
            site = reg.sites["south-city-mall"]
            win.wall.execute("raise_incident", site.location.lat, site.location.lon,
                             site_id=site.id, uncertainty_m=60, note="smoke on level 3")
            return
        want = sum(1 for c in model.visible() if c)
        if panel.is_ready and (live >= want or time.monotonic() - started > 60):
            timer.stop()
            if alarm:  # the incident as the map shows it, the wall beside it
                QTimer.singleShot(3000, lambda: ready_file.write_text("ready"))
                return
            panel.call_js("Nazar.stopAutoFit")
            if wide:  # the river, the bridges and the main roads under the areas
                panel.page.runJavaScript(
                    "Nazar.map().setView([22.552, 88.352], 13, {animate: false});")
                panel.highlight_camera(win.wall.selected_camera(), pan=False)
                QTimer.singleShot(3000, lambda: ready_file.write_text("ready"))
                return
            # Central Kolkata, the legend open and one site's card.
            panel.page.runJavaScript(
                "Nazar.map().setView([22.553, 88.364], 14, {animate: false});"
                "document.querySelector('.nz-legend .nz-box-title').click();")
            panel.highlight_camera(win.wall.selected_camera(), pan=False)
            panel.call_js("Nazar.openSiteCard", "forum-courtyard")
            QTimer.singleShot(3000, lambda: ready_file.write_text("ready"))

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(500)
    QTimer.singleShot(120_000, app.quit)
    app.exec()
    feeds.stop_all(timeout=1.0)
    os._exit(0)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        return child(Path(sys.argv[2]), alarm="--alarm" in sys.argv[3:],
                     wide="--wide" in sys.argv[3:])
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/map.png")
    alarm = "--alarm" in sys.argv[2:]
    wide = "--wide" in sys.argv[2:]
    import cv2

    from tests.support.xvfb import Xvfb

    with Xvfb(W, H) as x, tempfile.TemporaryDirectory() as tmp:
        ready = Path(tmp) / "ready"
        env = dict(os.environ, DISPLAY=x.display, QT_QPA_PLATFORM="xcb")
        proc = subprocess.Popen([sys.executable, __file__, "--child", str(ready),
                                 *(["--alarm"] if alarm else []),
                                 *(["--wide"] if wide else [])], env=env)
        try:
            deadline = time.monotonic() + 110
            while not ready.exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("the window did not get ready for the screenshot")
                time.sleep(0.2)
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), x.screenshot())
        finally:
            proc.terminate()
            proc.wait(10)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
