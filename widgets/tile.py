"""One tile of the wall: paints the newest frame and an overlay with the stream's state."""
from __future__ import annotations

import time
from dataclasses import dataclass, replace

from PySide6.QtCore import QMimeData, QPoint, QRect, Qt, Signal
from PySide6.QtGui import (QColor, QDrag, QDragEnterEvent, QDropEvent, QFont, QFontMetrics,
                           QImage, QMouseEvent, QPainter, QPaintEvent, QPen)
from PySide6.QtWidgets import QWidget

from app.binder import FrameSource
from app.feeds import Frame
from app.geometry import centered, fit_size
from app.labels import abbreviate
from app.streams import State, StatusReading
from app.styles import style_of

BACKGROUND = QColor(12, 12, 14)
CAMERA_MIME = "application/x-nazar-camera"
TILE_MIME = "application/x-nazar-tile"
CAMERA_TEXT_PREFIX = "nazar-camera:"  # plain-text drags, e.g. a pin dragged out of the map


def dragged_camera(mime) -> str | None:
    """The camera id carried by a drag, if it carries one."""
    if mime.hasFormat(CAMERA_MIME):
        return bytes(mime.data(CAMERA_MIME).data()).decode("utf-8")
    if mime.hasText() and mime.text().startswith(CAMERA_TEXT_PREFIX):
        return mime.text()[len(CAMERA_TEXT_PREFIX):].strip() or None
    return None

_COLOURS: dict[str, QColor] = {}


def state_colour(state: State) -> QColor:
    """The state's colour from the one style table (app/styles.py), as a QColor."""
    colour = _COLOURS.get(state.value)
    if colour is None:
        colour = _COLOURS[state.value] = QColor(style_of(state).colour)
    return colour


# A live stream's picture shown this late (capture to the wall taking it) says so on its
# tile, in amber: a wall that cannot keep up must not look live (README, "Stream states").
BEHIND_S = 1.0


@dataclass
class TileContent:
    camera_id: str
    name: str
    place: str
    source: FrameSource | None  # None: the camera is not in the registry
    problem: str = ""
    stream: str = "main"  # "main" or "sub": which of the camera's streams is shown
    number: int = 0
    chip: str = ""  # alarm mode: why this camera is on the wall ("covers · 140 m")


