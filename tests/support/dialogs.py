"""Answering the questions a window asks (a name for a view, "replace view 1?") as an officer
would: wait for the modal dialog, type into it, and press Enter or click a button."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox


def answer_next_dialog(text: str | None = None, accept: bool = True) -> list[str]:
    """Answer the next modal dialog: type `text` into its line edit (if given), then accept
    (Enter, or the Yes button of a question) or cancel (Esc). Returns a list that receives
    the dialog's question once it has been answered."""
    asked: list[str] = []

    def poll() -> None:
        w = QApplication.activeModalWidget()
        if w is None:
            QTimer.singleShot(20, poll)
            return
        if isinstance(w, QMessageBox):
            asked.append(w.text())
            button = w.button(QMessageBox.StandardButton.Yes if accept
                              else QMessageBox.StandardButton.No)
            QTest.mouseClick(button, Qt.MouseButton.LeftButton)
            return
        if isinstance(w, QInputDialog):
            asked.append(w.labelText())
        edit = w.findChild(QLineEdit)
        if text is not None and edit is not None:
            edit.selectAll()
            QTest.keyClicks(edit, text)
        QTest.keyClick(edit or w, Qt.Key.Key_Return if accept else Qt.Key.Key_Escape)

    QTimer.singleShot(0, poll)
    return asked
