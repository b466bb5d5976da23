#!/usr/bin/env python3
"""Nazar: a live video wall for the Kolkata Police control room.

Usage: python main.py [--config PATH] [--layout {1,2x2,3x3,4x4}] [--fullscreen] ...
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_CONFIG = HERE / "cameras.yaml"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from app.layouts import LAYOUTS

    p = argparse.ArgumentParser(
        prog="nazar",
        description="Nazar: a live CCTV video wall (police and private cameras) for a "
                    "city police control room.")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                   help="camera registry (cameras.yaml); default: the bundled Kolkata demo "
                        f"registry ({DEFAULT_CONFIG.name})")
    p.add_argument("--layout", choices=list(LAYOUTS), default="3x3",
                   help="wall layout at start (default: 3x3)")
    p.add_argument("--cameras", metavar="ID,ID,...",
                   help="cameras to show at start, in tile order (default: a mix of police "
                        "and private cameras from different places)")
    p.add_argument("--fullscreen", action="store_true", help="start in full screen")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="where demo clips are cached (default: $XDG_CACHE_HOME/nazar or "
                        "~/.cache/nazar)")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default: INFO")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("nazar")

    from app.registry import RegistryFileError, load_registry

    try:
        registry = load_registry(args.config)
    except RegistryFileError as exc:
        print(f"nazar: cannot load the camera registry: {exc}", file=sys.stderr)
        return 2
    for problem in registry.problems:
        log.warning("registry: %s", problem)
    if not registry.cameras:
        log.warning("registry %s has no usable cameras", args.config)

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from app.feeds import FeedManager
    from app.layouts import LAYOUTS, WallModel
    from widgets.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Nazar")
    app.setOrganizationName("Nazar")

    layout = LAYOUTS[args.layout]
    if args.cameras:
        view = [c.strip() for c in args.cameras.split(",") if c.strip()]
    else:
        view = registry.default_view(layout.tiles)
    model = WallModel(layout=layout, view=view)
    cache_dir = args.cache_dir / "demo" if args.cache_dir else None
    feeds = FeedManager(cache_dir=cache_dir)
    window = MainWindow(registry, model, feeds)
    window.show_registry_problems()
    if args.fullscreen:
        window.toggle_fullscreen()
    else:
        window.show()
    window.wall.setFocus()

    # Ctrl+C / SIGTERM: close the window properly (streams stopped, settings kept).
    def on_signal(signum: int, _frame: object) -> None:
        log.info("signal %d: closing", signum)
        QTimer.singleShot(0, window.close)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    wake = QTimer()  # let the interpreter run signal handlers while Qt's loop runs
    wake.start(200)
    wake.timeout.connect(lambda: None)

    code = app.exec()
    feeds.stop_all(timeout=1.0)
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # A camera stuck in a blocking network read must not keep the process alive: its worker
    # is a daemon thread; leave without waiting for it.
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