class TileWidget(QWidget):
    clicked = Signal(int)
    doubleClicked = Signal(int)
    cameraDropped = Signal(int, str)  # tile index, camera id
    tileDropped = Signal(int, int)  # from tile, to tile

    def __init__(self, index: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.index = index
        self.content: TileContent | None = None
        self.selected = False
        self.highlighted = False  # the camera picked elsewhere (e.g. on the map)
        self.wall_focused = True  # the wall has the keyboard: the selection is bright
        self._frame: Frame | None = None
        self._image: QImage | None = None
        self._snap: StatusReading | None = None
        self._overlay_key: tuple | None = None
        self._bars: tuple[QImage, QImage, int] | None = None
        self._bars_key: tuple | None = None
        self.status_text = ""  # what the status bar says, as last drawn
        self.behind_s = 0.0  # how old the shown picture was when the wall took it
        self._press: QPoint | None = None
        self.paints = 0
        self.frames_shown = 0  # new frames taken from the slot (the displayed frame rate)
        self._painted_seq = 0
        # Capture-to-paint latency samples (seconds); None unless a benchmark switches it on.
        self.paint_latencies: list[float] | None = None
        self.setAcceptDrops(True)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(40, 30)
        self._font = QFont(self.font())
        self._font.setPixelSize(12)
        self._big = QFont(self.font())
        self._big.setBold(True)

    # -- content ----------------------------------------------------------------------------
    def set_content(self, content: TileContent | None) -> None:
        self.content = content
        self._frame = None
        self._image = None
        self._snap = None
        self._overlay_key = None
        self.update()

    def set_chip(self, chip: str) -> None:
        if self.content is not None and self.content.chip != chip:
            self.content = replace(self.content, chip=chip)
            self.update()

    def switch_source(self, source: FrameSource | None, stream: str) -> None:
        """Show another stream of the same camera. The current picture stays on the tile
        until the new stream's first frame replaces it: no black gap."""
        if self.content is None:
            return
        self.content = replace(self.content, source=source, stream=stream)
        self._overlay_key = None

    def device_size(self) -> tuple[int, int]:
        ratio = self.devicePixelRatioF()
        return int(self.width() * ratio), int(self.height() * ratio)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        # Text grows with the tile: ~12 px on a 3x3 wall at 1080p, 9 px at 8x8, 20 px alone.
        px = max(9, min(20, round(min(self.height() / 22, self.width() / 30))))
        if self._font.pixelSize() != px:
            self._font.setPixelSize(px)
            self._bars_key = None
        super().resizeEvent(event)

    def refresh(self, snap: StatusReading | None = None) -> bool:
        """Called by the wall's display timer. Pulls the newest frame; repaints if needed.

        snap: the stream's status, which the wall passes a few times a second from the one
        status poller (not at every tick); without it the overlay keeps its text, unless
        this is the first frame after a non-live state, which must not be painted under a
        stale "CONNECTING".
        """
        source = self.content.source if self.content else None
        if source is None:
            return False
        changed = False
        frame = source.latest_frame()
        if frame is not None and frame is not self._frame:
            self._frame = frame
            self.frames_shown += 1
            behind = time.monotonic() - frame.captured
            self.behind_s = behind if 0.0 <= behind < 86400.0 else 0.0
            img = frame.image
            self._image = QImage(img.data, img.shape[1], img.shape[0], img.strides[0],
                                 QImage.Format.Format_RGB32)
            changed = True
            if snap is None and (self._snap is None or self._snap.state is not State.LIVE):
                snap = source.reading()
        if snap is not None:
            self._snap = snap
            key = (snap.state, snap.message, _status_age(snap), round(snap.fps), snap.path)
            if key != self._overlay_key:
                self._overlay_key = key
                changed = True
        if changed:
            self.update()
        return changed

    @property
    def state(self) -> State | None:
        return self._snap.state if self._snap else None

    @property
    def frame_seq(self) -> int:
        return self._frame.seq if self._frame else 0

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt API
        self.paints += 1
        p = QPainter(self)
        r = self.rect()
        c = self.content
        if c is None:
            p.fillRect(r, BACKGROUND)
            self._paint_empty(p, r)
        else:
            if self._image is not None:
                if self.paint_latencies is not None and self._frame.seq != self._painted_seq:
                    self._painted_seq = self._frame.seq
                    self.paint_latencies.append(time.monotonic() - self._frame.captured)
                iw, ih = self._image.width(), self._image.height()
                fw, fh = fit_size(iw, ih, r.width(), r.height())
                if self.devicePixelRatioF() == 1.0 and iw <= r.width() and ih <= r.height() \
                        and fw - iw <= 2 and fh - ih <= 2:
                    fw, fh = iw, ih  # made even by the decoder: unscaled (a fast blit)
                ox, oy = centered(fw, fh, r.width(), r.height())
                picture = QRect(ox, oy, fw, fh)
                # Only the bars beside or above and below the picture need the background.
                if ox > 0:
                    p.fillRect(0, 0, ox, r.height(), BACKGROUND)
                    p.fillRect(ox + fw, 0, r.width() - ox - fw, r.height(), BACKGROUND)
                if oy > 0:
                    p.fillRect(0, 0, r.width(), oy, BACKGROUND)
                    p.fillRect(0, oy + fh, r.width(), r.height() - oy - fh, BACKGROUND)
                p.drawImage(picture, self._image)
            else:
                p.fillRect(r, BACKGROUND)
            self._paint_overlay(p, r, c)
        if self.highlighted:
            p.setPen(QPen(QColor(0, 200, 255), 3, Qt.PenStyle.DashLine))
            p.drawRect(r.adjusted(5, 5, -6, -6))
        if self.selected:
            # Bright yellow while the wall has the keyboard; dashed grey while another panel
            # has it, so the officer sees where the keys go.
            if self.wall_focused:
                p.setPen(QPen(QColor(255, 214, 0), 3))
            else:
                p.setPen(QPen(QColor(160, 160, 160), 2, Qt.PenStyle.DashLine))
            p.drawRect(r.adjusted(1, 1, -2, -2))
        p.end()

    def _paint_empty(self, p: QPainter, r: QRect) -> None:
        p.setPen(QColor(110, 110, 110))
        p.setFont(self._font)
        p.drawText(r, Qt.AlignmentFlag.AlignCenter,
                   f"{self.index + 1}\nEmpty: double-click or drag a camera here")

    def _overlay_bars(self, r: QRect, c: TileContent) -> tuple[QImage, QImage, int]:
        """The caption and status bars, each drawn once per change of its own text or the
        tile's width, not at every frame (text layout was most of a tile's paint time). The
        caption is not redrawn when only the status (fps, age) changes: on an 8x8 wall every
        Qt call of the GUI thread may wait for the GIL behind 64 decoder threads."""
        state, colour = self._state_colour(c)
        status = self._status_line(c, state)
        px, width = self._font.pixelSize(), r.width()
        top_key = (c.camera_id, c.name, c.place, c.number, width, px)
        behind = self._behind(state)
        if behind:
            colour = state_colour(State.STALLED)
        bottom_key = (status, state, c.source is None, width, px)
        if self._bars is not None and self._bars_key == (top_key, bottom_key):
            return self._bars
        top = self._bars[0] if self._bars and self._bars_key and self._bars_key[0] == top_key \
            else None  # the caption as drawn, when only the status changed
        fm = QFontMetrics(self._font)
        bar_h = fm.height() + 6
        if top is None:
            caption = _caption(c, lambda text: fm.horizontalAdvance(text) <= width - 10)
            top = _bar_image(width, bar_h)
            p = QPainter(top)
            p.fillRect(QRect(0, 0, width, bar_h), QColor(0, 0, 0, 160))
            p.setFont(self._font)
            p.setPen(QColor(240, 240, 240))
            p.drawText(QRect(5, 0, width - 10, bar_h), Qt.AlignmentFlag.AlignVCenter, caption)
            p.end()
        bar_w = max(1, min(width, fm.horizontalAdvance(status) + 16))
        bottom = _bar_image(bar_w, bar_h)
        p = QPainter(bottom)
        p.fillRect(QRect(0, 0, bar_w, bar_h), QColor(0, 0, 0, 170))
        p.fillRect(QRect(0, 0, 5, bar_h), colour)
        p.setFont(self._font)
        p.setPen(colour.lighter(150) if state is not State.LIVE or behind
                 else QColor(220, 255, 220))
        p.drawText(QRect(9, 0, bar_w - 9, bar_h), Qt.AlignmentFlag.AlignVCenter, status)
        p.end()
        self._bars, self._bars_key = (top, bottom, bar_h), (top_key, bottom_key)
        self.status_text = status
        return self._bars

    def _status_line(self, c: TileContent, state: State) -> str:
        """State, age of the last frame, fps, sub stream, relay path."""
        snap = self._snap
        if c.source is None:
            return "NOT IN REGISTRY"
        status = style_of(state).label
        if snap and snap.frame_age_s is not None:
            status += f"  {_status_age(snap)} ago"
        if state is State.LIVE and snap:
            status += f"  {snap.fps:.0f} fps"
            if self.behind_s >= BEHIND_S:
                status += f"  · picture {self.behind_s:.0f} s behind"
            elif snap.catching_up:
                status += "  · catching up: keyframes only"
        if c.stream == "sub":
            status += "  · sub"
        if snap and snap.path:  # relay hubs: "via Lalbazar-1", "direct · ... down"
            status += f"  · {snap.path}"
        return status

    def _behind(self, state: State) -> bool:
        """The stream is live but the wall is not keeping up with it (amber)."""
        return state is State.LIVE and (self.behind_s >= BEHIND_S or bool(
            self._snap and self._snap.catching_up))

    def _state_colour(self, c: TileContent) -> tuple[State, QColor]:
        state = self._snap.state if self._snap else State.CONNECTING
        return state, state_colour(State.ERROR if c.source is None else state)

    def _paint_chip(self, p: QPainter, r: QRect, chip: str, top: int) -> None:
        """The alarm's reason chip: small, plain text, top right under the caption."""
        font = QFont(self._font)
        font.setPixelSize(max(9, self._font.pixelSize() - 1))
        fm = QFontMetrics(font)
        text = fm.elidedText(chip, Qt.TextElideMode.ElideRight, max(20, r.width() - 16))
        w, h = fm.horizontalAdvance(text) + 10, fm.height() + 4
        box = QRect(r.width() - w - 4, top + 3, w, h)
        p.fillRect(box, QColor(183, 28, 28, 220))
        p.setFont(font)
        p.setPen(QColor(255, 255, 255))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_overlay(self, p: QPainter, r: QRect, c: TileContent) -> None:
        snap = self._snap
        state, colour = self._state_colour(c)
        top, bottom, bar_h = self._overlay_bars(r, c)
        p.drawImage(0, 0, top)
        p.drawImage(0, r.height() - bar_h, bottom)
        if c.chip:
            self._paint_chip(p, r, c.chip, bar_h)
        if state is State.LIVE and c.source is not None:
            return
        # Not live: make it unmistakable. Dim the (old) picture and say why, big.
        body = QRect(0, bar_h, r.width(), r.height() - 2 * bar_h)
        p.fillRect(body, QColor(0, 0, 0, 150 if self._image is not None else 0))
        p.setPen(QPen(colour, 4))
        p.drawRect(r.adjusted(2, 2, -3, -3))
        headline = style_of(state).label + ("…" if state is State.CONNECTING else "")
        detail = c.problem or (snap.message if snap else "")
        if snap and snap.retry_in_s is not None and state in (State.RECONNECTING, State.OFFLINE):
            detail = f"{detail}\nretrying in {snap.retry_in_s:.0f} s"
        if c.source is None:
            headline, detail = "UNKNOWN CAMERA", f"'{c.camera_id}' is not in the registry"
        big = QFont(self._big)
        # "CONNECTING…" (12 characters) fits the tile's width as well as its height.
        big.setPixelSize(max(10, min(36, r.height() // 8, r.width() // 9)))
        p.setFont(big)
        p.setPen(colour.lighter(130))
        bfm = p.fontMetrics()
        head_rect = QRect(0, body.center().y() - bfm.height(), r.width(), bfm.height())
        p.drawText(head_rect, Qt.AlignmentFlag.AlignCenter, headline)
        p.setFont(self._font)
        p.setPen(QColor(230, 230, 230))
        p.drawText(QRect(8, head_rect.bottom() + 4, r.width() - 16, body.bottom() - head_rect.bottom()),
                   Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                   detail)

    # -- mouse and drag and drop --------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
            self.clicked.emit(self.index)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if (self._press is not None and self.content is not None
                and (event.position().toPoint() - self._press).manhattanLength() > 12):
            self._press = None
            mime = QMimeData()
            mime.setData(TILE_MIME, str(self.index).encode())
            drag = QDrag(self)
            drag.setMimeData(mime)
            drag.exec(Qt.DropAction.MoveAction)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self._press = None
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        self.doubleClicked.emit(self.index)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        if dragged_camera(mime) is not None or mime.hasFormat(TILE_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        mime = event.mimeData()
        camera_id = dragged_camera(mime)
        if camera_id is not None:
            self.cameraDropped.emit(self.index, camera_id)
            event.acceptProposedAction()
        elif mime.hasFormat(TILE_MIME):
            src = int(bytes(mime.data(TILE_MIME).data()).decode())
            if src != self.index:
                self.tileDropped.emit(src, self.index)
            event.acceptProposedAction()


def _bar_image(width: int, height: int) -> QImage:
    img = QImage(width, height, QImage.Format.Format_ARGB32_Premultiplied)
    img.fill(Qt.GlobalColor.transparent)
    return img


def _caption(c: TileContent, fits) -> str:
    """"#12  Gariahat Crossing  ·  Gariahat PS" if it fits, else the name alone, shortened
    word by word ("#12  Gariahat Cr.") rather than cut in the middle of a word."""
    number = f"#{c.number}  " if c.number else ""
    full = f"{number}{c.name}  ·  {c.place}"
    if fits(full):
        return full
    name = abbreviate(c.name, lambda text: fits(number + text))
    return number + name if name else number.strip()


def _status_age(snap: StatusReading) -> str:
    """The age of the newest frame as the status line shows it. A live stream's frames are
    under a second old: "<1 s" rather than tenths that would redraw the bar at every look."""
    if snap.state is State.LIVE and snap.frame_age_s is not None and snap.frame_age_s < 1.0:
        return "<1 s"
    return _age_text(snap.frame_age_s)


def _age_text(age: float | None) -> str:
    if age is None:
        return "-"
    if age < 10:
        return f"{age:.1f} s"
    if age < 120:
        return f"{age:.0f} s"
    if age < 7200:
        return f"{age / 60:.0f} min"
    return f"{age / 3600:.0f} h"
