"""A non-modal warning strip at the top of the window: never a dialog over the wall."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout,
                               QWidget)


class MessageBar(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setStyleSheet("#messageBar { background: #5a3d00; } QLabel { color: #ffe9b0; }")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.details_button = QPushButton("Details", self)
        self.details_button.setCheckable(True)
        self.close_button = QPushButton("Dismiss", self)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(160)
        self.details.hide()
        row = QHBoxLayout()
        row.addWidget(self.label, 1)
        row.addWidget(self.details_button)
        row.addWidget(self.close_button)
        col = QVBoxLayout(self)
        col.setContentsMargins(8, 4, 8, 4)
        col.addLayout(row)
        col.addWidget(self.details)
        self.details_button.toggled.connect(self.details.setVisible)
        self.close_button.clicked.connect(self.hide)
        self.hide()

    def show_message(self, summary: str, details: list[str]) -> None:
        self.label.setText(summary)
        self.details.setPlainText("\n".join(details))
        self.details_button.setVisible(bool(details))
        self.show()
