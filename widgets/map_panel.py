"""The map panel: an offline Leaflet map of cameras, coverage, sites and areas.

The page is built by `app.mappage` (folium skeleton, local Leaflet, data as one JSON block),
written to a private temporary directory and loaded from there. Nothing leaves the machine:

- a request interceptor on the panel's own (off-the-record) profile refuses every request
  that is not a local file under the page's, Nazar's or Leaflet's directory, Qt's resources
  or the MBTiles scheme; http(s) only to the configured intranet tile server;
- the page refuses to navigate anywhere else, and its Content-Security-Policy allows no
  connections and only those image sources;
- an MBTiles basemap is served from the SQLite file by a `mbtiles:` scheme handler.

The page talks to Python only through a QWebChannel object with a narrow API (`MapBridge`)
that accepts only ids of known cameras, police stations, divisions and sites. Python talks to
the page only through `MapPanel.call_js`, whose arguments are JSON-escaped by
`app.mappage.js_call`.
"""
from __future__ import annotations

import logging
import math
from typing import cast
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

from PySide6.QtCore import (QBuffer, QByteArray, QCoreApplication, QEvent, QIODevice,
                            QModelIndex, QObject, Qt, QUrl, Signal, Slot)
import shiboken6
from PySide6.QtGui import QCloseEvent, QGuiApplication, QStandardItem, QStandardItemModel
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import (QWebEnginePage, QWebEngineProfile, QWebEngineSettings,
                                     QWebEngineUrlRequestInfo, QWebEngineUrlRequestInterceptor,
                                     QWebEngineUrlRequestJob, QWebEngineUrlScheme,
                                     QWebEngineUrlSchemeHandler)
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import (QComboBox, QCompleter, QHBoxLayout, QLabel, QLineEdit,
                               QPushButton, QVBoxLayout, QWidget)

from app import labels, mappage, places
from app.health import state_changes
from app.mbtiles import (MBTILES_SCHEME, Basemap, MBTiles, MBTilesError, PMTiles, basemap_for,
                         open_tiles, tile_host)
from app.registry import Registry
from app.search import AREA_KINDS, KINDS, SearchEntry, SearchService

log = logging.getLogger("nazar.map")

_SCHEME = MBTILES_SCHEME.encode("ascii")


MAP_DIR_PREFIX = "nazar-map-"


def remove_stale_map_dirs(temp_dir: Path | None = None) -> list[Path]:
    """Remove the map pages left by Nazar processes that are gone (`nazar-map-<pid>-*`,
    ours only); returns what was removed."""
    removed = []
    base = Path(temp_dir or tempfile.gettempdir())
    for d in base.glob(f"{MAP_DIR_PREFIX}*"):
        pid_text = d.name[len(MAP_DIR_PREFIX):].split("-", 1)[0]
        try:
            if not d.is_dir() or d.stat().st_uid != os.geteuid():
                continue
            if pid_text.isdigit():
                os.kill(int(pid_text), 0)  # that process still runs: its page, keep it
                continue
            if not (d / "map.html").is_file():
                continue  # not one of ours (older Nazar versions left map.html in each)
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def register_schemes() -> bool:
    """Register the `mbtiles:` scheme. Qt allows this only before the QApplication exists:
    main.py (and the tests' set-up) call it before creating one. False: too late."""
    if QWebEngineUrlScheme.schemeByName(_SCHEME).name() == _SCHEME:
        return True
    if QCoreApplication.instance() is not None:
        return False
    scheme = QWebEngineUrlScheme(_SCHEME)
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    # Local: the map page is a local file, and Chromium lets local pages load only local
    # schemes while remote access is off.
    # Fetch and CORS: the vector basemap's renderer fetches its tiles (raster tiles are
    # plain <img> loads).
    scheme.setFlags(QWebEngineUrlScheme.Flag.SecureScheme
                    | QWebEngineUrlScheme.Flag.LocalScheme
                    | QWebEngineUrlScheme.Flag.CorsEnabled
                    | QWebEngineUrlScheme.Flag.FetchApiAllowed)
    QWebEngineUrlScheme.registerScheme(scheme)
    return True


