"""F1: every shortcut, over the window, made from the same table as the menus."""
from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class HelpOverlay(QWidget):
    def __init__(self, rows: list[tuple[str, str]], parent: QWidget):
        super().__init__(parent)
        self.setObjectName("helpOverlay")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.setStyleSheet("#helpOverlay { background: rgba(10, 10, 14, 225); }"
                           "QLabel { color: #f0f0f0; font-size: 14px; }")
        body = "".join(
            f"<tr><td style='padding:2px 24px 2px 0'>{escape(what)}</td>"
            f"<td style='color:#ffd600'><b>{escape(keys)}</b></td></tr>" for what, keys in rows)
        self.label = QLabel(
            "<h2>Nazar keyboard</h2><table>" + body + "</table>"
            "<p style='color:#aaa'>F1 or Esc closes this help.</p>", self)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        lay = QVBoxLayout(self)
        lay.addWidget(self.label, 0, Qt.AlignmentFlag.AlignCenter)
        self.rows = rows
        self.hide()

    def show_over(self, window: QWidget) -> None:
        self.setGeometry(window.rect())
        self.show()
        self.raise_()
