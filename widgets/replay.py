"""The instant-replay window: a tile's last 30 s, with a scrub bar, while the tile stays live.

Keys: Space plays / pauses, Left / Right step 2 s, Home goes to the start, End to the newest
picture, Esc closes. The picture comes from the player's newest-frame slot, read on this
window's own timer (app/replay.py decodes in its own thread).
"""
from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QColor, QImage, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QDialog, QLabel, QSlider, QVBoxLayout, QWidget

from app.replay import ReplayPlayer

STEP_S = 2.0


class _Picture(QWidget):
    def __init__(self, player: ReplayPlayer, parent: QWidget):
        super().__init__(parent)
        self.player = player
        self.seq = 0
        self.setMinimumSize(320, 180)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(0, 0, 0))
        frame = self.player.slot.get()
        if frame is not None:
            h, w = frame.image.shape[:2]
            img = QImage(frame.image.data, w, h, w * 4, QImage.Format.Format_RGB32)
            scale = min(self.width() / w, self.height() / h)
            tw, th = int(w * scale), int(h * scale)
            p.drawImage(QRect((self.width() - tw) // 2, (self.height() - th) // 2, tw, th), img)
        p.end()


class ReplayWindow(QDialog):
    """Non-modal: the wall (and its keyboard) stays usable beside it."""

    def __init__(self, player: ReplayPlayer, title: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Replay: {title}")
        self.player = player
        self.title = title
        self.picture = _Picture(player, self)
        self.bar = QSlider(Qt.Orientation.Horizontal, self)
        self.bar.setRange(0, max(1, int(player.duration * 10)))
        self.bar.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys go to the window
        self.bar.sliderMoved.connect(lambda v: self.player.seek(v / 10))
        self.label = QLabel(self)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # the camera name is registry text
        col = QVBoxLayout(self)
        col.addWidget(self.picture, 1)
        col.addWidget(self.bar)
        col.addWidget(self.label)
        self.resize(960, 620)
        self.timer = QTimer(self)
        self.timer.setInterval(40)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        self.finished.connect(self._stop)  # Esc (reject) hides without a closeEvent

    def _tick(self) -> None:
        seq = self.player.slot.seq
        if seq != self.picture.seq:
            self.picture.seq = seq
            self.picture.update()
        if not self.bar.isSliderDown():
            self.bar.setValue(int(self.player.position * 10))
        state = "playing" if self.player.playing else "paused"
        back = self.player.duration - self.player.position
        self.label.setText(f"{self.title}: {self.player.position:.1f} s of "
                           f"{self.player.duration:.1f} s ({back:.0f} s before the newest "
                           f"picture), {state}. The tile on the wall stays live. "
                           "Space play/pause, \u2190/\u2192 2 s, Home, End, Esc closes.")

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt API
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.player.toggle()
        elif key == Qt.Key.Key_Left:
            self.player.step(-STEP_S)
        elif key == Qt.Key.Key_Right:
            self.player.step(STEP_S)
        elif key == Qt.Key.Key_Home:
            self.player.seek(0.0)
        elif key == Qt.Key.Key_End:
            self.player.seek(self.player.duration)
        else:
            super().keyPressEvent(event)  # Esc closes
            return
        self._tick()

    def _stop(self) -> None:
        self.timer.stop()
        self.player.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self._stop()
        super().closeEvent(event)