def scheme_registered() -> bool:
    return QWebEngineUrlScheme.schemeByName(_SCHEME).name() == _SCHEME


# ---------------------------------------------------------------------------------------------
# Keeping the page on the machine
# ---------------------------------------------------------------------------------------------
class RequestGuard(QWebEngineUrlRequestInterceptor):
    """Refuses every request that would leave the machine (and local files outside the
    page's own directories). `blocked` lists what was refused, for the log and the tests."""

    LOCAL_SCHEMES = ("qrc", "data", "blob", "about", MBTILES_SCHEME)

    def __init__(self, file_roots: Iterable[Path], tile_host: tuple[str, str, int] | None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.file_roots = [Path(p).resolve() for p in file_roots]
        self.tile_host = tile_host
        self.blocked: list[str] = []
        self.allowed_http = 0

    def allows(self, url: QUrl) -> bool:
        scheme = url.scheme().lower()
        if scheme in self.LOCAL_SCHEMES:
            return True
        if scheme == "file":
            path = Path(url.toLocalFile()).resolve()
            return any(path == r or r in path.parents for r in self.file_roots)
        if scheme in ("http", "https") and self.tile_host is not None:
            t_scheme, t_host, t_port = self.tile_host
            port = url.port(443 if scheme == "https" else 80)
            return (scheme, url.host().lower(), port) == (t_scheme, t_host.strip("[]"), t_port)
        return False

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:  # noqa: N802
        url = info.requestUrl()
        if self.allows(url):
            if url.scheme() in ("http", "https"):
                self.allowed_http += 1
            return
        info.block(True)
        text = url.toDisplayString()
        self.blocked.append(text)
        log.warning("map: blocked a request that would leave the machine: %s", text[:200])


class MBTilesHandler(QWebEngineUrlSchemeHandler):
    """Serves `mbtiles://tiles/{z}/{x}/{y}` from an MBTiles or PMTiles file."""

    def __init__(self, tiles: MBTiles | PMTiles, parent: QObject | None = None):
        super().__init__(parent)
        self.tiles = tiles
        self.served: list[tuple[int, int, int]] = []
        self.missing = 0

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:  # noqa: N802
        parts = job.requestUrl().path().strip("/").split("/")
        try:
            z, x, y = (int(p) for p in parts)
        except ValueError:
            job.fail(QWebEngineUrlRequestJob.Error.UrlInvalid)
            return
        try:
            data = self.tiles.tile(z, x, y)
        except Exception as exc:  # a damaged file: that tile is missing, the map stays up
            log.warning("map: tile %s/%s/%s of %s unreadable: %s", z, x, y, self.tiles.path, exc)
            data = None
        if data is None:
            self.missing += 1
            if not self.tiles.vector:
                job.fail(QWebEngineUrlRequestJob.Error.UrlNotFound)
                return
            # A vector tile with nothing in it is an empty one (a failed fetch() of a
            # custom scheme would leave the renderer waiting for that tile).
            data = b""
        self.served.append((z, x, y))
        buf = QBuffer(job)
        buf.setData(QByteArray(data))
        buf.open(QIODevice.OpenModeFlag.ReadOnly)
        # The page is a local file (an opaque origin): its fetch() of a vector tile is
        # cross-origin. The tiles are the page's own, on this machine.
        job.setAdditionalResponseHeaders({QByteArray(b"Access-Control-Allow-Origin"):
                                          QByteArray(b"*")})
        job.reply(self.tiles.mime.encode("ascii"), buf)


class _Page(QWebEnginePage):
    """Stays on its own page; JavaScript console errors go to the log (and `errors`)."""

    def __init__(self, profile: QWebEngineProfile, parent: QObject | None = None):
        super().__init__(profile, parent)
        self.home: QUrl | None = None
        self.errors: list[str] = []
        self.refused: list[str] = []

    def acceptNavigationRequest(self, url: QUrl, _type, is_main_frame: bool) -> bool:  # noqa: N802
        if not is_main_frame or (self.home is not None and url.isLocalFile()
                                 and url.toLocalFile() == self.home.toLocalFile()):
            return True
        self.refused.append(url.toDisplayString())
        log.warning("map: refused to leave the map for %s", url.toDisplayString()[:200])
        return False

    def javaScriptConsoleMessage(self, level, message: str, line: int,  # noqa: N802
                                 source: str) -> None:
        text = f"{source.rsplit('/', 1)[-1]}:{line}: {message}"
        if level == QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel:
            self.errors.append(text)
            log.error("map page: %s", text)
        else:
            log.debug("map page: %s", text)


# ---------------------------------------------------------------------------------------------
# The bridge: what the page may ask of Python
# ---------------------------------------------------------------------------------------------
class MapBridge(QObject):
    """The page's only way into Python. Every id is checked against the registry; anything
    else is refused (and listed in `rejected`).

    The page never sees this object itself: the web channel publishes `PageApi`, which has
    the calls below as its only slots, no signals and nothing else to call (see there)."""

    openRequested = Signal(str)
    selected = Signal(str)
    areaRequested = Signal(str, str)  # kind, id
    rectRequested = Signal(float, float, float, float)  # south, west, north, east
    loaded = Signal(int)  # pins on the page
    drawn = Signal(int, float)  # pins, ms from start to the first paint
    raiseRequested = Signal(float, float, str)  # lat, lon, site id ("" for a point)
    copyRequested = Signal(float, float)  # lat, lon

    def __init__(self, registry: Registry, parent: QObject | None = None):
        super().__init__(parent)
        self.registry = registry
        self.rejected: list[str] = []

    def _known_camera(self, camera_id: object) -> bool:
        if isinstance(camera_id, str) and camera_id in self.registry.cameras:
            return True
        self.rejected.append(f"camera {camera_id!r}"[:120])
        log.warning("map: refused an unknown camera id from the page: %r", str(camera_id)[:80])
        return False

    # The page's calls arrive through PageApi's slots, which take QVariant: the page's raw
    # JavaScript values reach these methods as they are (str, float, None, list ...) and are
    # checked here. Typed slots let QWebChannel call them with uninitialised values when a
    # conversion fails (a string for a double).
    def _reject(self, what: str) -> None:
        self.rejected.append(what[:120])
        log.warning("map: refused a call from the page: %s", what[:120])

    @staticmethod
    def _numbers(*vals: object) -> list[float] | None:
        """The values as floats if every one is a finite JavaScript number, else None."""
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
               for v in vals):
            return [float(cast(float, v)) for v in vals]
        return None

    def openCamera(self, camera_id: object) -> None:  # noqa: N802
        if self._known_camera(camera_id):
            self.openRequested.emit(camera_id)

    def selectCamera(self, camera_id: object) -> None:  # noqa: N802
        if self._known_camera(camera_id):
            self.selected.emit(camera_id)

    def pickArea(self, kind: object, area_id: object) -> None:  # noqa: N802
        if isinstance(kind, str) and isinstance(area_id, str) and \
                places.is_known_area(self.registry, kind, area_id):
            self.areaRequested.emit(kind, area_id)
        else:
            self._reject(f"area {kind!r} {area_id!r}")

    def pickRect(self, south: object, west: object, north: object,  # noqa: N802
                 east: object) -> None:
        v = self._numbers(south, west, north, east)
        if v is not None and -90 <= min(v[0], v[2]) and max(v[0], v[2]) <= 90:
            self.rectRequested.emit(*v)
        else:
            self._reject(f"rectangle {(south, west, north, east)!r}")

    def raiseAt(self, lat: object, lon: object) -> None:  # noqa: N802
        v = self._numbers(lat, lon)
        if v is not None and -90 <= v[0] <= 90 and -180 <= v[1] <= 180:
            self.raiseRequested.emit(v[0], v[1], "")
        else:
            self._reject(f"point {(lat, lon)!r}")

    def copyCoordinates(self, lat: object, lon: object) -> None:  # noqa: N802
        v = self._numbers(lat, lon)
        if v is not None and -90 <= v[0] <= 90 and -180 <= v[1] <= 180:
            self.copyRequested.emit(v[0], v[1])
        else:
            self._reject(f"point {(lat, lon)!r}")

    def raiseAtSite(self, site_id: object) -> None:  # noqa: N802
        site = self.registry.sites.get(site_id) if isinstance(site_id, str) else None
        if site is None:
            self._reject(f"site {site_id!r}")
            return
        self.raiseRequested.emit(site.location.lat, site.location.lon, site.id)

    def pageReady(self, pins: object) -> None:  # noqa: N802
        v = self._numbers(pins)
        if v is not None:
            self.loaded.emit(int(v[0]))
        else:
            self._reject(f"pageReady {pins!r}")

    def pinsDrawn(self, pins: object, ms: object) -> None:  # noqa: N802
        v = self._numbers(pins, ms)
        if v is not None:
            self.drawn.emit(int(v[0]), v[1])
        else:
            self._reject(f"pinsDrawn {(pins, ms)!r}")


