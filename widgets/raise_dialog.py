"""Ctrl+I: raise an incident. One search field (sites, stations, cameras, or typed
coordinates such as "22.5014, 88.3616"), the type (fire preselected), priority, note and the
point's uncertainty; Enter raises. An incident at a site: Ctrl+I, "south city", Enter."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QLabel,
                               QLineEdit, QListWidget, QListWidgetItem, QSpinBox, QVBoxLayout,
                               QWidget)

from app import labels
from app.alarm import looks_like_point, parse_point
from app.incidents import DEFAULT_PRIORITY, INCIDENT_KINDS, PRIORITIES
from app.registry import Registry
from app.search import SearchService

PLACE_KINDS = ("site", "station", "camera")


class RaiseDialog(QDialog):
    def __init__(self, registry: Registry, search: SearchService,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.registry = registry
        self.search = search
        self.setWindowTitle("Raise an incident")
        self.where = QLineEdit(self)  # the first line edit: it has the keys
        self.where.setPlaceholderText("Site, police station, camera, or lat, lon")
        self.results = QListWidget(self)
        self.results.setMaximumHeight(140)
        self.error = QLabel(self)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet("color: #d32f2f;")
        self.kind = QComboBox(self)
        for k in INCIDENT_KINDS:
            self.kind.addItem(k.replace("_", " "), k)
        self.kind.setCurrentIndex(INCIDENT_KINDS.index("fire"))
        self.priority = QComboBox(self)
        for p, text in sorted(PRIORITIES.items(), reverse=True):
            self.priority.addItem(f"{p}: {text}", p)
        self.priority.setCurrentIndex(self.priority.findData(DEFAULT_PRIORITY))
        self.note = QLineEdit(self)
        self.uncertainty = QSpinBox(self)
        self.uncertainty.setRange(0, 5000)
        self.uncertainty.setSuffix(" m")
        form = QFormLayout()
        form.addRow("Where", self.where)
        form.addRow("", self.results)
        form.addRow("", self.error)
        form.addRow("Type", self.kind)
        form.addRow("Priority", self.priority)
        form.addRow("Note", self.note)
        form.addRow("Uncertainty", self.uncertainty)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Raise")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        col = QVBoxLayout(self)
        col.addLayout(form)
        col.addWidget(buttons)
        self.where.textChanged.connect(self._search)
        self.arguments: dict | None = None

    def prefill(self, lat: float, lon: float, site_id: str | None = None) -> None:
        """A place from the map: a site (picked in the list) or a point (as lat, lon)."""
        site = self.registry.sites.get(site_id) if site_id else None
        if site is None:
            self.where.setText(f"{lat:.6f}, {lon:.6f}")
            return
        self.where.setText(site.name)
        for row in range(self.results.count()):
            if self.results.item(row).data(Qt.ItemDataRole.UserRole) == ("site", site.id):
                self.results.setCurrentRow(row)
                return

    def _search(self, text: str) -> None:
        self.results.clear()
        self.error.clear()
        if looks_like_point(text):
            return
        for e in self.search.find(text, limit=8, kinds=PLACE_KINDS):
            item = QListWidgetItem(e.label)  # plain text in a list item
            item.setData(Qt.ItemDataRole.UserRole, (e.kind, e.id))
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)

    def _place(self) -> dict:
        """lat, lon, site_id and label of what was typed or picked. ValueError otherwise."""
        text = self.where.text().strip()
        if not text:
            raise ValueError("Type where: a site, a police station, a camera or lat, lon")
        if looks_like_point(text):
            lat, lon = parse_point(text)
            return {"lat": lat, "lon": lon, "site_id": None, "label": ""}
        item = self.results.currentItem()
        if item is None:
            raise ValueError(f"Nothing found for '{text[:40]}'")
        kind, ident = item.data(Qt.ItemDataRole.UserRole)
        reg = self.registry
        if kind == "site":
            site = reg.sites[ident]
            return {"lat": site.location.lat, "lon": site.location.lon, "site_id": site.id,
                    "label": ""}
        if kind == "camera":
            cam = reg.cameras[ident]
            return {"lat": cam.location.lat, "lon": cam.location.lon, "site_id": cam.site,
                    "label": f"at {cam.name}"}
        station = reg.stations[ident]
        loc = station.location
        if loc is None:
            raise ValueError(f"{labels.station_label(station)} has no location in the registry")
        return {"lat": loc.lat, "lon": loc.lon, "site_id": None,
                "label": labels.station_label(station)}

    def accept(self) -> None:
        try:
            place = self._place()
        except ValueError as exc:
            self.error.setText(str(exc))
            return
        self.arguments = dict(place, kind=self.kind.currentData(),
                              priority=self.priority.currentData(),
                              note=self.note.text().strip(),
                              uncertainty_m=self.uncertainty.value())
        super().accept()
