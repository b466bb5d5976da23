"""The alarm banner above the wall: what, where, how long ago, how many cameras.

Red for a real incident; blue with diagonal stripes and the word EXERCISE for a drill, so the
two are never confused. Until the incident is acknowledged it flashes (a 500 ms toggle: at
most one flash a second, well under the 3 Hz photosensitivity limit); acknowledging stops it
at once (the desk's change event, no timer in between). `reduced_motion` shows it solid.
No sound yet.
"""
from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.alarm import AlarmDesk

FLASH_MS = 500  # one toggle per 500 ms: 1 flash per second
REAL = ("#b71c1c", "#ff5252")  # steady, flash
EXERCISE = ("qlineargradient(x1:0, y1:0, x2:0.04, y2:0.04, spread:repeat, "
            "stop:0 #0d47a1, stop:0.5 #0d47a1, stop:0.51 #1565c0, stop:1 #1565c0)",
            "#42a5f5")


def since(raised_at: datetime, now: datetime) -> str:
    s = max(0, int((now - raised_at).total_seconds()))
    if s < 60:
        return f"{s} s ago"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s ago"
    return f"{s // 3600} h {s % 3600 // 60:02d} min ago"


class AlarmBanner(QWidget):
    def __init__(self, desk: AlarmDesk, parent: QWidget | None = None,
                 reduced_motion: bool = False):
        super().__init__(parent)
        self.desk = desk
        self.reduced_motion = reduced_motion
        self.setObjectName("alarmBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.hint = QLabel(self)
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 6, 12, 6)
        row.addWidget(self.label, 1)
        row.addWidget(self.hint)
        self.flash_timer = QTimer(self)
        self.flash_timer.setInterval(FLASH_MS)
        self.flash_timer.timeout.connect(self._toggle)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._update_text)
        self.lit = False
        self.flashes = 0  # toggles so far (tests count them)
        desk.changed.connect(self.refresh)
        self.refresh()

    @property
    def flashing(self) -> bool:
        return self.flash_timer.isActive()

    def refresh(self) -> None:
        b = self.desk.banner()
        if b is None:
            self.flash_timer.stop()
            self.clock.stop()
            self.hide()
            return
        flash = not b["acknowledged"] and not self.reduced_motion
        if flash and not self.flash_timer.isActive():
            self.flash_timer.start()
        elif not flash:
            self.flash_timer.stop()
            self.lit = False
        if not self.clock.isActive():
            self.clock.start()
        self._update_text()
        self._paint()
        self.show()

    def _toggle(self) -> None:
        self.lit = not self.lit
        self.flashes += 1
        self._paint()

    def _paint(self) -> None:
        b = self.desk.banner()
        colours = EXERCISE if b and b["exercise"] else REAL
        bg = colours[1] if self.lit else colours[0]
        self.setStyleSheet(f"#alarmBanner {{ background: {bg}; }}"
                           "QLabel { color: white; font-size: 18px; font-weight: bold; }")

    def _update_text(self) -> None:
        b = self.desk.banner()
        if b is None:
            return
        head = f"EXERCISE · {b['kind_text']} (EXERCISE)" if b["exercise"] else b["kind_text"]
        parts = [head, b["place"], since(b["raised_at"], datetime.now(timezone.utc)),
                 f"{b['cameras']} camera(s) within {b['radius_m']:g} m",
                 f"priority {b['priority']}"]
        if b["waiting"]:
            parts.append(f"{b['waiting']} more open (Alt+I)")
        self.label.setText("  ·  ".join(parts))
        self.hint.setText("acknowledged · Ctrl+Alt+C clears" if b["acknowledged"]
                          else "Alt+A acknowledge")
