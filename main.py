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


def build_parser() -> argparse.ArgumentParser:
    from app.layouts import LAYOUTS

    p = argparse.ArgumentParser(
        prog="nazar",
        description="Nazar: a live CCTV video wall (police and private cameras) for a "
                    "city police control room.")
    p.add_argument("--config", type=Path, default=DEFAULT_CONFIG, metavar="PATH",
                   help="camera registry (cameras.yaml); default: the bundled Kolkata demo "
                        f"registry ({DEFAULT_CONFIG.name})")
    p.add_argument("--layout", choices=list(LAYOUTS),
                   help="wall layout at start (default: the last wall, else 3x3)")
    p.add_argument("--cameras", metavar="ID,ID,...",
                   help="cameras to show at start, in tile order (default: the last wall, "
                        "else a mix of police and private cameras from different places)")
    p.add_argument("--fullscreen", action="store_true", help="start in full screen")
    p.add_argument("--screen", type=int, metavar="N",
                   help="put the main window on screen N (0 = first)")
    p.add_argument("--second-wall", type=int, metavar="N",
                   help="also open a second wall window, full screen on screen N")
    p.add_argument("--no-map", action="store_true",
                   help="do not open the map panel (saves Chromium's memory on small consoles)")
    p.add_argument("--reduced-motion", action="store_true", default=None,
                   help="a steady alarm banner, never flashing (also a setting in the View "
                        "menu, kept between runs)")
    p.add_argument("--alarm-repeat-seconds", type=float, default=30.0, metavar="S",
                   help="repeat the alarm sound every S seconds until acknowledged "
                        "(default: 30; 0: once)")
    p.add_argument("--tour-seconds", type=float, default=10.0, metavar="S",
                   help="how long a tour shows each page or view (default: 10)")
    p.add_argument("--settings-dir", type=Path, metavar="DIR",
                   help="saved views and the last wall (default: $XDG_CONFIG_HOME/nazar or "
                        "~/.config/nazar)")
    p.add_argument("--snapshot-dir", type=Path, metavar="DIR",
                   help="where snapshots go (default: ~/Pictures/Nazar)")
    p.add_argument("--recordings-dir", type=Path, metavar="DIR",
                   help="where incident recordings go (default: recordings in the settings "
                        "directory given by --settings-dir, else "
                        "~/.local/share/nazar/recordings)")
    p.add_argument("--cache-dir", type=Path, metavar="DIR",
                   help="where demo clips are cached (default: $XDG_CACHE_HOME/nazar or "
                        "~/.cache/nazar)")
    p.add_argument("--basemap", metavar="FILE|demo|builtin", default=None,
                   help="the map's basemap: an MBTiles or PMTiles file (raster or vector, "
                        "e.g. from ./nazar basemap build), 'demo' (the hand-drawn approximate "
                        "Kolkata layer) or 'builtin' (areas only); default: the registry's "
                        "map settings, and the demo layer for the bundled demo registry")
    p.add_argument("--api", action="store_true",
                   help="serve the dispatch API (CAP, incidents, state, /metrics); off by "
                        "default; needs the bearer token in the api-token file")
    p.add_argument("--api-bind", default="127.0.0.1:8765", metavar="HOST:PORT",
                   help="where the API listens (default: 127.0.0.1:8765, this machine only)")
    p.add_argument("--api-token-file", type=Path, metavar="PATH",
                   help="the API's bearer token, a file only you may read (mode 600); "
                        "default: api-token in the settings directory, created if missing")
    p.add_argument("--cap-drop", type=Path, metavar="DIR",
                   help="take CAP 1.2 alerts written into DIR (moved to DIR/done or "
                        "DIR/refused when handled)")
    p.add_argument("--decoder", choices=["pyav", "opencv"], default=None,
                   help="how streams are decoded: pyav (default: FFmpeg's libraries, scaled "
                        "before colour conversion) or opencv (OpenCV's VideoCapture); also "
                        "NAZAR_DECODER")
    p.add_argument("--hwaccel", default=None, metavar="auto|off|vaapi|qsv|cuda",
                   help="hardware decoding (pyav only): auto (default) uses the first device "
                        "that decodes a test picture, else software; the log says which; "
                        "also NAZAR_HWACCEL")
    p.add_argument("--log-level", default="INFO",
                   choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="default: INFO")
    return p


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    return build_parser().parse_args(argv)


