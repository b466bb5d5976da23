"""Writes resources/basemap/demo-kolkata.osm: the demo's small, hand-drawn, APPROXIMATE
Kolkata layer, as OpenStreetMap XML (the same pipeline as a real extract builds it into
vector tiles: app/basemap.py).

Drawn from memory and from the approximate coordinates in the project's demo data notes:
the Hooghly with Howrah Bridge and Vidyasagar Setu, the main roads, the Maidan, Victoria
Memorial, Sealdah and Howrah stations, and Lalbazar. Good enough to recognise the city on
the demo; never for navigation (the map says so).

    python tools/make_demo_basemap.py      # rewrites the file
"""
from __future__ import annotations

import sys
from pathlib import Path
from xml.sax.saxutils import quoteattr

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "basemap" / "demo-kolkata.osm"

# The Hooghly's east and west banks, north to south (lat, lon), about 400-600 m apart.
RIVER_EAST = [(22.680, 88.363), (22.655, 88.360), (22.630, 88.357), (22.610, 88.356),
              (22.598, 88.354), (22.588, 88.350), (22.580, 88.346), (22.572, 88.342),
              (22.563, 88.337), (22.556, 88.333), (22.548, 88.325), (22.543, 88.312),
              (22.541, 88.298), (22.536, 88.283), (22.525, 88.266), (22.510, 88.250)]
RIVER_WEST = [(22.680, 88.356), (22.655, 88.353), (22.630, 88.350), (22.610, 88.349),
              (22.598, 88.347), (22.588, 88.343), (22.580, 88.339), (22.572, 88.335),
              (22.564, 88.330), (22.558, 88.326), (22.551, 88.318), (22.547, 88.307),
              (22.545, 88.295), (22.540, 88.280), (22.529, 88.262), (22.514, 88.246)]

# name, name:bn, highway class, points (lat, lon), bridge
ROADS = [
    ("Howrah Bridge (Rabindra Setu)", "হাওড়া ব্রিজ (রবীন্দ্র সেতু)", "primary",
     [(22.5868, 88.3405), (22.5851, 88.3469), (22.5836, 88.3497)], True),
    ("Vidyasagar Setu", "বিদ্যাসাগর সেতু", "trunk",
     [(22.5575, 88.3195), (22.5558, 88.3310), (22.5530, 88.3405)], True),
    ("Strand Road", "স্ট্র্যান্ড রোড", "secondary",
     [(22.5900, 88.3545), (22.5836, 88.3500), (22.5760, 88.3455), (22.5680, 88.3415),
      (22.5600, 88.3380), (22.5530, 88.3405)], False),
    ("Eastern Metropolitan Bypass", "ইস্টার্ন মেট্রোপলিটান বাইপাস", "trunk",
     [(22.5920, 88.3900), (22.5779, 88.4013), (22.5600, 88.4020), (22.5400, 88.3975),
      (22.5146, 88.4010), (22.4950, 88.4000), (22.4818, 88.3960), (22.4680, 88.3930)],
     False),
    ("AJC Bose Road", "আচার্য জগদীশচন্দ্র বসু রোড", "primary",
     [(22.5386, 88.3334), (22.5405, 88.3495), (22.5440, 88.3560), (22.5500, 88.3600),
      (22.5560, 88.3625), (22.5620, 88.3655), (22.5668, 88.3692)], False),
    ("Jawaharlal Nehru Road (Chowringhee)", "জওহরলাল নেহরু রোড (চৌরঙ্গী)", "primary",
     [(22.5646, 88.3514), (22.5600, 88.3515), (22.5530, 88.3510), (22.5470, 88.3503),
      (22.5405, 88.3495)], False),
    ("Ashutosh Mukherjee Road", "আশুতোষ মুখার্জি রোড", "primary",
     [(22.5405, 88.3495), (22.5320, 88.3470), (22.5240, 88.3450), (22.5185, 88.3440)],
     False),
    ("Park Street", "পার্ক স্ট্রিট", "secondary",
     [(22.5530, 88.3510), (22.5525, 88.3560), (22.5505, 88.3610), (22.5470, 88.3650),
      (22.5420, 88.3680)], False),
    ("Rashbehari Avenue", "রাসবিহারী অ্যাভিনিউ", "primary",
     [(22.5185, 88.3440), (22.5170, 88.3520), (22.5178, 88.3600), (22.5190, 88.3660),
      (22.5175, 88.3760)], False),
    ("Chittaranjan Avenue", "চিত্তরঞ্জন অ্যাভিনিউ", "primary",
     [(22.5646, 88.3514), (22.5720, 88.3548), (22.5800, 88.3585), (22.5880, 88.3630),
      (22.6000, 88.3710)], False),
    ("Acharya Prafulla Chandra Road", "আচার্য প্রফুল্লচন্দ্র রোড", "primary",
     [(22.5668, 88.3692), (22.5750, 88.3710), (22.5830, 88.3722), (22.5920, 88.3728),
      (22.6000, 88.3715)], False),
    ("Barrackpore Trunk Road", "ব্যারাকপুর ট্রাঙ্ক রোড", "primary",
     [(22.6000, 88.3715), (22.6150, 88.3740), (22.6300, 88.3760), (22.6500, 88.3785),
      (22.6750, 88.3820)], False),
    ("Diamond Harbour Road", "ডায়মন্ড হারবার রোড", "primary",
     [(22.5386, 88.3334), (22.5300, 88.3280), (22.5150, 88.3240), (22.5030, 88.3210),
      (22.4900, 88.3140), (22.4700, 88.3080)], False),
    ("Prince Anwar Shah Road", "প্রিন্স আনোয়ার শাহ রোড", "secondary",
     [(22.4985, 88.3460), (22.5000, 88.3540), (22.5014, 88.3616), (22.5030, 88.3700),
      (22.5050, 88.3790)], False),
    ("Gariahat Road", "গড়িয়াহাট রোড", "secondary",
     [(22.5285, 88.3650), (22.5190, 88.3660), (22.5110, 88.3668), (22.5030, 88.3700)],
     False),
    ("Red Road", "রেড রোড", "secondary",
     [(22.5620, 88.3455), (22.5540, 88.3450), (22.5475, 88.3440)], False),
]

