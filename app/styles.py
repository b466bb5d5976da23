"""One table of stream-state styles: the label, colour and meaning of every state.

The tiles (Qt colours made from these hex strings) and the map page (which receives the
table as JSON in its data block) both draw from it, so a stalled tile and a stalled map pin
can never disagree.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from app.streams import State


@dataclass(frozen=True)
class StateStyle:
    label: str  # short, upper case on tiles: "LIVE"
    colour: str  # "#rrggbb"
    meaning: str  # for the map's legend and cards, and the help


# "idle" is not a stream state: a camera that no wall shows (map pins only).
IDLE = "idle"

STATE_STYLES: dict[str, StateStyle] = {
    State.LIVE.value: StateStyle("LIVE", "#2ea043", "live: new pictures arriving"),
    State.CONNECTING.value: StateStyle("CONNECTING", "#78909c", "connecting"),
    State.STALLED.value: StateStyle("STALLED", "#f0b400",
                                    "stalled: open, but no new picture"),
    State.RECONNECTING.value: StateStyle("RECONNECTING", "#f08c00",
                                         "reconnecting after a loss"),
    State.OFFLINE.value: StateStyle("OFFLINE", "#d32f2f",
                                    "offline: several attempts failed, still retrying"),
    State.ERROR.value: StateStyle("ERROR", "#a51d1d",
                                  "error: cannot work without a change (address, file)"),
    State.CLOSED.value: StateStyle("CLOSED", "#5a5a5a", "closed"),
    IDLE: StateStyle("NOT ON THE WALL", "#ffffff", "not on the wall"),
}

# Several feeds can show one camera (main and sub stream): the map shows the best of them.
STATE_RANK = {"live": 0, "stalled": 1, "connecting": 2, "reconnecting": 3, "offline": 4,
              "error": 5, "closed": 6}


def style_of(state: State | str) -> StateStyle:
    key = state.value if isinstance(state, State) else state
    return STATE_STYLES.get(key, STATE_STYLES[IDLE])


def styles_for_page() -> dict[str, dict[str, str]]:
    """The table as the map page receives it (in its JSON data block)."""
    return {name: asdict(style) for name, style in STATE_STYLES.items()}
