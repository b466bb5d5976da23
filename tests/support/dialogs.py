"""Answering the questions a window asks (a name for a view, "replace view 1?") as an officer
would: wait for the modal dialog to have the keyboard, type into it, and press Enter or click
a button."""
from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox


class _Asked(list):
    poll = None


def answer_next_dialog(text: str | None = None, accept: bool = True,
                       button: str | None = None) -> list[str]:
    """Answer the next modal dialog: type `text` into its line edit (if given), then accept
    (Enter, or the Yes / default button of a question) or cancel (Esc, or No / the cancel
    button); or click the button labelled `button`. Returns a list that receives the dialog's
    question once it has been answered."""
    asked = _Asked()

    def poll() -> None:
        w = QApplication.activeModalWidget()
        if w is None:
            QTimer.singleShot(20, poll)
            return
        if QApplication.activeWindow() is not w:  # as on a desktop: the dialog has the keys
            w.activateWindow()
            QTimer.singleShot(20, poll)
            return
        # The offscreen platform has no window manager to give the keys back afterwards.
        parent = w.parentWidget().window() if w.parentWidget() else None
        if parent is not None:
            QTimer.singleShot(0, parent.activateWindow)
        if isinstance(w, QMessageBox):
            asked.append(w.text())
            if button is not None:
                target = next(b for b in w.buttons() if b.text() == button)
            else:
                target = w.button(QMessageBox.StandardButton.Yes if accept
                                  else QMessageBox.StandardButton.No)
                if target is None:  # a question with answers of its own
                    target = w.defaultButton() if accept else w.escapeButton()
            QTest.mouseClick(target, Qt.MouseButton.LeftButton)
            return
        if isinstance(w, QInputDialog):
            asked.append(w.labelText())
        edit = w.findChild(QLineEdit)
        if text is not None and edit is not None:
            edit.selectAll()
            QTest.keyClicks(edit, text)
        QTest.keyClick(edit or w, Qt.Key.Key_Return if accept else Qt.Key.Key_Escape)

    asked.poll = poll  # the timer does not keep a Python callable alive by itself
    QTimer.singleShot(0, poll)
    return asked
