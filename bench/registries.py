"""Large registries for the benchmarks: the demo registry's places with N generated cameras
(no Qt)."""
from __future__ import annotations

import math
import random
from dataclasses import replace
from pathlib import Path

from app.registry import Coverage, Location, Registry, load_registry

ROOT = Path(__file__).resolve().parents[1]


def big_registry(n: int, seed: int = 7) -> Registry:
    """The demo registry's places with `n` generated cameras."""
    demo = load_registry(ROOT / "cameras.yaml")
    rng = random.Random(seed)
    police_t = next(c for c in demo.cameras.values() if c.is_police)
    private_t = next(c for c in demo.cameras.values() if not c.is_police)
    stations = [s for s in demo.stations.values() if s.location]
    sites = list(demo.sites.values())
    cams = {}
    for i in range(n):
        if i % 5 == 4:
            site = sites[i % len(sites)]
            lat = site.location.lat + rng.gauss(0, 0.0004)
            lon = site.location.lon + rng.gauss(0, 0.0004)
            cam = replace(private_t, id=f"GEN-P{i:05d}", name=f"{site.name} - camera {i}",
                          site=site.id, station=site.station, number=i + 1,
                          location=Location(lat, lon),
                          coverage=Coverage(rng.uniform(0, 360), rng.choice([60, 90, 360]),
                                            rng.uniform(10, 40)))
        else:
            st = stations[i % len(stations)]
            r, a = abs(rng.gauss(0, 900)), rng.uniform(0, 2 * math.pi)
            lat = st.location.lat + r * math.cos(a) / 111_320
            lon = st.location.lon + r * math.sin(a) / (111_320 * math.cos(math.radians(lat)))
            cam = replace(police_t, id=f"GEN-{i:05d}", name=f"{st.name} junction {i}",
                          station=st.id, site=None, number=i + 1, location=Location(lat, lon),
                          coverage=Coverage(rng.uniform(0, 360), rng.choice([50, 70, 90]),
                                            rng.uniform(40, 150)))
        cams[cam.id] = cam
    return Registry(path=None, divisions=demo.divisions, stations=demo.stations,
                    sites=demo.sites, cameras=cams, map=demo.map)