RAIL = [
    ("Sealdah North line", [(22.5677, 88.3708), (22.5800, 88.3780), (22.5950, 88.3830),
                            (22.6150, 88.3880), (22.6400, 88.3900)]),
    ("Sealdah South line", [(22.5677, 88.3708), (22.5500, 88.3720), (22.5300, 88.3700),
                            (22.5160, 88.3690), (22.5000, 88.3740), (22.4800, 88.3800)]),
    ("Howrah line", [(22.5839, 88.3424), (22.5900, 88.3370), (22.6050, 88.3330),
                     (22.6300, 88.3300)]),
]

# name, name:bn, key, value, ring (lat, lon)
AREAS = [
    ("Maidan", "ময়দান", "leisure", "park",
     [(22.5640, 88.3440), (22.5645, 88.3500), (22.5540, 88.3500), (22.5440, 88.3478),
      (22.5405, 88.3430), (22.5430, 88.3380), (22.5520, 88.3395), (22.5600, 88.3420)]),
    ("Victoria Memorial", "ভিক্টোরিয়া মেমোরিয়াল", "tourism", "attraction",
     [(22.5462, 88.3410), (22.5462, 88.3444), (22.5433, 88.3444), (22.5433, 88.3410)]),
    ("Rabindra Sarobar", "রবীন্দ্র সরোবর", "natural", "water",
     [(22.5130, 88.3560), (22.5140, 88.3640), (22.5100, 88.3650), (22.5090, 88.3570)]),
]

