"""The camera tree: division -> police station -> site -> camera, with a search box."""
from __future__ import annotations

import html
import unicodedata

from PySide6.QtCore import (QMimeData, QModelIndex, QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from app import labels
from app.registry import Camera, Registry
from app.search import SearchService
from widgets.tile import CAMERA_MIME

CAMERA_ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "division", "station", "site", "camera"
ID_ROLE = Qt.ItemDataRole.UserRole + 3  # the id of the division, station, site or camera


class _SearchFilter(QSortFilterProxyModel):
    """Shows what the search service found (and, under a found area, all of it)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.hits: set[tuple[str, str]] | None = None  # None: no search, show everything

    def set_hits(self, hits: set[tuple[str, str]] | None) -> None:
        self.beginFilterChange()
        self.hits = hits
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:  # noqa: N802
        if self.hits is None:
            return True
        idx = self.sourceModel().index(row, 0, parent)
        return (idx.data(KIND_ROLE), idx.data(ID_ROLE)) in self.hits


class _Model(QStandardItemModel):
    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [CAMERA_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        mime = QMimeData()
        for idx in indexes:
            cam = idx.data(CAMERA_ID_ROLE)
            if cam:
                mime.setData(CAMERA_MIME, cam.encode("utf-8"))
                mime.setText(cam)
                break
        return mime


class CameraTree(QWidget):
    cameraActivated = Signal(str)  # double-click or Enter on a camera

    def __init__(self, registry: Registry, parent: QWidget | None = None,
                 search: SearchService | None = None):
        super().__init__(parent)
        self.registry = registry
        self.search_service = search or SearchService(registry)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find camera, site or police station…")
        self.search.setClearButtonEnabled(True)
        self.model = _Model(self)
        self.proxy = _SearchFilter(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.view = QTreeView(self)
        self.view.setModel(self.proxy)
        self.view.setHeaderHidden(True)
        self.view.setUniformRowHeights(True)
        self.view.setDragEnabled(True)
        self.view.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setExpandsOnDoubleClick(True)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.search)
        lay.addWidget(self.view)
        self._populate()
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first_match)
        self.view.activated.connect(self._on_activated)

    def _populate(self) -> None:
        reg = self.registry
        self._camera_items: dict[str, QStandardItem] = {}
        root = self.model.invisibleRootItem()
        by_station: dict[str, list[Camera]] = {}
        for cam in reg.cameras.values():
            by_station.setdefault(cam.station, []).append(cam)
        for div in reg.divisions.values():
            div_item = _item(labels.division_label(div), "division", div.id)
            for sid in div.stations:
                cams = by_station.get(sid, [])
                st_item = _item(labels.with_count(labels.station_of(reg, sid), len(cams)),
                                "station", sid)
                sites: dict[str, QStandardItem] = {}
                for cam in sorted(cams, key=lambda c: (c.site or "", c.name)):
                    parent = st_item
                    if cam.site:
                        parent = sites.get(cam.site)
                        if parent is None:
                            site = reg.sites[cam.site]
                            parent = sites[cam.site] = _item(labels.site_label(site), "site",
                                                             site.id)
                            st_item.appendRow(parent)
                    cam_item = _item(labels.camera_label(cam), "camera", cam.id)
                    self._camera_items[cam.id] = cam_item
                    cam_item.setData(cam.id, CAMERA_ID_ROLE)
                    # Tooltips guess rich text: registry text goes in escaped, shown as typed.
                    cam_item.setToolTip("<p style='white-space:pre'>"
                                        + html.escape(self._tooltip(cam)) + "</p>")
                    cam_item.setDragEnabled(True)
                    parent.appendRow(cam_item)
                div_item.appendRow(st_item)
            root.appendRow(div_item)

    def _tooltip(self, cam: Camera) -> str:
        lines = [cam.name, f"{cam.id} · {cam.ownership}", f"stream: {cam.main.display}"]
        if cam.recorder:
            lines.append(f"recorder: {cam.recorder.room}, {cam.recorder.retention_days} days")
        return "\n".join(lines)

    def _filter(self, text: str) -> None:
        """Show what the one search service finds (the map's search finds the same)."""
        if text.strip():
            hits = {(e.kind, e.id) for e in self.search_service.find(text, limit=1_000_000)}
            self.proxy.set_hits(hits)
        else:
            self.proxy.set_hits(None)
        if text.strip():
            self.view.expandAll()
        else:
            self.view.collapseAll()

    def first_match(self) -> QModelIndex | None:
        """The best camera the search found (the search service's order), else the first
        camera row the filter shows (depth first)."""
        text = self.search.text()
        if text.strip():
            for hit in self.search_service.find(text, limit=1, kinds=("camera",)):
                item = self._camera_items.get(hit.id)
                if item is not None:
                    idx = self.proxy.mapFromSource(item.index())
                    if idx.isValid():
                        return idx

        def walk(parent: QModelIndex) -> QModelIndex | None:
            for row in range(self.proxy.rowCount(parent)):
                idx = self.proxy.index(row, 0, parent)
                if idx.data(CAMERA_ID_ROLE):
                    return idx
                hit = walk(idx)
                if hit is not None:
                    return hit
            return None
        return walk(QModelIndex())

    def _activate_first_match(self) -> None:
        idx = self.first_match()
        if idx is not None:
            self.view.setCurrentIndex(idx)
            self.cameraActivated.emit(idx.data(CAMERA_ID_ROLE))

    def _on_activated(self, idx: QModelIndex) -> None:
        cam = idx.data(CAMERA_ID_ROLE)
        if cam:
            self.cameraActivated.emit(cam)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()


def _item(text: str, kind: str, item_id: str) -> QStandardItem:
    item = QStandardItem(unicodedata.normalize("NFC", text))
    item.setData(kind, KIND_ROLE)
    item.setData(item_id, ID_ROLE)
    item.setEditable(False)
    item.setDragEnabled(kind == "camera")
    return item