class PageApi(QObject):
    """What the page sees on the web channel ("nazar"): the intended calls, nothing more.

    QWebChannel publishes every public slot, signal and property of the object registered,
    QObject's own included. With the bridge itself registered, the page could call
    `deleteLater()` (in PySide6 6.11 that deleted the bridge: the map was dead until a
    restart) and connect to its signals (emitting them is refused by QWebChannel). This small
    object has no signals of its own; its slots pass the page's raw values to the bridge,
    which checks them. Of what QObject adds:
    `deleteLater()` is refused (the deferred-delete event is swallowed; the panel deletes
    this object with its parent, directly, never through that event) and a name set from
    the page is put back. Both are listed as refused calls."""

    def __init__(self, bridge: MapBridge):
        super().__init__(bridge)
        self._bridge = bridge
        self.setObjectName("nazar")
        # A lambda, not a method: a method connected here would be published as a slot too.
        self.objectNameChanged.connect(lambda name: self._name_changed(name))

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DeferredDelete:
            self._bridge._reject("deleteLater() from the page")
            return True
        return super().event(event)

    def _name_changed(self, name: str) -> None:
        if name != "nazar":
            self._bridge._reject(f"objectName set to {name!r}")
            self.setObjectName("nazar")

    @Slot("QVariant")
    def openCamera(self, camera_id: object) -> None:  # noqa: N802
        self._bridge.openCamera(camera_id)

    @Slot("QVariant")
    def selectCamera(self, camera_id: object) -> None:  # noqa: N802
        self._bridge.selectCamera(camera_id)

    @Slot("QVariant", "QVariant")
    def pickArea(self, kind: object, area_id: object) -> None:  # noqa: N802
        self._bridge.pickArea(kind, area_id)

    @Slot("QVariant", "QVariant", "QVariant", "QVariant")
    def pickRect(self, south: object, west: object, north: object,  # noqa: N802
                 east: object) -> None:
        self._bridge.pickRect(south, west, north, east)

    @Slot("QVariant", "QVariant")
    def raiseAt(self, lat: object, lon: object) -> None:  # noqa: N802
        self._bridge.raiseAt(lat, lon)

    @Slot("QVariant")
    def raiseAtSite(self, site_id: object) -> None:  # noqa: N802
        self._bridge.raiseAtSite(site_id)

    @Slot("QVariant", "QVariant")
    def copyCoordinates(self, lat: object, lon: object) -> None:  # noqa: N802
        self._bridge.copyCoordinates(lat, lon)

    @Slot("QVariant")
    def pageReady(self, pins: object) -> None:  # noqa: N802
        self._bridge.pageReady(pins)

    @Slot("QVariant", "QVariant")
    def pinsDrawn(self, pins: object, ms: object) -> None:  # noqa: N802
        self._bridge.pinsDrawn(pins, ms)