# name, name:bn, tags, (lat, lon)
POINTS = [
    ("Lalbazar (Kolkata Police HQ)", "লালবাজার (কলকাতা পুলিশ সদর)", {"amenity": "police"},
     (22.5713, 88.3512)),
    ("Sealdah station", "শিয়ালদহ স্টেশন", {"railway": "station"}, (22.5677, 88.3708)),
    ("Howrah station", "হাওড়া স্টেশন", {"railway": "station"}, (22.5839, 88.3424)),
    ("Esplanade", "এসপ্ল্যানেড", {"place": "quarter"}, (22.5660, 88.3530)),
    ("Howrah", "হাওড়া", {"place": "town"}, (22.5900, 88.3200)),
    ("Salt Lake", "সল্টলেক", {"place": "suburb"}, (22.5800, 88.4150)),
    ("Ballygunge", "বালিগঞ্জ", {"place": "suburb"}, (22.5270, 88.3640)),
    ("Tollygunge", "টালিগঞ্জ", {"place": "suburb"}, (22.4990, 88.3400)),
    ("Shyambazar", "শ্যামবাজার", {"place": "quarter"}, (22.6010, 88.3740)),
    ("Behala", "বেহালা", {"place": "suburb"}, (22.4950, 88.3100)),
    ("Garden Reach", "গার্ডেনরিচ", {"place": "suburb"}, (22.5380, 88.2950)),
]


class _Osm:
    def __init__(self) -> None:
        self.nodes: list[str] = []
        self.ways: list[str] = []
        self.next_id = 1

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    @staticmethod
    def _tags(tags: dict[str, str]) -> str:
        return "".join(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>" for k, v in tags.items())

    def node(self, lat: float, lon: float, tags: dict[str, str] | None = None) -> int:
        i = self._id()
        self.nodes.append(f' <node id="{i}" version="1" lat="{lat:.6f}" lon="{lon:.6f}">'
                          f"{self._tags(tags or {})}</node>")
        return i

    def way(self, points: list[tuple[float, float]], tags: dict[str, str],
            closed: bool = False) -> int:
        ids = [self.node(lat, lon) for lat, lon in points]
        if closed:
            ids.append(ids[0])
        i = self._id()
        refs = "".join(f'<nd ref="{n}"/>' for n in ids)
        self.ways.append(f' <way id="{i}" version="1">{refs}{self._tags(tags)}</way>')
        return i

    def text(self) -> str:
        lats = [float(n.split('lat="')[1].split('"')[0]) for n in self.nodes]
        lons = [float(n.split('lon="')[1].split('"')[0]) for n in self.nodes]
        return ("<?xml version='1.0' encoding='UTF-8'?>\n"
                "<!-- Generated by tools/make_demo_basemap.py: an APPROXIMATE, hand-drawn "
                "demo layer of Kolkata. Not for navigation. -->\n"
                '<osm version="0.6" generator="nazar tools/make_demo_basemap.py">\n'
                f' <bounds minlat="{min(lats):.6f}" minlon="{min(lons):.6f}" '
                f'maxlat="{max(lats):.6f}" maxlon="{max(lons):.6f}"/>\n'
                + "\n".join(self.nodes + self.ways) + "\n</osm>\n")


def build() -> str:
    osm = _Osm()
    river = RIVER_EAST + list(reversed(RIVER_WEST))
    osm.way(river, {"natural": "water", "water": "river", "name": "Hooghly River",
                    "name:bn": "হুগলি নদী"}, closed=True)
    mid = [((a[0] + b[0]) / 2, (a[1] + b[1]) / 2) for a, b in zip(RIVER_EAST, RIVER_WEST)]
    osm.way(mid, {"waterway": "river", "name": "Hooghly River", "name:bn": "হুগলি নদী"})
    for name, bn, cls, pts, bridge in ROADS:
        tags = {"highway": cls, "name": name, "name:en": name, "name:bn": bn}
        if bridge:
            tags["bridge"] = "yes"
        osm.way(pts, tags)
    for name, pts in RAIL:
        osm.way(pts, {"railway": "rail", "name": name})
    for name, bn, key, value, ring in AREAS:
        osm.way(ring, {key: value, "name": name, "name:en": name, "name:bn": bn}, closed=True)
    for name, bn, tags, (lat, lon) in POINTS:
        osm.node(lat, lon, {**tags, "name": name, "name:en": name, "name:bn": bn})
    return osm.text()


def main() -> int:
    OUT.write_text(build(), encoding="utf-8")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
