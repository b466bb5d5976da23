"""The one place that turns registry objects into the words the officer reads:
"Park Street PS", "South Division", "South City Mall [mall]", tile captions, and
abbreviations that fit a small tile without cutting a word in half."""
from __future__ import annotations

from collections.abc import Callable

from app.registry import Camera, Division, Registry, Site, Station


def station_label(station: Station | None, fallback: str = "") -> str:
    return f"{station.name} PS" if station is not None else fallback


def division_label(division: Division) -> str:
    return f"{division.name} Division"


def site_label(site: Site) -> str:
    return f"{site.name} [{site.kind.replace('_', ' ')}]"


def camera_label(camera: Camera) -> str:
    return f"{camera.name} ({camera.id})"


def station_of(registry: Registry, station_id: str) -> str:
    return station_label(registry.stations.get(station_id), station_id)


def place_of(registry: Registry, camera: Camera) -> str:
    """Where the camera is, for a tile caption: its site for a private camera, else its PS."""
    if camera.site and camera.site in registry.sites:
        return registry.sites[camera.site].name
    return station_of(registry, camera.station)


def area_label(registry: Registry, kind: str, area_id: str) -> str:
    """A division, police station or site as a heading: "South Division", "Park Street PS"."""
    if kind == "division":
        return division_label(registry.divisions[area_id])
    if kind == "station":
        return station_of(registry, area_id)
    return registry.sites[area_id].name


def with_count(label: str, n: int) -> str:
    return f"{label} ({n})"


def abbreviate(text: str, fits: Callable[[str], bool]) -> str:
    """The longest form of `text` that `fits`, shortening whole words, never cutting one in
    the middle: "Gariahat Crossing North" -> "Gariahat Crossing N." -> "Gariahat C. N." ->
    "G. C. N." -> "G…" -> "". `fits(s)` says whether a string fits the space (the caller
    measures with its own font)."""
    if fits(text):
        return text
    words = text.split()
    for i in range(len(words) - 1, -1, -1):  # the last words matter least
        if len(words[i]) > 2 and words[i][0].isalnum():
            words[i] = words[i][0] + "."
            candidate = " ".join(words)
            if fits(candidate):
                return candidate
    if words and fits(words[0][0] + "…"):
        return words[0][0] + "…"
    return ""