# ---------------------------------------------------------------------------------------------
# The panel
# ---------------------------------------------------------------------------------------------
class SearchBox(QObject):
    """A line edit that finds through the search service: a list of hits as the officer
    types, Enter takes the best one. The map's search box and its area picker both use it."""

    def __init__(self, edit: QLineEdit, service: SearchService,
                 chosen: Callable[[SearchEntry], object], kinds: tuple[str, ...] = KINDS,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.edit, self.service, self.chosen, self.kinds = edit, service, chosen, kinds
        self.hits: list[SearchEntry] = []
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setMaxVisibleItems(12)
        edit.setCompleter(self.completer)
        edit.textEdited.connect(self._update)
        self.completer.activated[QModelIndex].connect(self._on_completion)
        edit.returnPressed.connect(self._on_return)

    def _update(self, text: str) -> None:
        self.hits = self.service.find(text, kinds=self.kinds)
        self.model.clear()
        for e in self.hits:
            self.model.appendRow(QStandardItem(e.label))
        if self.hits:
            self.completer.complete()

    def _on_completion(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self.hits):
            self.chosen(self.hits[index.row()])

    def _on_return(self) -> None:
        hits = self.service.find(self.edit.text(), limit=1, kinds=self.kinds)
        if hits:
            self.chosen(hits[0])


KIND_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole + 2


class MapPanel(QWidget):
    """Search and area list above the map view. Signals carry only known ids."""

    cameraOpenRequested = Signal(str)  # double-click on a pin, or "Open on wall" in its card
    cameraSelected = Signal(str)  # click on a pin, or a camera found by search
    areaPicked = Signal(list, str)  # "Show on wall": camera ids in wall order, what was picked
    areaAdded = Signal(list, str)  # "Add to wall": the same, to add to the wall's free tiles
    raiseRequested = Signal(float, float, str)  # Ctrl+double-click or context menu: lat, lon,
    #                                             site id ("" for a point)
    backRequested = Signal()  # Esc that nothing in the panel used: keys back to the wall
    ready = Signal(int)  # the page is up with this many pins
    pinsDrawn = Signal(int, float)  # pins painted; ms from the page's start to the paint

    def __init__(self, registry: Registry, parent: QWidget | None = None,
                 search: SearchService | None = None):
        super().__init__(parent)
        self.registry = registry
        self.search_service = search or SearchService(registry)
        self.is_ready = False
        self.pins = 0
        self.draw_ms: float | None = None
        self._queued: list[str] = []
        self._states: dict[str, str] = {}  # what the page was told
        self._latest: dict[str, str] = {}  # what the poller said last
        self.last_pick: tuple[str, list[str]] | None = None
        self.last_rect: tuple[float, float, float, float] | None = None
        self.last_copied: str | None = None

        # Search and area list.
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find on map: camera, site or police station…")
        self.search.setClearButtonEnabled(True)
        self.search_box = SearchBox(self.search, self.search_service, self.go_to, parent=self)

        self.areas = QComboBox(self)
        self.areas.setMinimumContentsLength(18)
        self.areas.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self._fill_areas()
        self.areas.activated.connect(lambda _i: self._show_current_area())
        self.show_button = QPushButton("Show on wall", self)
        self.show_button.setToolTip("Replace the wall with the cameras of this area "
                                    "(Ctrl+Z brings the wall back)")
        self.show_button.clicked.connect(self.pick_current_area)
        self.add_button = QPushButton("Add to wall", self)
        self.add_button.setToolTip("Add the cameras of this area to the wall's free tiles")
        self.add_button.clicked.connect(lambda: self.pick_current_area(add=True))

        top = QVBoxLayout(self)
        top.setContentsMargins(0, 0, 0, 0)
        top.setSpacing(2)
        top.addWidget(self.search)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.areas, 1)
        row.addWidget(self.show_button)
        row.addWidget(self.add_button)
        top.addLayout(row)

        # The web view: its own off-the-record profile with the guard. The profile becomes a
        # child of the page below, so it is deleted right after the page, never before it.
        self.view = QWebEngineView(self)
        self.profile = QWebEngineProfile(self)  # (owned by Qt from the start)
        self.profile.setHttpCacheType(QWebEngineProfile.HttpCacheType.MemoryHttpCache)
        self.profile.setPersistentCookiesPolicy(
            QWebEngineProfile.PersistentCookiesPolicy.NoPersistentCookies)
        # The page holds the whole registry (private cameras, owners, contacts): a private
        # directory (mode 700) that is removed at shutdown, and, should a process have died
        # before that, at the next start (its name carries the process id).
        remove_stale_map_dirs()
        self._dir = Path(tempfile.mkdtemp(prefix=f"{MAP_DIR_PREFIX}{os.getpid()}-"))
        self.destroyed.connect(partial(shutil.rmtree, str(self._dir), True))
        roots = [self._dir, mappage.RESOURCES, mappage.leaflet_dir()]
        self.guard = RequestGuard(roots, tile_host(registry.map), self.profile)
        self.profile.setUrlRequestInterceptor(self.guard)
        self.mbtiles_handler: MBTilesHandler | None = None
        basemap = self._basemap()
        self.page = _Page(self.profile, self.view)
        self.profile.setParent(self.page)
        s = self.page.settings()
        # A local page may reach the network only for an intranet tile server (and then only
        # that server: the guard refuses everything else).
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessRemoteUrls,
                       self.guard.tile_host is not None)
        s.setAttribute(QWebEngineSettings.WebAttribute.LocalContentCanAccessFileUrls, True)
        s.setAttribute(QWebEngineSettings.WebAttribute.JavascriptCanOpenWindows, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.PluginsEnabled, False)
        s.setAttribute(QWebEngineSettings.WebAttribute.ErrorPageEnabled, False)
        self.view.setPage(self.page)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.channel = QWebChannel(self.page)
        self.bridge = MapBridge(registry, self)
        self.page_api = PageApi(self.bridge)  # what the page may call; nothing else
        self.channel.registerObject("nazar", self.page_api)
        self.page.setWebChannel(self.channel)
        top.addWidget(self.view, 1)

        self.status = QLabel(self)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        top.addWidget(self.status)

        self.bridge.openRequested.connect(self.cameraOpenRequested)
        self.bridge.raiseRequested.connect(self.raiseRequested)
        self.bridge.copyRequested.connect(self.copy_coordinates)
        self.bridge.selected.connect(self.cameraSelected)
        self.bridge.areaRequested.connect(self.pick_area)
        self.bridge.rectRequested.connect(self.pick_rect)
        self.bridge.loaded.connect(self._on_loaded)
        self.bridge.drawn.connect(self._on_drawn)
        self.view.loadFinished.connect(self._on_load_finished)

        self.page_path = self._dir / "map.html"
        self.page_path.write_text(mappage.build_page(registry, basemap), encoding="utf-8")
        self.page.home = QUrl.fromLocalFile(str(self.page_path))
        self._set_status(f"{len(registry.cameras)} cameras · loading map…")
        self.view.load(self.page.home)

    # -- set-up ------------------------------------------------------------------------------
    def _basemap(self) -> Basemap:
        cfg = self.registry.map
        if cfg.tiles or cfg.mbtiles is None:
            return basemap_for(cfg)
        if not scheme_registered():
            problem = ("MBTiles basemap not shown: widgets.map_panel.register_schemes() "
                       "must run before the QApplication is created")
            log.error("map: %s", problem)
            return basemap_for(cfg, None, problem)
        try:
            tiles = open_tiles(cfg.mbtiles)
        except MBTilesError as exc:
            log.error("map: %s", exc)
            return basemap_for(cfg, None, str(exc))
        self.mbtiles_handler = MBTilesHandler(tiles, self.profile)
        self.profile.installUrlSchemeHandler(_SCHEME, self.mbtiles_handler)
        self.destroyed.connect(tiles.close)
        return basemap_for(cfg, tiles)

    def _fill_areas(self) -> None:
        model = QStandardItemModel(self)

        def add(text: str, kind: str | None, area_id: str | None, indent: int = 0) -> None:
            item = QStandardItem("    " * indent + text)
            item.setData(kind, KIND_ROLE)
            item.setData(area_id, ID_ROLE)
            if kind is None:
                item.setFlags(Qt.ItemFlag.NoItemFlags)
            model.appendRow(item)

        reg = self.registry
        for div in reg.divisions.values():
            n = sum(len(reg.cameras_of_station(s)) for s in div.stations)
            add(labels.with_count(labels.division_label(div), n), "division", div.id)
            for sid in div.stations:
                add(labels.with_count(labels.station_of(reg, sid),
                                      len(reg.cameras_of_station(sid))), "station", sid, 1)
        if reg.sites:
            add("Sites", None, None)
            for site in sorted(reg.sites.values(), key=lambda s: s.name.casefold()):
                add(labels.with_count(labels.site_label(site),
                                      len(reg.cameras_of_site(site.id))), "site", site.id, 1)
        self.areas.setModel(model)
        # Searchable: typing finds areas through the same search service as the map's search
        # box and Ctrl+F, so the same text finds the same places everywhere.
        self.areas.setEditable(True)
        self.areas.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        area_edit = self.areas.lineEdit()
        assert area_edit is not None  # an editable combo box has one
        area_edit.setPlaceholderText("Pick or type a division, police station or site…")
        self.area_box = SearchBox(area_edit, self.search_service,
                                  lambda hit: self.select_area(hit.kind, hit.id), AREA_KINDS,
                                  parent=self)
        self.areas.setCurrentIndex(-1)

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # An Esc that no child used (the map view, a closed completer): back to the wall.
        if event.key() == Qt.Key.Key_Escape:
            self.backRequested.emit()
            return
        super().keyPressEvent(event)

    # -- page life ---------------------------------------------------------------------------
    def _on_load_finished(self, ok: bool) -> None:
        if not ok and not self.is_ready:  # (a refused navigation away also ends "not ok")
            self._set_status("The map page could not be loaded (see the log)")
            log.error("map: the page did not load: %s", self.page_path)

    def _on_loaded(self, pins: int) -> None:
        self.is_ready = True
        self.pins = pins
        self._states = {}  # a (re)loaded page knows no states yet: send them all
        queued, self._queued = self._queued, []
        for script in queued:
            self.page.runJavaScript(script)
        self.push_states(self._latest)
        self._set_status(f"{pins} cameras on the map")
        self.ready.emit(pins)

    def _on_drawn(self, pins: int, ms: float) -> None:
        self.draw_ms = ms
        self.pinsDrawn.emit(pins, ms)

    def copy_coordinates(self, lat: float, lon: float) -> str:
        """Put "lat, lon" on the clipboard (for a raise at a point, a message, a call)."""
        text = f"{lat:.6f}, {lon:.6f}"
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(text)
        self.last_copied = text
        self._set_status(f"Copied the coordinates {text}")
        return text

    def _set_status(self, text: str) -> None:
        self.status.setText(text)

    # -- Python -> page ----------------------------------------------------------------------
    def call_js(self, function: str, *args: object,
                callback: Callable[[object], None] | None = None) -> None:
        """Call a function of the page with JSON-escaped arguments (queued until the page is
        ready)."""
        script = mappage.js_call(function, *args)
        if self.page is None:
            return
        if not self.is_ready:
            self._queued.append(script)
        elif callback is not None:
            self.page.runJavaScript(script, 0, callback)
        else:
            self.page.runJavaScript(script)

    def highlight_camera(self, camera_id: str | None, pan: bool = True) -> None:
        """Mark a camera's pin (None clears the mark)."""
        if camera_id is not None and camera_id not in self.registry.cameras:
            camera_id = None
        self.call_js("Nazar.highlight", camera_id, pan)

    def show_incident(self, lat: float, lon: float, radius_m: float, uncertainty_m: float,
                      label: str, picks: list[dict]) -> None:
        """Draw an incident: its point, circles and the chosen cameras' cones by reason.
        `picks`: [{"id", "tier", "chip"}] (ids of the registry only)."""
        known = [{"id": p["id"], "tier": int(p["tier"]), "chip": str(p["chip"])}
                 for p in picks if p.get("id") in self.registry.cameras]
        self.call_js("Nazar.showIncident", {"lat": lat, "lon": lon, "radius": radius_m,
                                            "uncertainty": uncertainty_m, "label": label,
                                            "picks": known})

    def clear_incident(self) -> None:
        self.call_js("Nazar.clearIncident")

    def set_states(self, states: dict[str, str]) -> None:
        if states:
            self.call_js("Nazar.setStates", states)

    def push_states(self, states: dict[str, str]) -> None:
        """Tell the page the camera states that changed (from the one status poller)."""
        self._latest = dict(states)
        if not self.is_ready:
            return
        changes = state_changes(self._states, self._latest)
        self._states = dict(self._latest)
        self.set_states(changes)

    # -- picking -----------------------------------------------------------------------------
    def current_area(self) -> tuple[str, str] | None:
        i = self.areas.currentIndex()
        if i < 0:
            return None
        kind = self.areas.itemData(i, KIND_ROLE)
        area_id = self.areas.itemData(i, ID_ROLE)
        return (kind, area_id) if kind and area_id else None

    def select_area(self, kind: str, area_id: str) -> bool:
        for i in range(self.areas.count()):
            if (self.areas.itemData(i, KIND_ROLE), self.areas.itemData(i, ID_ROLE)) == \
                    (kind, area_id):
                self.areas.setCurrentIndex(i)
                self._show_current_area()
                return True
        return False

    def _show_current_area(self) -> None:
        area = self.current_area()
        if area is not None:
            self.call_js("Nazar.showArea", *area)

    def pick_current_area(self, add: bool = False) -> None:
        area = self.current_area()
        if area is not None:
            self.pick_area(*area, add=add)

    def pick_area(self, kind: str, area_id: str, add: bool = False) -> None:
        if not places.is_known_area(self.registry, kind, area_id):
            return
        ids = places.cameras_in_area(self.registry, kind, area_id)
        self._picked(ids, labels.area_label(self.registry, kind, area_id), add)

    def pick_rect(self, south: float, west: float, north: float, east: float) -> None:
        self.last_rect = (south, west, north, east)
        ids = places.cameras_in_rect(self.registry, south, west, north, east)
        self._picked(ids, "the drawn area")

    def _picked(self, ids: list[str], label: str, add: bool = False) -> None:
        self.last_pick = (label, ids)
        self._set_status(f"{label}: {len(ids)} camera(s)")
        if ids:
            (self.areaAdded if add else self.areaPicked).emit(ids, label)

    # -- search ------------------------------------------------------------------------------
    def go_to(self, entry: SearchEntry) -> None:
        """Show a search result: a camera's pin (and its tiles), or an area in the list."""
        if entry.kind == "camera":
            self.call_js("Nazar.focusCamera", entry.id)
            self.cameraSelected.emit(entry.id)
        else:
            self.select_area(entry.kind, entry.id)
            if entry.kind == "site":
                self.call_js("Nazar.openSiteCard", entry.id)

    # -- shutting down -----------------------------------------------------------------------
    def shutdown(self) -> None:
        """Stop polling and delete the view now, with its page and the page's profile, in
        that order (QtWebEngine wants a page gone before its profile; left to the end of the
        process, the order is chance). Called when the panel or its window closes; the panel
        shows nothing afterwards."""
        if self.page is None:
            return
        view, self.page, self.view = self.view, None, None
        self.is_ready = False
        self._set_status("Map closed")
        # Children go with it: the page, then its profile, guard and tiles handler.
        shiboken6.delete(view)
        shutil.rmtree(self._dir, ignore_errors=True)  # main.py leaves with os._exit

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

