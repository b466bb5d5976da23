"""The open incidents, in a list dock: the one on the wall marked, each with its type, place,
priority, age and whether it is acknowledged. Enter or a double-click puts an incident on the
wall (the `show_incident` command); Esc gives the keys back to the wall."""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

from app.alarm import AlarmDesk
from widgets.alarm_banner import since


class IncidentList(QListWidget):
    incidentChosen = Signal(str)

    def __init__(self, desk: AlarmDesk, parent: QWidget | None = None):
        super().__init__(parent)
        self.desk = desk
        desk.changed.connect(self.refresh)
        self.itemActivated.connect(
            lambda item: self.incidentChosen.emit(item.data(Qt.ItemDataRole.UserRole)))
        self.refresh()

    def refresh(self) -> None:
        self.clear()
        now = datetime.now(timezone.utc)
        ordered = sorted(self.desk.open, key=lambda o: (-o.incident.priority,
                                                       o.incident.raised_at))
        for o in ordered:
            inc = o.incident
            mark = "▶ " if inc.id == self.desk.on_wall else "   "
            ack = "acknowledged" if o.acknowledged else "NOT ACKNOWLEDGED"
            text = (f"{mark}{self.desk.incident_title(o)}\n     priority {inc.priority} · "
                    f"{since(inc.raised_at, now)} · {ack} · {len(o.picks)} camera(s)")
            item = QListWidgetItem(text)  # plain text: list items never parse markup
            item.setData(Qt.ItemDataRole.UserRole, inc.id)
            self.addItem(item)
            if inc.id == self.desk.on_wall:
                self.setCurrentItem(item)
