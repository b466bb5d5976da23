"""The one search service (no Qt): Ctrl+F in the camera list, the map's search box and the
map's area picker all find the same things for the same text, in the same order."""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from app import labels
from app.registry import Registry

KINDS = ("division", "station", "site", "camera")
AREA_KINDS = ("division", "station", "site")
SEARCH_ORDER = {kind: i for i, kind in enumerate(KINDS)}


def fold(text: str) -> str:
    """For matching: NFC (Bengali has two spellings of some letters) and case-folded."""
    return unicodedata.normalize("NFC", text).casefold().strip()


@dataclass(frozen=True)
class SearchEntry:
    kind: str  # "camera", "site", "station", "division"
    id: str
    label: str  # what the list shows
    text: str  # folded text to match


def search_entries(registry: Registry) -> list[SearchEntry]:
    """Areas first (divisions, stations, sites), then cameras; every one with its label."""
    out: list[SearchEntry] = []
    for d in registry.divisions.values():
        label = labels.division_label(d)
        out.append(SearchEntry("division", d.id, label, fold(f"{label} {d.id}")))
    for s in registry.stations.values():
        div = registry.divisions.get(s.division)
        label = f"{labels.station_label(s)} ({div.name if div else s.division})"
        out.append(SearchEntry("station", s.id, label, fold(f"{label} {s.id}")))
    for site in registry.sites.values():
        label = labels.site_label(site)
        out.append(SearchEntry("site", site.id, label, fold(f"{label} {site.id}")))
    for c in registry.cameras.values():
        label = labels.camera_label(c)
        out.append(SearchEntry("camera", c.id, label, fold(f"{label} {c.number}")))
    return out


def search(entries: list[SearchEntry], query: str, limit: int = 50,
           kinds: Iterable[str] = KINDS) -> list[SearchEntry]:
    """Entries containing every word of the query, best first: the label starts with the
    query, then the query appears as written ("camera 7" before "camera 17"), then by kind
    (areas before cameras), then in registry order."""
    words = fold(query).split()
    if not words:
        return []
    wanted = set(kinds)
    hits = [e for e in entries if e.kind in wanted and all(w in e.text for w in words)]
    phrase = " ".join(words)

    def rank(e: SearchEntry) -> tuple:
        at = e.text.find(phrase)
        whole = at >= 0 and (at + len(phrase) == len(e.text)
                             or not e.text[at + len(phrase)].isalnum())
        return (not e.text.startswith(phrase), not whole, at < 0, SEARCH_ORDER.get(e.kind, 9))
    hits.sort(key=rank)
    return hits[:limit]


class SearchService:
    """The registry's search index, built once and shared by every search box."""

    def __init__(self, registry: Registry):
        self.entries = search_entries(registry)

    def find(self, query: str, limit: int = 50,
             kinds: Iterable[str] = KINDS) -> list[SearchEntry]:
        return search(self.entries, query, limit, kinds)

    def camera_ids(self, query: str) -> set[str]:
        """Every camera the query finds, directly or through its area (a station finds its
        cameras, a site its cameras, a division its stations' cameras)."""
        return {e.id for e in self.find(query, limit=1_000_000, kinds=("camera",))}
