"""The alarm sound: once when an incident is raised, then again every `repeat_s` seconds
while it is not acknowledged (a new incident that is only listed, because the one on the wall
is as urgent, sounds once); acknowledging (or clearing) stops it at once: the desk's change
event stops the player and the timer, with no timer in between.

The tone is app/sounds.py's WAV, played with QtMultimedia's QSoundEffect, loaded only when
the first incident is raised; where there is no sound output, Qt's beep instead.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, QUrl
from PySide6.QtWidgets import QApplication

from app.alarm import AlarmDesk
from app.sounds import alarm_wav

log = logging.getLogger("nazar.alarm")

REPEAT_S = 30.0


class _Player:
    """Plays the tone; stops it. QSoundEffect when it can, else the desktop's beep."""

    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir
        self.effect: Any = None  # a QSoundEffect once loaded
        self._tried = False

    def _load(self) -> None:
        self._tried = True
        try:
            from PySide6.QtMultimedia import QSoundEffect
            effect = QSoundEffect()
            effect.setSource(QUrl.fromLocalFile(str(alarm_wav(self.cache_dir))))
            effect.setVolume(1.0)
            self.effect = effect
        except Exception as exc:  # noqa: BLE001 - no multimedia here: beep instead
            log.warning("alarm sound: %s; using the system beep", exc)

    def play(self) -> None:
        if not self._tried:
            self._load()
        if self.effect is not None and self.effect.status() != self.effect.Status.Error:
            self.effect.play()  # (loading: it plays once loaded)
        else:
            QApplication.beep()  # no multimedia, or the tone could not be played here

    def stop(self) -> None:
        if self.effect is not None:
            self.effect.stop()


class AlarmSound(QObject):
    def __init__(self, desk: AlarmDesk, cache_dir: Path, parent: QObject | None = None,
                 repeat_s: float = REPEAT_S,
                 player: tuple[Callable[[], None], Callable[[], None]] | None = None):
        super().__init__(parent)
        self.desk = desk
        p = _Player(cache_dir)
        self._play, self._stop = player or (p.play, p.stop)
        self.plays = 0  # times the tone was started (tests count them)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self._again)
        self.set_repeat(repeat_s)
        self._sounding_for: str | None = None
        self._open = len(desk.open)
        desk.changed.connect(self.refresh)

    def set_repeat(self, seconds: float) -> None:
        self.repeat_s = max(0.0, seconds)
        self.timer.setInterval(int(self.repeat_s * 1000) or 1)

    @property
    def sounding(self) -> bool:
        return self._sounding_for is not None

    def refresh(self) -> None:
        b = self.desk.banner()
        want = b["id"] if b is not None and not b["acknowledged"] else None
        more = len(self.desk.open) > self._open
        self._open = len(self.desk.open)
        if want == self._sounding_for:
            if more:  # a new incident was listed without taking the wall: it sounds once
                self._again()
            return
        self._sounding_for = want
        if want is None:
            self.timer.stop()
            self._stop()
            return
        self._again()  # a new incident on the wall: at once
        if self.repeat_s > 0:
            self.timer.start()

    def _again(self) -> None:
        self.plays += 1
        self._play()
