"""The camera tree: division -> police station -> site -> camera, with a search box."""
from __future__ import annotations

import unicodedata

from PySide6.QtCore import (QMimeData, QModelIndex, QSortFilterProxyModel, Qt, Signal)
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeView, QVBoxLayout, QWidget

from app.registry import Camera, Registry
from widgets.tile import CAMERA_MIME

CAMERA_ID_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_ROLE = Qt.ItemDataRole.UserRole + 2  # "division", "station", "site", "camera"


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

    def __init__(self, registry: Registry, parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Find camera, site or police station…")
        self.search.setClearButtonEnabled(True)
        self.model = _Model(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setAutoAcceptChildRows(True)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
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
        root = self.model.invisibleRootItem()
        by_station: dict[str, list[Camera]] = {}
        for cam in reg.cameras.values():
            by_station.setdefault(cam.station, []).append(cam)
        for div in reg.divisions.values():
            div_item = _item(f"{div.name} Division", "division")
            for sid in div.stations:
                cams = by_station.get(sid, [])
                st_item = _item(f"{reg.stations[sid].name} PS  ({len(cams)})", "station")
                sites: dict[str, QStandardItem] = {}
                for cam in sorted(cams, key=lambda c: (c.site or "", c.name)):
                    parent = st_item
                    if cam.site:
                        parent = sites.get(cam.site)
                        if parent is None:
                            site = reg.sites[cam.site]
                            parent = sites[cam.site] = _item(
                                f"{site.name}  [{site.kind.replace('_', ' ')}]", "site")
                            st_item.appendRow(parent)
                    cam_item = _item(f"{cam.name}  ({cam.id})", "camera")
                    cam_item.setData(cam.id, CAMERA_ID_ROLE)
                    cam_item.setToolTip(self._tooltip(cam))
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
        # Bengali has two spellings of some letters (precomposed or with a nukta): compare NFC.
        self.proxy.setFilterFixedString(unicodedata.normalize("NFC", text.strip()))
        if text.strip():
            self.view.expandAll()
        else:
            self.view.collapseAll()

    def first_match(self) -> QModelIndex | None:
        """The first camera row the filter shows (depth first)."""
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


def _item(text: str, kind: str) -> QStandardItem:
    item = QStandardItem(unicodedata.normalize("NFC", text))
    item.setData(kind, KIND_ROLE)
    item.setEditable(False)
    item.setDragEnabled(kind == "camera")
    return item