def choose_basemap(registry, args, log) -> None:
    """--basemap over the registry's map settings; the bundled demo gets its hand-drawn
    layer (built once with Debian's tilemaker, cached), else the built-in areas."""
    import dataclasses

    from app import basemap
    choice = args.basemap
    if choice is None:
        is_demo = args.config.resolve() == DEFAULT_CONFIG.resolve()
        if not (is_demo and not registry.map.tiles and registry.map.mbtiles is None):
            return
        choice = "demo"
    if choice == "builtin":
        registry.map = dataclasses.replace(registry.map, tiles=None, mbtiles=None)
        return
    attribution = registry.map.attribution
    if choice == "demo":
        try:
            path = basemap.demo_basemap()
        except (basemap.BasemapBuildError, OSError) as exc:
            log.warning("map: the demo basemap is not available (%s); the built-in areas "
                        "are shown", exc)
            return
        attribution = basemap.DEMO_ATTRIBUTION
    else:
        path = Path(choice).expanduser()
        if not path.is_file():
            log.error("map: --basemap %s: no such file; the registry's basemap is used", path)
            return
    registry.map = dataclasses.replace(registry.map, tiles=None, mbtiles=path,
                                       attribution=attribution)
    log.info("map: basemap %s", path)


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
    choose_basemap(registry, args, log)

    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "")
    if os.geteuid() == 0 and "--no-sandbox" not in os.environ["QTWEBENGINE_CHROMIUM_FLAGS"]:
        # Chromium refuses to run its sandbox as root (a kiosk or container set-up).
        os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] += " --no-sandbox"

    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from app.feeds import LINGER_S, FeedManager, configure_decoding
    from app.layouts import LAYOUTS, WallModel
    from app.recording import RecordingStore
    from app.settings import SettingsStore
    from app.snapshots import SnapshotWriter
    from widgets.main_window import MainWindow
    from widgets.map_panel import register_schemes

    # Process-wide set-up, explicitly here rather than as side effects of imports.
    if args.decoder:
        os.environ["NAZAR_DECODER"] = args.decoder
    if args.hwaccel:
        os.environ["NAZAR_HWACCEL"] = args.hwaccel
    configure_decoding()  # OpenCV/FFmpeg options, before the first stream opens
    register_schemes()  # the map's mbtiles: scheme, before the QApplication exists

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Nazar")
    app.setOrganizationName("Nazar")

    store = SettingsStore(args.settings_dir)
    last = store.get(MainWindow.state_key)
    if args.cameras or args.layout or not last:
        layout = LAYOUTS[args.layout or (last or {}).get("layout") or "3x3"]
        if args.cameras:
            view = [c.strip() for c in args.cameras.split(",") if c.strip()]
        else:
            view = registry.default_view(layout.tiles)
        model = WallModel(layout=layout, view=view)
    else:
        model = WallModel.from_dict(last)  # the wall as the last shift left it
    cache_dir = args.cache_dir / "demo" if args.cache_dir else None
    feeds = FeedManager(cache_dir=cache_dir, linger_s=LINGER_S)
    from app.audit import FILE_NAME as AUDIT_FILE
    from app.audit import AuditError, AuditLog
    try:
        # the incident audit log (alarm mode), beside the settings (--settings-dir)
        audit: AuditLog | None = AuditLog(store.directory / AUDIT_FILE)
    except (AuditError, OSError) as exc:
        log.error("alarm mode runs without its audit log: %s", exc)
        audit = None
    window = MainWindow(registry, model, feeds, store=store,
                        snapshots=SnapshotWriter(args.snapshot_dir),
                        tour_seconds=args.tour_seconds, with_map=not args.no_map, audit=audit,
                        reduced_motion=args.reduced_motion,
                        alarm_repeat_s=args.alarm_repeat_seconds, cache_dir=args.cache_dir,
                        recorder=RecordingStore(args.recordings_dir or (
                            args.settings_dir / "recordings" if args.settings_dir else None)))
    if last and not (args.cameras or args.layout):
        window.commands.apply_state(last)  # also the saved view it came from
        window.alarm.resume()  # an incident still open shows again over the last wall
    window.show_registry_problems()
    if args.api or args.cap_drop:
        from app.api import ApiStartError, TokenFileError, parse_bind
        from widgets.api_host import start_api
        try:
            start_api(window, bind=parse_bind(args.api_bind) if args.api else None,
                      token_file=args.api_token_file, drop_dir=args.cap_drop,
                      settings_dir=store.directory)
        except (ApiStartError, TokenFileError, ValueError, OSError) as exc:
            # The wall runs on without it; the officer and the log are told why.
            log.error("dispatch API not started: %s", exc)
            window.message_bar.show_message(f"Dispatch API not started: {exc}", [])
    screens = QGuiApplication.screens()

    def screen_arg(n: int | None, what: str):
        if n is None:
            return None
        if not 0 <= n < len(screens):
            log.warning("%s: there is no screen %d (screens: 0..%d); using the first",
                        what, n, len(screens) - 1)
            return screens[0]
        return screens[n]

    screen = screen_arg(args.screen, "--screen")
    restored = window.restore_window()  # size, position, maximised: as the last run left it
    if screen is not None:
        window.place_on_screen(screen, args.fullscreen)
    elif args.fullscreen:
        window.toggle_fullscreen()
    elif restored and window.windowState() & Qt.WindowState.WindowMaximized:
        window.showMaximized()
    else:
        window.show()
    second = screen_arg(args.second_wall, "--second-wall")
    if second is not None:
        window.open_second_wall(second, fullscreen=True)
        window.activateWindow()
    elif window.restore_second_wall() is not None:  # it was open when Nazar last closed
        window.activateWindow()
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
    log.info("wall ready: layout %s, %d camera(s) on page %d", model.layout.name,
             sum(1 for c in model.visible() if c), model.page + 1)

    code = app.exec()
    feeds.stop_all(timeout=1.0, wait_hung=False)  # the window did; hung ones not waited
    store.close()
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    # A camera stuck in a blocking network read must not keep the process alive: its worker
    # is a daemon thread; leave without waiting for it.
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
