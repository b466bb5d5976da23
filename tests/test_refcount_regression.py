"""PySide6 6.12.0 on Python 3.11 drops a reference to None on every QPainter.drawImage and
aborts a painting-heavy program after a few thousand paints. This guards the pinned range."""
from __future__ import annotations

import gc
import sys

import numpy as np
from PySide6.QtCore import QRect
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap


def test_painting_does_not_drift_none_refcount(qapp):
    frame = np.zeros((90, 160, 4), np.uint8)
    frame[..., 1] = 200
    image = QImage(frame.data, 160, 90, frame.strides[0], QImage.Format.Format_RGB32)
    pixmap = QPixmap.fromImage(image)
    target = QImage(320, 180, QImage.Format.Format_RGB32)
    painter = QPainter(target)
    left, right, corner = QRect(0, 0, 160, 90), QRect(160, 90, 160, 90), QRect(0, 90, 10, 10)
    gc.disable()  # a collection in the middle would move the count for unrelated reasons
    try:
        for _ in range(200):  # warm up caches that hold a reference legitimately
            painter.drawImage(QRect(0, 0, 160, 90), image)
        before = sys.getrefcount(None)
        for i in range(3000):
            painter.drawImage(left, image)
            painter.drawPixmap(right, pixmap)
            painter.fillRect(corner, QColor(i % 255, 0, 0))
        after = sys.getrefcount(None)
    finally:
        gc.enable()
        painter.end()
    # A buggy binding loses one reference per call (~9000 here) and then aborts the process.
    assert after - before > -50, f"None lost {before - after} references while painting"
    assert target.pixelColor(200, 120).green() == 200  # it really painted
