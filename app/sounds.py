"""The alarm tone, made here as a WAV file (no Qt, no file shipped, nothing downloaded).

Two alternating tones (960 Hz and 640 Hz, 0.25 s each, twice: one second), the pattern of a
European two-tone siren, loud enough to be heard over a control room but not clipped.
"""
from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

RATE = 22050
TONES = ((960.0, 0.25), (640.0, 0.25), (960.0, 0.25), (640.0, 0.25))
VERSION = 1


def tone_samples(rate: int = RATE) -> list[int]:
    """16-bit samples of the alarm tone, with 5 ms fades so it does not click."""
    out: list[int] = []
    fade = int(0.005 * rate)
    for freq, seconds in TONES:
        n = int(seconds * rate)
        for i in range(n):
            env = min(1.0, i / fade, (n - 1 - i) / fade)
            out.append(int(0.6 * 32767 * env * math.sin(2 * math.pi * freq * i / rate)))
    return out


def alarm_wav(directory: Path) -> Path:
    """The alarm tone as a WAV file in `directory` (written once, then reused)."""
    path = Path(directory) / f"alarm-tone-v{VERSION}.wav"
    if path.is_file() and path.stat().st_size > 44:
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".partial")
    samples = tone_samples()
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    tmp.replace(path)
    return path
