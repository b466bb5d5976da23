#!/usr/bin/env python3
"""Generate Nazar's bundled DEMO camera registry (``cameras.yaml``).

Usage::

    python tools/make_demo_registry.py > cameras.yaml
    python tools/make_demo_registry.py --out cameras.yaml

The output is deterministic (fixed random seed, no timestamps), so regenerating it gives a
byte-identical file unless this script changes.  The YAML is written by hand, not by
``yaml.dump``, so that it can carry comments and compact one-line flow mappings; it needs
nothing beyond the standard library.

Everything here is DEMO data.  Division and police-station names are real (Kolkata Police
2020 directory plus the later additions), mall and landmark coordinates are approximate, and
every camera position, contact number, recorder room and stream address is invented.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import unicodedata
from dataclasses import dataclass, field

SEED = 20161204  # the day of the South City Mall fire; any fixed value would do
COMMAND = "python tools/make_demo_registry.py --out cameras.yaml"

# --------------------------------------------------------------------------------------------
# Divisions and police stations (names: 2020 directory + Golf Green 2021 + Bhangar 2024).
# Locations are rough estimates from the city's geography, NOT surveyed station addresses.
# A women's police station (id ending in "-w") shares the location of its namesake.
# --------------------------------------------------------------------------------------------

# (division id, division name, camera-id code, note, [(station id, name, lat, lon) ...])
# For women's stations lat is the id of the namesake station and lon is None.
DIVISIONS = [
    ("north", "North & North Suburban", "NTH", None, [
        ("shyampukur", "Shyampukur", 22.5975, 88.3665),
        ("jorabagan", "Jorabagan", 22.5895, 88.3570),
        ("burtolla", "Burtolla", 22.5945, 88.3600),
        ("amherst-street", "Amherst Street", 22.5790, 88.3700),
        ("cossipore", "Cossipore", 22.6170, 88.3730),
        ("chitpur", "Chitpur", 22.6115, 88.3795),
        ("tala", "Tala", 22.6050, 88.3780),
        ("sinthee", "Sinthee", 22.6280, 88.3830),
        ("amherst-street-w", "Amherst Street (Women)", "amherst-street", None),
    ]),
    ("central", "Central", "CEN", None, [
        ("burrabazar", "Burrabazar", 22.5800, 88.3530),
        ("posta", "Posta", 22.5855, 88.3545),
        ("jorasanko", "Jorasanko", 22.5835, 88.3605),
        ("girish-park", "Girish Park", 22.5870, 88.3640),
        ("hare-street", "Hare Street", 22.5700, 88.3490),
        ("bowbazar", "Bowbazar", 22.5690, 88.3625),
        ("muchipara", "Muchipara", 22.5655, 88.3680),
        ("taltala", "Taltala", 22.5600, 88.3600),
        ("new-market", "New Market", 22.5585, 88.3535),
        ("taltala-w", "Taltala (Women)", "taltala", None),
    ]),
    ("eastern-suburban", "Eastern Suburban", "ESD", None, [
        ("entally", "Entally", 22.5530, 88.3750),
        ("manicktala", "Manicktala", 22.5880, 88.3800),
        ("ultadanga", "Ultadanga", 22.5935, 88.3905),
        ("beliaghata", "Beliaghata", 22.5650, 88.3920),
        ("phoolbagan", "Phoolbagan", 22.5740, 88.3875),
        ("narkeldanga", "Narkeldanga", 22.5760, 88.3790),
        ("tangra", "Tangra", 22.5550, 88.3920),
        ("ultadanga-w", "Ultadanga (Women)", "ultadanga", None),
    ]),
    ("south", "South", "STH", None, [
        ("park-street", "Park Street", 22.5520, 88.3560),
        ("shakespeare-sarani", "Shakespeare Sarani", 22.5440, 88.3550),
        ("alipore", "Alipore", 22.5300, 88.3315),
        ("hastings", "Hastings", 22.5430, 88.3335),
        ("maidan", "Maidan", 22.5550, 88.3430),
        ("bhowanipur", "Bhowanipur", 22.5330, 88.3460),
        ("kalighat", "Kalighat", 22.5215, 88.3445),
        ("tollygunge", "Tollygunge", 22.4990, 88.3460),
        ("charu-market", "Charu Market", 22.5050, 88.3480),
        ("new-alipore", "New Alipore", 22.5080, 88.3320),
        ("chetla", "Chetla", 22.5175, 88.3370),
        ("tollygunge-w", "Tollygunge (Women)", "tollygunge", None),
    ]),
    ("port", "Port", "PRT", None, [
        ("north-port", "North Port", 22.5780, 88.3470),
        ("south-port", "South Port", 22.5400, 88.3240),
        ("west-port", "West Port", 22.5450, 88.3130),
        ("watgunge", "Watgunge", 22.5395, 88.3185),
        ("garden-reach", "Garden Reach", 22.5410, 88.2960),
        ("ekbalpur", "Ekbalpur", 22.5330, 88.3255),
        ("nadial", "Nadial", 22.5250, 88.2830),
        ("rajabagan", "Rajabagan", 22.5370, 88.2885),
        ("metiabruz", "Metiabruz", 22.5330, 88.2750),
        ("watgunge-w", "Watgunge (Women)", "watgunge", None),
    ]),
    ("south-east", "South East", "SED", None, [
        ("topsia", "Topsia", 22.5420, 88.3875),
        ("beniapukur", "Beniapukur", 22.5430, 88.3720),
        ("ballygunge", "Ballygunge", 22.5295, 88.3650),
        ("gariahat", "Gariahat", 22.5175, 88.3680),
        ("lake", "Lake", 22.5135, 88.3555),
        ("karaya", "Karaya", 22.5370, 88.3775),
        ("rabindra-sarobar", "Rabindra Sarobar", 22.5085, 88.3620),
        ("tiljala", "Tiljala", 22.5280, 88.3885),
        ("karaya-w", "Karaya (Women)", "karaya", None),
    ]),
    ("south-suburban", "Jadavpur (South Suburban)", "JDV",
     "called South Suburban division in the 2020 directory", [
        ("netaji-nagar", "Netaji Nagar", 22.4830, 88.3600),
        ("jadavpur", "Jadavpur", 22.4970, 88.3705),
        ("kasba", "Kasba", 22.5150, 88.3870),
        ("regent-park", "Regent Park", 22.4810, 88.3470),
        ("bansdroni", "Bansdroni", 22.4680, 88.3610),
        ("garfa", "Garfa", 22.5040, 88.3830),
        ("patuli", "Patuli", 22.4695, 88.3920),
        ("golf-green", "Golf Green", 22.4985, 88.3590),
        ("patuli-w", "Patuli (Women)", "patuli", None),
    ]),
    ("south-west", "South West", "SWD", None, [
        ("behala", "Behala", 22.4990, 88.3165),
        ("taratala", "Taratala", 22.5135, 88.3135),
        ("sarsuna", "Sarsuna", 22.4870, 88.2915),
        ("parnashree", "Parnashree", 22.4965, 88.3020),
        ("thakurpukur", "Thakurpukur", 22.4690, 88.3065),
        ("haridevpur", "Haridevpur", 22.4780, 88.3280),
        ("behala-w", "Behala (Women)", "behala", None),
    ]),
    ("east", "East", "EST", None, [
        ("panchasayar", "Panchasayar", 22.4725, 88.4000),
        ("kolkata-leather-complex", "Kolkata Leather Complex", 22.5090, 88.4620),
        ("purba-jadavpur", "Purba Jadavpur", 22.4905, 88.3995),
        ("pragati-maidan", "Pragati Maidan", 22.5360, 88.4040),
        ("survey-park", "Survey Park", 22.4965, 88.4050),
        ("anandapur", "Anandapur", 22.5140, 88.4125),
    ]),
    ("bhangar-division", "Bhangar", "BGR", "10th division since January 2024", [
        ("bhangar", "Bhangar", 22.4960, 88.6150),
        ("uttar-kashipur", "Uttar Kashipur", 22.5150, 88.5400),
        ("polerhat", "Polerhat", 22.4790, 88.5550),
        ("chandaneswar", "Chandaneswar", 22.4560, 88.5850),
    ]),
]

# --------------------------------------------------------------------------------------------
# Police cameras: real junctions and landmarks, approximate coordinates.
# --------------------------------------------------------------------------------------------

ARM_BEARING = {"N": 0, "NE": 45, "E": 90, "SE": 135, "S": 180, "SW": 225, "W": 270, "NW": 315}
HQ = "hq"  # recorder at the Lalbazar HQ data centre instead of the station's server room


@dataclass
class PolicePlace:
    name: str
    lat: float | None            # None: place it at a plausible offset from the station
    lon: float | None
    arms: tuple = ()             # e.g. ("N", "S"): one camera per arm, named "<name> (N)"
    bearing: int | None = None   # single camera (when arms is empty)
    scene: str = "junction"
    tags: tuple = ()
    rec: str | None = None       # HQ or None (own PS server room)
    main_only: bool = False
    fov: int | None = None
    range_m: int | None = None
    ptz: bool = False            # pan-tilt-zoom: coverage is its home position only


def P(name, lat=None, lon=None, arms="", bearing=None, scene="junction", tags=(), rec=None,
      main_only=False, fov=None, range_m=None, ptz=False):
    arms_t = tuple(arms.split()) if arms else ()
    return PolicePlace(name, lat, lon, arms_t, bearing, scene, tuple(tags), rec, main_only,
                       fov, range_m, ptz)


POLICE = {
    # ---- North & North Suburban ----
    "shyampukur": [
        P("শ্যামবাজার পাঁচমাথার মোড় (Shyambazar 5-point crossing)", 22.6012, 88.3727,
          bearing=200, fov=360, range_m=60, tags=["junction", "landmark", "dome"], rec=HQ),
        P("Shyambazar 5-point crossing - Bhupen Bose Ave", 22.6014, 88.3724, bearing=325,
          tags=["junction", "traffic"], rec=HQ),
        P("Shyambazar 5-point crossing - RG Kar Rd", 22.6013, 88.3731, bearing=70,
          tags=["junction", "traffic"], rec=HQ),
        P("Shyampukur St x Bidhan Sarani", 22.5978, 88.3698, arms="N S", tags=["junction"]),
    ],
    "jorabagan": [
        P("Nimtala Ghat St x Strand Rd", 22.5918, 88.3556, arms="N S", tags=["junction"]),
        P("Nimtala burning ghat gate", 22.5925, 88.3548, bearing=270, scene="gate",
          tags=["gate", "crowd"]),
    ],
    "burtolla": [
        P("Sovabazar crossing (CR Ave x Sovabazar St)", 22.5963, 88.3646, arms="N S",
          tags=["junction", "traffic"]),
        P("Ahiritola St x Jatindra Mohan Ave", 22.5968, 88.3590, bearing=240, tags=["junction"]),
    ],
    "amherst-street": [
        P("Raja Rammohan Sarani x MG Rd", 22.5805, 88.3700, arms="N E S",
          tags=["junction", "traffic"]),
        P("Raja Rammohan Sarani x Keshab Sen St", 22.5765, 88.3695, bearing=180,
          tags=["junction"]),
    ],
    "cossipore": [
        P("Chiria More (BT Rd x Cossipore Rd)", 22.6215, 88.3790, arms="N S W",
          tags=["junction", "traffic"]),
        P("Cossipore Rd x Gun & Shell Factory gate", 22.6185, 88.3655, bearing=300,
          scene="street", tags=["street"]),
    ],
    "chitpur": [
        P("Chitpur lock gate bridge", 22.6135, 88.3745, bearing=290, scene="bridge",
          tags=["bridge"]),
        P("Paikpara crossing", 22.6140, 88.3845, arms="E W", tags=["junction"]),
    ],
    "tala": [
        P("Tala bridge (RG Kar Rd)", 22.6070, 88.3815, bearing=20, scene="bridge",
          tags=["bridge", "traffic"], range_m=140),
        P("Belgachia crossing", 22.6062, 88.3835, arms="N S", tags=["junction"]),
    ],
    "sinthee": [
        P("Sinthee More (BT Rd)", 22.6300, 88.3790, arms="N S E", tags=["junction", "traffic"]),
        P("Sinthee Rd x Dum Dum Rd", 22.6275, 88.3880, bearing=80, scene="street",
          tags=["street"]),
    ],
    "amherst-street-w": [
        P("Amherst Street Women PS - compound gate", None, None, bearing=180, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Bethune College gate, Bidhan Sarani", 22.5895, 88.3712, bearing=90, scene="gate",
          tags=["college", "gate"]),
    ],
    # ---- Central ----
    "burrabazar": [
        P("MG Rd x Brabourne Rd (Burrabazar)", 22.5795, 88.3520, arms="N S E",
          tags=["junction", "traffic", "market"]),
        P("Kalakar St x Cotton St", 22.5815, 88.3560, bearing=100, scene="street",
          tags=["street", "market"], main_only=True),
    ],
    "posta": [
        P("Posta crossing (Strand Bank Rd)", 22.5865, 88.3535, arms="N S",
          tags=["junction", "market"]),
        P("Mullick Ghat flower market", 22.5850, 88.3498, bearing=330, scene="street",
          tags=["market", "crowd"], rec=HQ),
    ],
    "jorasanko": [
        P("CR Ave x MG Rd", 22.5810, 88.3615, arms="N E S W", tags=["junction", "traffic"]),
        P("Jorasanko Thakurbari gate", 22.5857, 88.3597, bearing=250, scene="gate",
          tags=["heritage", "gate"]),
    ],
    "girish-park": [
        P("Girish Park crossing (CR Ave x Vivekananda Rd)", 22.5868, 88.3628, arms="N S E",
          tags=["junction", "traffic"]),
        P("Vivekananda Rd x Bidhan Sarani", 22.5873, 88.3680, bearing=270, tags=["junction"],
          ptz=True),
    ],
    "hare-street": [
        P("ধর্মতলা মোড় (Esplanade crossing)", 22.5646, 88.3514, bearing=10, fov=360,
          range_m=80, tags=["junction", "landmark", "dome"], rec=HQ),
        P("Esplanade - Lenin Sarani", 22.5644, 88.3522, bearing=95, tags=["junction", "traffic"],
          rec=HQ),
        P("Esplanade - CR Ave", 22.5650, 88.3516, bearing=5, tags=["junction", "traffic"],
          ptz=True, rec=HQ),
        P("Esplanade bus terminus", 22.5635, 88.3500, bearing=220, scene="station",
          tags=["bus-terminus", "crowd"], rec=HQ),
        P("BBD Bag (Lalbazar St x Mission Row)", 22.5712, 88.3503, arms="N W",
          tags=["junction", "hq"], rec=HQ),
        P("Lalbazar HQ main gate", 22.5714, 88.3514, bearing=180, scene="gate",
          tags=["police-hq", "gate"], rec=HQ, range_m=25),
    ],
    "bowbazar": [
        P("Bowbazar crossing (BB Ganguly St x CR Ave)", 22.5690, 88.3605, arms="N E S W",
          tags=["junction", "traffic"]),
        P("College St x MG Rd", 22.5755, 88.3633, arms="N S", tags=["junction", "books"]),
    ],
    "muchipara": [
        P("Sealdah station - main concourse", 22.5677, 88.3708, bearing=90, scene="station",
          tags=["rail", "crowd", "landmark"], rec=HQ, range_m=70),
        P("Sealdah station - south section entrance", 22.5665, 88.3702, bearing=150,
          scene="station", tags=["rail", "crowd"], rec=HQ),
        P("Sealdah flyover (AJC Bose Rd)", 22.5662, 88.3690, arms="N S", scene="bridge",
          tags=["flyover", "traffic"], rec=HQ),
    ],
    "taltala": [
        P("Moulali crossing (AJC Bose Rd x Lenin Sarani)", 22.5620, 88.3650, arms="N E S W",
          tags=["junction", "traffic"]),
        P("Wellington Square", 22.5640, 88.3590, bearing=0, scene="street", tags=["street"]),
    ],
    "new-market": [
        P("Lindsay St x Chowringhee Rd", 22.5590, 88.3510, arms="N S E",
          tags=["junction", "market"], rec=HQ),
        P("SN Banerjee Rd x Free School St", 22.5625, 88.3545, bearing=180,
          tags=["junction"]),
    ],
    "taltala-w": [
        P("Taltala Women PS - compound gate", None, None, bearing=90, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Wellesley St bus stop", None, None, bearing=0, scene="street",
          tags=["bus-stop"]),
    ],
    # ---- Eastern Suburban ----
    "entally": [
        P("Entally market (AJC Bose Rd x CIT Rd)", 22.5525, 88.3712, arms="N S E",
          tags=["junction", "market"]),
        P("Padmapukur crossing", 22.5555, 88.3765, bearing=270, tags=["junction"], ptz=True),
    ],
    "manicktala": [
        P("Manicktala crossing (APC Rd x Manicktala Main Rd)", 22.5878, 88.3778,
          arms="N E S W", tags=["junction", "traffic"]),
        P("Khanna crossing", 22.5958, 88.3775, arms="N S", tags=["junction"]),
    ],
    "ultadanga": [
        P("Ultadanga crossing (VIP Rd x CIT Rd)", 22.5958, 88.3935, arms="N E S W",
          tags=["junction", "traffic"]),
        P("Ultadanga railway station approach", 22.5925, 88.3900, bearing=200,
          scene="station", tags=["rail"]),
    ],
    "beliaghata": [
        P("Beliaghata CIT More", 22.5668, 88.3915, arms="N E W", tags=["junction"]),
        P("Beliaghata Main Rd (ID Hospital gate)", 22.5690, 88.4005, bearing=0, scene="gate",
          tags=["hospital", "gate"]),
    ],
    "phoolbagan": [
        P("Phoolbagan crossing (CIT Rd x Narkeldanga Main Rd)", 22.5730, 88.3892,
          arms="N S E", tags=["junction", "traffic"]),
        P("Kankurgachi crossing", 22.5795, 88.3930, arms="N S", tags=["junction"]),
        P("EM Bypass x Maniktala Main Rd (Mani Square)", 22.5783, 88.4025, bearing=180,
          tags=["junction", "bypass"]),
    ],
    "narkeldanga": [
        P("Narkeldanga Main Rd x Bagmari Rd", 22.5795, 88.3855, arms="E W",
          tags=["junction"]),
        P("Narkeldanga bridge (canal)", 22.5775, 88.3815, bearing=60, scene="bridge",
          tags=["bridge"]),
    ],
    "tangra": [
        P("Chinatown, Matheswartala Rd", 22.5560, 88.3965, bearing=90, scene="street",
          tags=["street", "food"]),
        P("Chingrighata crossing (EM Bypass)", 22.5675, 88.4045, arms="N S",
          tags=["junction", "bypass", "traffic"], range_m=120),
    ],
    "ultadanga-w": [
        P("Ultadanga Women PS - compound gate", None, None, bearing=270, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Ultadanga bus stop (VIP Rd)", None, None, bearing=45, scene="street",
          tags=["bus-stop"], main_only=True),
    ],
    # ---- South ----
    "park-street": [
        P("Park Street x Chowringhee Rd", 22.5530, 88.3510, arms="N E S",
          tags=["junction", "traffic", "landmark"], rec=HQ),
        P("Park Street x Russell St", 22.5528, 88.3540, arms="E W", tags=["junction"]),
        P("Park Street x Mother Teresa Sarani", 22.5505, 88.3585, bearing=110,
          tags=["junction"]),
        P("Park Street cemetery gate", 22.5480, 88.3620, bearing=0, scene="gate",
          tags=["heritage", "gate"], main_only=True),
    ],
    "shakespeare-sarani": [
        P("Exide crossing", 22.5405, 88.3495, arms="N E S W",
          tags=["junction", "traffic", "landmark"], rec=HQ),
        P("Minto Park crossing (AJC Bose Rd)", 22.5412, 88.3540, arms="E W",
          tags=["junction", "traffic"]),
        P("Camac St x Shakespeare Sarani", 22.5460, 88.3530, bearing=0, tags=["junction"],
          ptz=True),
    ],
    "alipore": [
        P("Alipore Zoo gate (Alipore Rd)", 22.5363, 88.3328, bearing=180, scene="gate",
          tags=["zoo", "gate", "crowd"]),
        P("Alipore Rd x Judges Court Rd", 22.5288, 88.3330, arms="N S", tags=["junction"]),
    ],
    "hastings": [
        P("Vidyasagar Setu, Kolkata approach", 22.5470, 88.3325, bearing=300, scene="bridge",
          tags=["bridge", "traffic"], range_m=150, fov=45),
        P("Hastings crossing (Strand Rd x Kidderpore Rd)", 22.5425, 88.3350, arms="N S E",
          tags=["junction", "traffic"]),
    ],
    "maidan": [
        P("Victoria Memorial, Queens Way gate", 22.5450, 88.3426, bearing=180, scene="gate",
          tags=["landmark", "gate", "crowd"], rec=HQ),
        P("Red Road x Mayo Rd", 22.5622, 88.3450, arms="N S", tags=["junction", "vvip-route"],
          rec=HQ),
        P("Eden Gardens, Club House gate", 22.5645, 88.3430, bearing=200, scene="gate",
          tags=["stadium", "gate", "crowd"]),
    ],
    "bhowanipur": [
        P("Hazra crossing", 22.5262, 88.3482, arms="N E S W", tags=["junction", "traffic"]),
        P("Elgin Rd x Ashutosh Mukherjee Rd", 22.5383, 88.3497, bearing=90,
          tags=["junction"]),
    ],
    "kalighat": [
        P("Kalighat temple, Kalighat Rd", 22.5205, 88.3423, bearing=90, scene="street",
          tags=["temple", "crowd"], range_m=50),
        P("Jatin Das Park crossing", 22.5230, 88.3462, arms="N S", tags=["junction"]),
    ],
    "tollygunge": [
        P("Tollygunge phari (DP Sasmal Rd)", 22.4988, 88.3452, arms="N S E",
          tags=["junction", "traffic"]),
        P("Mahanayak Uttam Kumar metro station", 22.4957, 88.3460, bearing=0,
          scene="station", tags=["metro", "crowd"]),
    ],
    "charu-market": [
        P("Charu Market crossing", 22.5045, 88.3485, arms="N S", tags=["junction", "market"]),
        P("Prince Anwar Shah Rd x Tollygunge Circular Rd", 22.5012, 88.3510, bearing=90,
          tags=["junction"]),
    ],
    "new-alipore": [
        P("Majerhat bridge, New Alipore end", 22.5148, 88.3238, bearing=330, scene="bridge",
          tags=["bridge", "traffic"], range_m=130),
        P("New Alipore, O Block crossing", 22.5068, 88.3312, bearing=200, tags=["junction"]),
    ],
    "chetla": [
        P("Chetla Haat", 22.5192, 88.3358, bearing=270, scene="street", tags=["market"]),
        P("Chetla bridge (Tolly's Nullah)", 22.5212, 88.3392, bearing=45, scene="bridge",
          tags=["bridge"]),
    ],
    "tollygunge-w": [
        P("Tollygunge Women PS - compound gate", None, None, bearing=0, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Tollygunge tram depot bus stop", None, None, bearing=160, scene="street",
          tags=["bus-stop"]),
    ],
    # ---- Port ----
    "north-port": [
        P("Howrah Bridge, Kolkata end (towards Howrah)", 22.5836, 88.3497, bearing=300,
          scene="bridge", tags=["bridge", "landmark", "traffic"], rec=HQ, range_m=150, fov=40),
        P("Howrah Bridge, Kolkata end (Strand Rd)", 22.5833, 88.3500, bearing=170,
          scene="bridge", tags=["bridge", "traffic"], rec=HQ),
        P("Strand Rd x Fairlie Place", 22.5738, 88.3462, arms="N S", tags=["junction"]),
        P("Millennium Park, Strand Rd", 22.5692, 88.3442, bearing=250, scene="street",
          tags=["park", "riverside"]),
    ],
    "south-port": [
        P("Kidderpore crossing", 22.5372, 88.3250, arms="N S E W",
          tags=["junction", "traffic"]),
        P("Kidderpore bridge (Tolly's Nullah)", 22.5382, 88.3285, bearing=80, scene="bridge",
          tags=["bridge"]),
    ],
    "west-port": [
        P("Hyde Rd x Coal Berth Rd", 22.5432, 88.3128, arms="E W", tags=["junction", "port"]),
        P("Netaji Subhas Dock approach", 22.5465, 88.3095, bearing=315, scene="gate",
          tags=["port", "gate", "trucks"], range_m=90),
    ],
    "watgunge": [
        P("Watgunge St x Garden Reach Rd", 22.5392, 88.3172, arms="E W", tags=["junction"]),
        P("Watgunge St (Ramnagar Ln)", None, None, bearing=0, scene="street",
          tags=["street"]),
    ],
    "garden-reach": [
        P("Garden Reach Rd x Circular Garden Reach Rd", 22.5418, 88.2985, arms="E W",
          tags=["junction", "traffic"]),
        P("GRSE main gate, Garden Reach Rd", 22.5440, 88.3050, bearing=0, scene="gate",
          tags=["shipyard", "gate"]),
    ],
    "ekbalpur": [
        P("Mominpur crossing", 22.5305, 88.3238, arms="N S E", tags=["junction"]),
        P("Ekbalpur Rd x Diamond Harbour Rd", 22.5338, 88.3222, bearing=200,
          tags=["junction"]),
    ],
    "nadial": [
        P("Nadial crossing (Akra Rd)", 22.5222, 88.2835, arms="N S", tags=["junction"]),
        P("Santoshpur Rd, Nadial", None, None, bearing=100, scene="street", tags=["street"],
          main_only=True),
    ],
    "rajabagan": [
        P("Rajabagan dockyard gate", 22.5392, 88.2868, bearing=340, scene="gate",
          tags=["gate", "dockyard"]),
        P("Garden Reach Rd, Rajabagan", 22.5378, 88.2900, arms="E W", scene="street",
          tags=["street"]),
    ],
    "metiabruz": [
        P("Metiabruz - Akra Rd x Garden Reach Rd", 22.5345, 88.2765, arms="N E W",
          tags=["junction", "market"]),
        P("Badartala, Metiabruz", 22.5360, 88.2705, bearing=270, scene="street",
          tags=["street", "market"]),
    ],
    "watgunge-w": [
        P("Watgunge Women PS - compound gate", None, None, bearing=90, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Kidderpore market bus stop", 22.5362, 88.3262, bearing=270, scene="street",
          tags=["bus-stop", "market"]),
    ],
    # ---- South East ----
    "topsia": [
        P("Topsia crossing (Topsia Rd x Tiljala Rd)", 22.5425, 88.3872, arms="N S E W",
          tags=["junction"]),
        P("Park Circus connector x Topsia Rd (4 no. bridge)", 22.5405, 88.3835, bearing=90,
          scene="bridge", tags=["flyover", "traffic"]),
    ],
    "beniapukur": [
        P("Park Circus 7-point crossing", 22.5390, 88.3690, arms="N NE E S W",
          tags=["junction", "traffic"]),
        P("Syed Amir Ali Ave (Quest Mall)", 22.5398, 88.3660, bearing=270, scene="street",
          tags=["street", "mall"]),
        P("Beckbagan crossing", 22.5425, 88.3595, bearing=90, tags=["junction"], ptz=True),
    ],
    "ballygunge": [
        P("Ballygunge Phari", 22.5282, 88.3622, arms="N E S W", tags=["junction", "traffic"]),
        P("Ballygunge station approach", 22.5278, 88.3698, bearing=90, scene="station",
          tags=["rail", "crowd"]),
    ],
    "gariahat": [
        P("গড়িয়াহাট মোড় (Gariahat crossing)", 22.5190, 88.3660, bearing=0, fov=360,
          range_m=70, tags=["junction", "landmark", "dome"], rec=HQ),
        P("Gariahat crossing", 22.5191, 88.3661, arms="N E S W",
          tags=["junction", "traffic", "market"], rec=HQ),
        P("Golpark crossing", 22.5148, 88.3662, arms="N S", tags=["junction"]),
    ],
    "lake": [
        P("Lake Market (Rash Behari Ave x Sarat Bose Rd)", 22.5178, 88.3535, arms="E W",
          tags=["junction", "market"]),
        P("Southern Ave x Sarat Bose Rd", 22.5125, 88.3560, bearing=0, tags=["junction"],
          ptz=True),
    ],
    "karaya": [
        P("Karaya Rd x Darga Rd", 22.5372, 88.3742, arms="N S", tags=["junction"]),
        P("Bondel Gate", 22.5265, 88.3765, bearing=120, scene="street", tags=["street", "rail"]),
    ],
    "rabindra-sarobar": [
        P("Rabindra Sarobar, Southern Ave gate", 22.5118, 88.3600, bearing=180, scene="gate",
          tags=["park", "gate", "lake"]),
        P("Lake Gardens flyover foot", 22.5055, 88.3555, bearing=200, scene="bridge",
          tags=["flyover"]),
        P("Dhakuria bridge (Gariahat Rd South)", 22.5115, 88.3700, bearing=180, scene="bridge",
          tags=["flyover", "traffic"]),
    ],
    "tiljala": [
        P("Picnic Garden crossing", 22.5258, 88.3862, arms="N S", tags=["junction"]),
        P("Tiljala Rd x CN Roy Rd", 22.5318, 88.3842, bearing=0, tags=["junction"]),
    ],
    "karaya-w": [
        P("Karaya Women PS - compound gate", None, None, bearing=180, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Lady Brabourne College gate, Park Circus", 22.5398, 88.3718, bearing=270,
          scene="gate", tags=["college", "gate"]),
    ],
    # ---- Jadavpur (South Suburban) ----
    "netaji-nagar": [
        P("Ranikuthi crossing (NSC Bose Rd)", 22.4855, 88.3598, arms="N S", tags=["junction"]),
        P("Naktala crossing", 22.4768, 88.3640, bearing=180, tags=["junction"]),
    ],
    "jadavpur": [
        P("Jadavpur 8B bus stand", 22.4965, 88.3712, arms="N E S", tags=["junction", "crowd"]),
        P("Jadavpur University gate 4 (Raja SC Mallick Rd)", 22.4985, 88.3730, bearing=90,
          scene="gate", tags=["university", "gate"]),
        P("Sulekha crossing", 22.4908, 88.3760, arms="N S", tags=["junction"]),
        P("Jadavpur railway station", 22.4995, 88.3775, bearing=0, scene="station",
          tags=["rail", "crowd"]),
    ],
    "kasba": [
        P("Ruby crossing (EM Bypass)", 22.5135, 88.4020, arms="N E S W",
          tags=["junction", "bypass", "traffic"], range_m=120),
        P("Rajdanga Main Rd (Acropolis Mall)", 22.5150, 88.3918, bearing=90, scene="street",
          tags=["street", "mall"]),
        P("Bosepukur Rd x Kasba Rd", 22.5168, 88.3885, bearing=270, tags=["junction"], ptz=True),
    ],
    "regent-park": [
        P("Regent Park crossing (NSC Bose Rd)", 22.4832, 88.3488, arms="N S", tags=["junction"]),
        P("Kudghat metro station", 22.4758, 88.3448, bearing=0, scene="station",
          tags=["metro"]),
    ],
    "bansdroni": [
        P("Bansdroni bazar (NSC Bose Rd)", 22.4700, 88.3582, arms="N S",
          tags=["junction", "market"]),
        P("Masterda Surya Sen metro station", 22.4678, 88.3635, bearing=90, scene="station",
          tags=["metro"]),
    ],
    "garfa": [
        P("Haltu crossing", 22.5005, 88.3880, arms="N S E", tags=["junction"]),
        P("Garfa Main Rd", 22.5055, 88.3810, bearing=330, scene="street", tags=["street"],
          main_only=True),
    ],
    "patuli": [
        P("Patuli connector (EM Bypass)", 22.4730, 88.3960, arms="N S",
          tags=["junction", "bypass", "traffic"], range_m=120),
        P("Patuli lake gate", 22.4700, 88.3895, bearing=200, scene="gate", tags=["park", "gate"]),
    ],
    "golf-green": [
        P("Bijoygarh crossing", 22.4925, 88.3640, arms="N S", tags=["junction"]),
        P("Prince Anwar Shah Rd (South City Mall)", 22.5022, 88.3605, arms="E W",
          scene="street", tags=["street", "mall"]),
        P("Golf Green Rd x Central Rd", 22.4962, 88.3560, bearing=90, tags=["junction"], ptz=True),
    ],
    "patuli-w": [
        P("Patuli Women PS - compound gate", None, None, bearing=0, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Patuli bus stand (EM Bypass)", None, None, bearing=270, scene="street",
          tags=["bus-stop"]),
    ],
    # ---- South West ----
    "behala": [
        P("Behala Chowrasta (DH Rd)", 22.4915, 88.3128, arms="N E S W",
          tags=["junction", "traffic"]),
        P("Behala tram depot (DH Rd)", 22.5040, 88.3185, bearing=20, scene="street",
          tags=["street", "tram"]),
    ],
    "taratala": [
        P("Taratala crossing (DH Rd x Taratala Rd)", 22.5112, 88.3190, arms="N S E W",
          tags=["junction", "traffic"]),
        P("Brace Bridge Rd x Taratala Rd", 22.5125, 88.3065, bearing=270, tags=["junction"]),
    ],
    "sarsuna": [
        P("Sarsuna Main Rd x Upen Banerjee Rd", 22.4855, 88.2955, arms="N S",
          tags=["junction"]),
        P("Sarsuna Satellite Township gate", None, None, bearing=180, scene="gate",
          tags=["gate"]),
    ],
    "parnashree": [
        P("Parnashree Pally market", 22.4978, 88.3045, bearing=90, scene="street",
          tags=["market"]),
        P("James Long Sarani x Parnashree Rd", 22.4925, 88.3010, arms="E W",
          tags=["junction"]),
    ],
    "thakurpukur": [
        P("Thakurpukur 3A bus stand (DH Rd)", 22.4700, 88.3075, arms="N S",
          tags=["junction", "crowd"]),
        P("Joka crossing (DH Rd)", 22.4545, 88.3025, arms="N S",
          tags=["junction", "traffic"], range_m=110),
    ],
    "haridevpur": [
        P("Karunamoyee crossing (Haridevpur)", 22.4802, 88.3305, arms="N S",
          tags=["junction"]),
        P("Kabardanga crossing", 22.4722, 88.3290, bearing=180, tags=["junction"]),
    ],
    "behala-w": [
        P("Behala Women PS - compound gate", None, None, bearing=270, scene="gate",
          tags=["police-station", "gate"], range_m=20),
        P("Behala Chowrasta bus stop", 22.4920, 88.3135, bearing=0, scene="street",
          tags=["bus-stop"]),
    ],
    # ---- East ----
    "panchasayar": [
        P("Panchasayar crossing (EM Bypass)", 22.4730, 88.3985, arms="N S",
          tags=["junction", "bypass", "traffic"], range_m=120),
        P("Peerless Hospital gate", 22.4808, 88.3940, bearing=270, scene="gate",
          tags=["hospital", "gate"]),
    ],
    "kolkata-leather-complex": [
        P("Basanti Hwy, Leather Complex main gate", 22.5098, 88.4640, bearing=180,
          scene="gate", tags=["industrial", "gate", "trucks"]),
        P("Bantala (Basanti Hwy)", 22.5125, 88.4560, arms="E W", scene="street",
          tags=["highway", "trucks"], range_m=130),
    ],
    "purba-jadavpur": [
        P("Mukundapur crossing (EM Bypass)", 22.4935, 88.4015, arms="N S E",
          tags=["junction", "bypass", "traffic"], range_m=120),
        P("Kalikapur crossing (EM Bypass)", 22.5000, 88.3990, arms="N S",
          tags=["junction", "bypass"]),
        P("Hiland Park (EM Bypass, Metropolis Mall)", 22.4825, 88.3972, bearing=0,
          scene="street", tags=["street", "mall"]),
    ],
    "pragati-maidan": [
        P("Science City crossing (EM Bypass x Park Circus connector)", 22.5395, 88.3960,
          arms="N E S W", tags=["junction", "bypass", "traffic", "landmark"], rec=HQ,
          range_m=120),
        P("Milan Mela ground gate", 22.5378, 88.4085, bearing=270, scene="gate",
          tags=["exhibition", "gate", "crowd"]),
    ],
    "survey-park": [
        P("Santoshpur Ave x Survey Park Rd", 22.4975, 88.3935, arms="N S", tags=["junction"]),
        P("Ajoy Nagar (EM Bypass)", 22.4880, 88.3985, bearing=0, tags=["junction", "bypass"]),
    ],
    "anandapur": [
        P("Anandapur Main Rd x EM Bypass", 22.5165, 88.4055, arms="N S E",
          tags=["junction", "bypass"]),
        P("Madurdaha, Anandapur", 22.5110, 88.4185, bearing=90, scene="street",
          tags=["street"], main_only=True),
    ],
    # ---- Bhangar ----
    "bhangar": [
        P("Bhangar bazar (Basanti Hwy)", 22.4965, 88.6180, arms="E W",
          tags=["junction", "market", "highway"]),
        P("Bhangar bus stand", None, None, bearing=180, scene="station", tags=["bus-stand"]),
    ],
    "uttar-kashipur": [
        P("Bhojerhat (Basanti Hwy)", 22.5085, 88.5280, arms="E W",
          tags=["junction", "highway"], range_m=120),
        P("Kashipur more", None, None, bearing=0, tags=["junction"]),
    ],
    "polerhat": [
        P("Polerhat bazar", None, None, bearing=90, scene="street", tags=["market"]),
        P("Polerhat more (Basanti Hwy link)", None, None, arms="N S", tags=["junction"]),
    ],
    "chandaneswar": [
        P("Chandaneswar bazar", None, None, bearing=270, scene="street", tags=["market"]),
        P("Chandaneswar more", None, None, arms="E W", tags=["junction"]),
    ],
}

# --------------------------------------------------------------------------------------------
# Private sites.
# --------------------------------------------------------------------------------------------


@dataclass
class Cam:
    label: str
    scene: str
    dx: float            # metres east of the site's point
    dy: float            # metres north of the site's point
    bearing: int
    floor: str | None = None
    tags: tuple = ()
    fov: int | None = None
    range_m: int | None = None
    room: str | None = None       # explicit recorder room (otherwise the site default)
    retention: int | None = None
    main_only: bool = False
    access: str | None = None     # "incident_only": watched only during an incident


def C(label, scene, dx, dy, bearing, floor=None, tags=(), fov=None, range_m=None, room=None,
      retention=None, main_only=False, access=None):
    return Cam(label, scene, dx, dy, bearing, floor, tuple(tags), fov, range_m, room, retention,
               main_only, access)


def level_of(floor: str | None) -> str | None:
    """The generator's floor shorthand as a registry `level`: GF -> G, 4F -> L4; B1, B2, LG
    and P1 stay as they are."""
    if floor is None:
        return None
    if floor == "GF":
        return "G"
    m = re.fullmatch(r"(\d+)F", floor)
    return f"L{m.group(1)}" if m else floor


# Scenes that are inside a building. A car park is indoor unless tagged "outdoor".
INDOOR_SCENES = {"atrium", "foodcourt", "lobby", "corridor", "atm", "carpark"}
# Private cameras pinned on the site's own point (dx = dy = 0) at sites other than malls,
# markets and multiplexes stand in for "the pin is the building's centroid": their real
# position is only known to within this many metres.
CENTROID_ACCURACY_M = 30


@dataclass
class Site:
    id: str
    code: str
    name: str
    kind: str
    station: str
    owner: str
    address: str
    lat: float
    lon: float
    room: str
    retention: int
    cams: list = field(default_factory=list)
    loc_note: str = "approx."
    contact_name: str = "Security control room (24x7)"
    footprint: tuple = ()  # the building's outline: (metres east, metres north) of the point


SITES = [
    # ---- Malls, multiplexes and markets (real places, approximate coordinates) ----
    Site("south-city-mall", "SCM", "South City Mall", "mall", "golf-green",
         "South City Mall management", "Prince Anwar Shah Rd, Kolkata 700068",
         22.5014, 88.3616, "Basement 1, security control room", 30, loc_note="sourced", cams=[
            C("Main entrance, Prince Anwar Shah Rd", "entrance", 0, 55, 0, "GF",
              ["entrance"], fov=80, range_m=35),
            C("Atrium GF (dome)", "atrium", 0, 0, 0, "GF", ["atrium", "dome"],
              fov=360, range_m=25),
            C("Atrium escalators 2F", "atrium", 15, -5, 180, "2F", ["atrium", "escalator"]),
            C("Food court 4F (east)", "foodcourt", 28, 3, 90, "4F",
              ["food-court", "fire-2016"], fov=70, range_m=40),
            C("Food court 4F (west)", "foodcourt", -22, 3, 270, "4F",
              ["food-court", "fire-2016"], fov=70, range_m=40),
            C("INOX lobby 4F", "lobby", 10, -35, 180, "4F", ["multiplex", "lobby"],
              room="4F multiplex DVR room", retention=15),
            C("INOX screen corridor 4F", "corridor", 25, -45, 270, "4F", ["multiplex"],
              room="4F multiplex DVR room", retention=15),
            C("Fire exit stair N, 4F", "corridor", -5, 48, 0, "4F",
              ["fire-exit", "food-court"], fov=60, range_m=20),
            C("Car park B1", "carpark", -30, -20, 135, "B1", ["car-park"], range_m=50),
            C("Car park B2, entry ramp", "carpark", -45, 40, 180, "B2", ["car-park", "ramp"]),
            C("Loading bay (service road)", "gate", 60, -50, 90, "GF", ["loading-bay"]),
            C("Residential towers gate", "gate", -70, -70, 225, "GF", ["gate", "residential"],
              main_only=True, room="Tower 2 ground floor, security office", retention=45),
        ]),
    Site("quest-mall", "QST", "Quest Mall", "mall", "beniapukur",
         "Quest Mall management", "Syed Amir Ali Ave, Ballygunge, Kolkata 700017",
         22.5393, 88.3654, "Basement 1, CCTV control room", 45, cams=[
            C("Main entrance, Syed Amir Ali Ave", "entrance", 30, 0, 90, "GF", ["entrance"]),
            C("Atrium GF (dome)", "atrium", 0, 0, 0, "GF", ["atrium", "dome"],
              fov=360, range_m=25),
            C("Atrium 2F", "atrium", 5, 5, 270, "2F", ["atrium"]),
            C("Food court 4F", "foodcourt", -10, 15, 0, "4F", ["food-court"]),
            C("INOX lobby 5F", "lobby", -15, -10, 200, "5F", ["multiplex", "lobby"],
              room="5F INOX projection-floor DVR room", retention=30),
            C("Fire exit stair E, 4F", "corridor", 35, 20, 90, "4F", ["fire-exit"],
              fov=55, range_m=20),
            C("Car park B1", "carpark", -20, -25, 90, "B1", ["car-park"]),
            C("Car park B2", "carpark", 20, -25, 270, "B2", ["car-park"], main_only=True),
            C("Loading bay (rear lane)", "gate", -45, -15, 270, "GF", ["loading-bay"]),
        ]),
    Site("forum-courtyard", "FCY", "Forum Courtyard", "mall", "bhowanipur",
         "Forum Courtyard management", "Elgin Rd, Bhowanipur, Kolkata 700020",
         22.5383, 88.3516, "Ground floor, security office", 30, cams=[
            C("Main entrance, Elgin Rd", "entrance", 0, 30, 0, "GF", ["entrance"]),
            C("Atrium GF", "atrium", 0, 0, 180, "GF", ["atrium"]),
            C("Food court 3F", "foodcourt", 10, -10, 135, "3F", ["food-court"]),
            C("INOX lobby 4F", "lobby", -10, -15, 270, "4F", ["multiplex", "lobby"],
              room="4F INOX DVR room"),
            C("Fire exit stair S, 3F", "corridor", 0, -35, 180, "3F", ["fire-exit"],
              fov=50, range_m=18),
            C("Car park basement", "carpark", -20, 10, 90, "B1", ["car-park"]),
            C("Loading bay", "gate", 30, -30, 90, "GF", ["loading-bay"]),
        ]),
    Site("acropolis-mall", "ACR", "Acropolis Mall", "mall", "kasba",
         "Acropolis Mall management", "Rajdanga Main Rd, Kasba, Kolkata 700107",
         22.5146, 88.3932, "Basement 1, fire & security control room", 60, cams=[
            C("Main entrance, Rajdanga Main Rd", "entrance", -35, 0, 270, "GF", ["entrance"]),
            C("Atrium GF (dome)", "atrium", 0, 0, 0, "GF", ["atrium", "dome"],
              fov=360, range_m=25),
            C("Food court 3F (north)", "foodcourt", 0, 25, 0, "3F",
              ["food-court", "fire-2024"], fov=75, range_m=40),
            C("Food court 3F (kitchen corridor)", "corridor", 15, 32, 90, "3F",
              ["food-court", "kitchen", "fire-2024"], fov=50, range_m=25),
            C("Fire exit stair NE, 3F", "corridor", 30, 38, 45, "3F",
              ["fire-exit", "food-court"], fov=55, range_m=18),
            C("Cinepolis lobby 4F", "lobby", -10, -20, 180, "4F", ["multiplex", "lobby"],
              room="4F Cinepolis DVR room", retention=30),
            C("Car park B1", "carpark", 10, -30, 270, "B1", ["car-park"]),
            C("Kasba side gate", "gate", 40, -10, 90, "GF", ["gate"], main_only=True),
            C("Loading bay", "gate", 35, -35, 135, "GF", ["loading-bay"]),
        ]),
    Site("lake-mall", "LKM", "Lake Mall", "mall", "lake",
         "Lake Mall management", "Rash Behari Ave, Kolkata 700029",
         22.5170, 88.3520, "Ground floor, security cabin", 30, cams=[
            C("Main entrance, Rash Behari Ave", "entrance", 0, 25, 0, "GF", ["entrance"]),
            C("Atrium GF", "atrium", 0, 0, 90, "GF", ["atrium"]),
            C("Food court 3F", "foodcourt", 8, -5, 180, "3F", ["food-court"]),
            C("Cinepolis lobby 4F", "lobby", -8, -10, 270, "4F", ["multiplex", "lobby"]),
            C("Car park basement", "carpark", 10, -20, 0, "B1", ["car-park"]),
            C("Fire exit stair W, 3F", "corridor", -20, 0, 270, "3F", ["fire-exit"],
              fov=50, range_m=15),
        ]),
    Site("mani-square", "MSQ", "Mani Square", "mall", "phoolbagan",
         "Mani Square management", "Maniktala Main Rd, EM Bypass, Kolkata 700054",
         22.5779, 88.4013, "Basement 1, security control room", 30, cams=[
            C("Main entrance, EM Bypass", "entrance", 45, 0, 90, "GF", ["entrance"]),
            C("Entrance, Maniktala Main Rd", "entrance", -40, 10, 270, "GF", ["entrance"]),
            C("Atrium GF (dome)", "atrium", 0, 0, 0, "GF", ["atrium", "dome"],
              fov=360, range_m=30),
            C("Food court 4F", "foodcourt", 10, 15, 45, "4F", ["food-court"]),
            C("PVR lobby 4F", "lobby", -10, -15, 225, "4F", ["multiplex", "lobby"],
              room="4F PVR DVR room"),
            C("Car park B1", "carpark", 0, -30, 90, "B1", ["car-park"]),
            C("Surface car park (EM Bypass side)", "carpark", 60, -40, 180, "GF",
              ["car-park", "outdoor"], range_m=60),
            C("Loading bay", "gate", -50, -35, 180, "GF", ["loading-bay"]),
            C("Fire exit stair N, 4F", "corridor", 0, 35, 0, "4F", ["fire-exit"],
              fov=55, range_m=18),
        ]),
    Site("metropolis-mall", "MET", "Metropolis Mall", "mall", "purba-jadavpur",
         "Metropolis Mall management", "Hiland Park, EM Bypass, Kolkata 700094",
         22.4818, 88.3960, "Group CCTV control room, 3rd floor", 30, cams=[
            C("Main entrance, EM Bypass", "entrance", 35, 0, 90, "GF", ["entrance"]),
            C("Atrium GF", "atrium", 0, 0, 270, "GF", ["atrium"]),
            C("Food court 3F", "foodcourt", -5, 10, 0, "3F", ["food-court"]),
            C("INOX lobby 3F", "lobby", -15, -10, 180, "3F", ["multiplex", "lobby"],
              room="3F INOX DVR room", retention=15),
            C("Car park LG", "carpark", 20, -25, 180, "LG", ["car-park"]),
            C("Loading bay", "gate", -35, -25, 270, "GF", ["loading-bay"], main_only=True),
            C("Fire exit stair W, 3F", "corridor", -30, 5, 270, "3F", ["fire-exit"],
              fov=50, range_m=18),
        ]),
    Site("new-market", "NMK", "New Market (Hogg Market)", "market", "new-market",
         "New Market traders' security committee", "Lindsay St, New Market, Kolkata 700087",
         22.5600, 88.3524, "Clock tower block, 1st floor security office", 15, cams=[
            C("Lindsay St gate", "gate", -40, 20, 270, "GF", ["gate", "crowd"],
              fov=80, range_m=45),
            C("Clock tower gate", "gate", 0, 45, 0, "GF", ["gate", "landmark"]),
            C("Main corridor (north)", "corridor", 0, 15, 0, "GF", ["corridor", "crowd"],
              range_m=40),
            C("Main corridor (south)", "corridor", 0, -15, 180, "GF", ["corridor"],
              range_m=40),
            C("Rear lane, loading", "street", 45, -30, 90, "GF", ["loading-bay"],
              main_only=True),
            C("Fire exit, Bertram St side", "gate", 40, 25, 90, "GF", ["fire-exit"]),
        ]),
    Site("inox-metro-esplanade", "IME", "INOX Metro, Esplanade", "multiplex", "new-market",
         "INOX Metro cinema management", "Jawaharlal Nehru Rd, Esplanade, Kolkata 700013",
         22.5645, 88.3525, "1st floor, projection-floor DVR room", 30, cams=[
            C("Entrance, JL Nehru Rd", "entrance", -15, 0, 270, "GF", ["entrance", "crowd"]),
            C("Box office lobby", "lobby", 0, 0, 90, "GF", ["lobby", "ticketing"]),
            C("Screen-floor lobby (dome)", "lobby", 5, 5, 0, "1F", ["lobby", "dome"],
              fov=360, range_m=15),
            C("Fire exit stair, rear", "corridor", 20, -5, 90, "1F", ["fire-exit"],
              fov=50, range_m=15),
            C("Rear service lane", "street", 30, -10, 180, "GF", ["loading-bay"]),
            C("Audi 1 exit corridor", "corridor", 15, 10, 0, "1F", ["exit"]),
        ]),
    # ---- Banks (invented) ----
    Site("demo-bank-gariahat", "DBGH", "Demo Bank, Gariahat branch", "bank", "gariahat",
         "Demo Bank Ltd (fictitious)", "Gariahat Rd, Kolkata 700019 (invented address)",
         22.5183, 88.3672, "Branch strong room, 1st floor", 90, cams=[
            C("ATM lobby", "atm", 0, 0, 270, "GF", ["atm"], fov=360, range_m=15),
            C("Entrance", "entrance", -5, 0, 270, "GF", ["entrance"]),
            C("Cash counter hall", "corridor", 5, 3, 90, "1F", ["cash"]),
        ]),
    Site("demo-bank-park-street", "DBPS", "Demo Bank, Park Street branch", "bank",
         "park-street", "Demo Bank Ltd (fictitious)",
         "Park Street, Kolkata 700016 (invented address)",
         22.5523, 88.3548, "Branch strong room, ground floor", 90, cams=[
            C("ATM lobby", "atm", 0, 0, 0, "GF", ["atm"], fov=100, range_m=15),
            C("Entrance, Park Street", "entrance", 0, 8, 0, "GF", ["entrance"]),
            C("Pavement outside ATM", "street", 3, 10, 90, "GF", ["street", "atm"],
              main_only=True),
        ]),
    Site("sample-coop-bank-shyambazar", "SCBS", "Sample Co-operative Bank, Shyambazar branch",
         "bank", "shyampukur", "Sample Co-operative Bank (fictitious)",
         "Bhupen Bose Ave, Shyambazar, Kolkata 700004 (invented address)",
         22.6002, 88.3715, "Manager's cabin rack, ground floor", 60, cams=[
            C("ATM lobby", "atm", 0, 0, 90, "GF", ["atm"], fov=110, range_m=15),
            C("Entrance", "entrance", 0, -5, 180, "GF", ["entrance"]),
        ]),
    Site("demo-bank-behala", "DBBH", "Demo Bank, Behala Chowrasta branch", "bank", "behala",
         "Demo Bank Ltd (fictitious)",
         "Diamond Harbour Rd, Behala, Kolkata 700034 (invented address)",
         22.4922, 88.3138, "Branch strong room, 1st floor", 90, cams=[
            C("ATM lobby", "atm", 0, 0, 180, "GF", ["atm"], fov=360, range_m=15),
            C("Entrance, DH Rd", "entrance", 0, 5, 90, "GF", ["entrance"]),
        ]),
    Site("demo-bank-burrabazar", "DBBZ", "Demo Bank, Burrabazar branch", "bank", "burrabazar",
         "Demo Bank Ltd (fictitious)",
         "Brabourne Rd, Burrabazar, Kolkata 700001 (invented address)",
         22.5790, 88.3528, "Branch strong room, basement", 90, cams=[
            C("ATM lobby", "atm", 0, 0, 270, "GF", ["atm"], fov=100, range_m=15),
            C("Entrance, Brabourne Rd", "entrance", -5, 0, 270, "GF", ["entrance"]),
            C("Cash van bay", "street", 10, -10, 180, "GF", ["cash-van"]),
        ]),
    # ---- Petrol pumps (invented) ----
    Site("demo-fuels-em-bypass", "DFEB", "Demo Fuels, EM Bypass (Kasba)", "petrol_pump",
         "kasba", "Demo Fuels (fictitious dealer)",
         "EM Bypass, Kasba, Kolkata 700107 (invented address)",
         22.5095, 88.4008, "Sales office, DVR cabinet", 30, cams=[
            C("Forecourt", "forecourt", 0, 0, 90, "GF", ["forecourt"], fov=100, range_m=35),
            C("Cash counter", "lobby", -15, 5, 270, "GF", ["cash"], fov=70, range_m=15),
        ]),
    Site("demo-fuels-dh-road", "DFDH", "Demo Fuels, Diamond Harbour Rd (Taratala)",
         "petrol_pump", "taratala", "Demo Fuels (fictitious dealer)",
         "Diamond Harbour Rd, Kolkata 700053 (invented address)",
         22.5090, 88.3197, "Sales office, DVR cabinet", 30, cams=[
            C("Forecourt", "forecourt", 0, 0, 270, "GF", ["forecourt"], fov=110, range_m=35),
            C("Cash counter", "lobby", 12, 3, 90, "GF", ["cash"], fov=70, range_m=15),
        ]),
    Site("demo-fuels-bt-road", "DFBT", "Demo Fuels, BT Rd (Cossipore)", "petrol_pump",
         "cossipore", "Demo Fuels (fictitious dealer)",
         "Barrackpore Trunk Rd, Cossipore, Kolkata 700002 (invented address)",
         22.6230, 88.3795, "Sales office, DVR cabinet", 15, cams=[
            C("Forecourt", "forecourt", 0, 0, 0, "GF", ["forecourt"], fov=100, range_m=30),
            C("Cash counter", "lobby", -10, -5, 180, "GF", ["cash"], fov=70, range_m=15,
              main_only=True),
        ]),
    Site("demo-fuels-cit-road", "DFCR", "Demo Fuels, CIT Rd (Beliaghata)", "petrol_pump",
         "beliaghata", "Demo Fuels (fictitious dealer)",
         "CIT Rd, Beliaghata, Kolkata 700010 (invented address)",
         22.5660, 88.3895, "Sales office, DVR cabinet", 30, cams=[
            C("Forecourt", "forecourt", 0, 0, 180, "GF", ["forecourt"], fov=100, range_m=30),
            C("Cash counter", "lobby", 8, -8, 90, "GF", ["cash"], fov=60, range_m=15),
        ]),
    Site("demo-fuels-basanti-hwy", "DFBH", "Demo Fuels, Basanti Hwy (Bhangar)", "petrol_pump",
         "bhangar", "Demo Fuels (fictitious dealer)",
         "Basanti Highway, Bhangar, South 24 Parganas (invented address)",
         22.5005, 88.6100, "Sales office, DVR cabinet", 15, cams=[
            C("Forecourt", "forecourt", 0, 0, 90, "GF", ["forecourt", "highway"],
              fov=110, range_m=40),
            C("Cash counter", "lobby", -10, 0, 270, "GF", ["cash"], fov=60, range_m=15),
        ]),
    # ---- Large housing complexes (invented) ----
    Site("demo-heights-mukundapur", "DHMK", "Demo Heights housing complex, Mukundapur",
         "housing", "purba-jadavpur", "Demo Heights Residents' Association (fictitious)",
         "Off EM Bypass, Mukundapur, Kolkata 700099 (invented address)",
         22.4958, 88.4065, "Clubhouse, ground floor security office", 30, cams=[
            C("Main gate", "gate", -60, 0, 270, "GF", ["gate"], range_m=30),
            C("Tower A lobby", "lobby", 0, 20, 0, "GF", ["lobby"], range_m=20),
            C("Tower B lobby", "lobby", 30, -10, 90, "GF", ["lobby"], range_m=20),
            C("Basement car park", "carpark", 10, 0, 180, "B1", ["car-park"]),
            C("Perimeter, canal side", "street", 70, 40, 45, "GF", ["perimeter"],
              range_m=80, main_only=True),
        ]),
    Site("sample-greens-tollygunge", "SGTG", "Sample Greens housing complex, Tollygunge",
         "housing", "tollygunge", "Sample Greens Apartment Owners' Association (fictitious)",
         "Off Deshpran Sasmal Rd, Tollygunge, Kolkata 700033 (invented address)",
         22.4968, 88.3418, "Gate 1 security cabin", 15, cams=[
            C("Gate 1", "gate", 0, -40, 180, "GF", ["gate"], range_m=25),
            C("Gate 2 (service)", "gate", 40, 30, 90, "GF", ["gate", "service"]),
            C("Block C lobby", "lobby", -10, 10, 0, "GF", ["lobby"], range_m=20),
            C("Open car park", "carpark", 20, -15, 270, "GF", ["car-park", "outdoor"],
              range_m=50),
        ]),
    Site("demo-towers-topsia", "DTTP", "Demo Towers housing complex, Topsia", "housing",
         "topsia", "Demo Towers Owners' Society (fictitious)",
         "Topsia Rd, Kolkata 700046 (invented address)",
         22.5445, 88.3905, "Tower 1 ground floor, security room", 30, cams=[
            C("Main gate", "gate", 0, -35, 180, "GF", ["gate"], range_m=30),
            C("Tower 1 lobby", "lobby", -15, 0, 270, "GF", ["lobby"], range_m=20),
            C("Podium car park", "carpark", 15, 5, 90, "P1", ["car-park"]),
        ]),
    # ---- Offices (invented) ----
    Site("demo-logistics-house", "DLSR", "Demo Logistics House, Strand Rd", "office",
         "north-port", "Demo Logistics Pvt Ltd (fictitious)",
         "Strand Rd, Kolkata 700001 (invented address)",
         22.5748, 88.3466, "2nd floor server room", 30, cams=[
            C("Entrance, Strand Rd", "entrance", -10, 0, 270, "GF", ["entrance"]),
            C("Reception lobby", "lobby", 0, 0, 90, "GF", ["lobby"], range_m=15),
            C("Truck yard", "carpark", 20, 15, 45, "GF", ["yard", "trucks"], range_m=60),
        ]),
    Site("sample-insurance-house", "SIHC", "Sample Insurance House, Camac St", "office",
         "shakespeare-sarani", "Sample Insurance Co. (fictitious)",
         "Camac St, Kolkata 700016 (invented address)",
         22.5470, 88.3522, "Basement, BMS room", 60, cams=[
            C("Entrance, Camac St", "entrance", 0, -8, 180, "GF", ["entrance"]),
            C("Reception lobby (dome)", "lobby", 0, 0, 0, "GF", ["lobby", "dome"],
              fov=360, range_m=15),
            C("Basement car park", "carpark", 5, 5, 270, "B1", ["car-park"],
              room="Basement car park, guard booth DVR", retention=30),
        ]),
]

# Rough building outlines for the malls and the market, in metres east and north of the
# site's point: INVENTED shapes around the approximate locations, not surveyed footprints.
FOOTPRINTS = {
    # an L: the residential towers stand in the south-west corner
    "south-city-mall": ((-55, 60), (65, 60), (65, -60), (-20, -60), (-20, -30), (-55, -30)),
    "quest-mall": ((-50, 25), (40, 25), (40, -30), (-50, -30)),
    "forum-courtyard": ((-25, 35), (35, 35), (35, -40), (-25, -40)),
    "acropolis-mall": ((-40, 30), (-10, 45), (45, 45), (45, -40), (-40, -40)),
    "lake-mall": ((-25, 30), (15, 30), (15, -25), (-25, -25)),
    "mani-square": ((-55, 40), (50, 40), (50, -45), (-55, -45)),
    "metropolis-mall": ((-40, 15), (40, 15), (40, -30), (-40, -30)),
    "new-market": ((-45, 50), (50, 50), (50, -40), (-45, -40)),
}
for _sid, _fp in FOOTPRINTS.items():
    next(site for site in SITES if site.id == _sid).footprint = _fp

# What is known about some private recorders (keyed by site id and room), for the evidence
# sheet: an id, where the recorder itself stands (metres east and north of the site's point:
# inside or outside the footprint), the device (make, model and serial: INVENTED, realistic
# model names) and when its retention and clock were last checked. Dates and times are IST.
# Recorders not listed here have only a room and a declared retention, as before.
RECORDER_DETAILS = {
    ("south-city-mall", "Basement 1, security control room"): dict(
        id="scm-nvr-b1", building="South City Mall", level="B1", at=(10, -15),
        make="Hikvision", model="DS-9664NI-M8", serial="DS-9664NI-M80820231128CCRRJ7741",
        verified="2024-12-05", clock_offset_s=47, clock_checked_at="2024-12-05 11:20"),
    ("south-city-mall", "4F multiplex DVR room"): dict(
        id="scm-inox-dvr-4f", building="South City Mall", level="L4", at=(25, -40),
        make="CP Plus", model="CP-UVR-1601E1-HC", serial="CP-UVR16E1HC-2107B00931"),
    # outside the mall's footprint: the residential towers in its south-west corner
    ("south-city-mall", "Tower 2 ground floor, security office"): dict(
        id="scr-t2-nvr", building="South City Residences, Tower 2", level="G", at=(-40, -45),
        make="Dahua", model="DHI-NVR4216-4KS2/L", serial="7G0A2B3PAZ51C88"),
    ("quest-mall", "Basement 1, CCTV control room"): dict(
        id="qst-nvr-b1", building="Quest Mall", level="B1", at=(-10, -20),
        make="Hikvision", model="DS-7732NI-K4", serial="DS-7732NI-K41620220817AAWRJ5520",
        verified="2025-01-06"),
    ("quest-mall", "5F INOX projection-floor DVR room"): dict(
        id="qst-inox-dvr-5f", building="Quest Mall", level="L5", at=(-15, -10),
        make="CP Plus", model="CP-UVR-0801E1-IC", serial="CP-UVR08E1IC-2203A01577"),
    ("forum-courtyard", "Ground floor, security office"): dict(
        id="fcy-nvr-g", building="Forum Courtyard", level="G",
        make="Dahua", model="DHI-NVR5232-4KS2", serial="6J04C1DPAZ9D2F1"),
    ("acropolis-mall", "Basement 1, fire & security control room"): dict(
        id="acr-nvr-b1", building="Acropolis Mall", level="B1", at=(0, -25),
        make="Hikvision", model="DS-9632NI-I8", serial="DS-9632NI-I81620210309CCRRF0316",
        verified="2024-10-14", clock_offset_s=-12, clock_checked_at="2024-10-14 16:05"),
    ("lake-mall", "Ground floor, security cabin"): dict(
        id="lkm-nvr-g", building="Lake Mall", level="G",
        make="CP Plus", model="CP-UNR-4K4162-V2", serial="CP-UNR4K4162V2-1911C00218"),
    ("mani-square", "Basement 1, security control room"): dict(
        id="msq-nvr-b1", building="Mani Square", level="B1", at=(20, -20),
        make="Hikvision", model="DS-7732NI-K4", serial="DS-7732NI-K41620190611AAWRD1188",
        verified="2024-06-30"),
    # off-site: the owner's group control room keeps the recorder, 12 km away in Salt Lake
    ("metropolis-mall", "Group CCTV control room, 3rd floor"): dict(
        id="met-nvr-offsite", building="Demo Realty House, Salt Lake Sector V (off-site)",
        level="L3", location=(22.5726, 88.4317),
        make="Dahua", model="DHI-NVR608H-64-4KS2", serial="5K02E7APAZ3B9C4",
        verified="2025-01-20", clock_offset_s=3, clock_checked_at="2025-01-20 10:45"),
}

# Private cameras watched only during an incident (residents' lobbies, an office reception).
INCIDENT_ONLY = {("demo-heights-mukundapur", "Tower A lobby"),
                 ("demo-heights-mukundapur", "Tower B lobby"),
                 ("sample-greens-tollygunge", "Block C lobby"),
                 ("demo-towers-topsia", "Tower 1 lobby"),
                 ("sample-insurance-house", "Reception lobby (dome)")}
for _site in SITES:
    for _cam in _site.cams:
        if (_site.id, _cam.label) in INCIDENT_ONLY:
            _cam.access = "incident_only"

# --------------------------------------------------------------------------------------------
# Defaults per scene: (fov range, range_m range)
# --------------------------------------------------------------------------------------------

SCENE_DEFAULTS = {
    "junction": ((60, 90), (60, 120)),
    "street": ((50, 80), (40, 100)),
    "bridge": ((40, 60), (100, 150)),
    "station": ((70, 100), (40, 80)),
    "gate": ((70, 100), (15, 35)),
    "atrium": ((70, 100), (25, 40)),
    "foodcourt": ((60, 90), (25, 40)),
    "entrance": ((60, 90), (15, 30)),
    "carpark": ((70, 100), (25, 50)),
    "lobby": ((70, 100), (15, 30)),
    "forecourt": ((90, 110), (25, 40)),
    "atm": ((90, 110), (15, 15)),
    "corridor": ((40, 60), (15, 35)),
}
SCENES = set(SCENE_DEFAULTS)

# --------------------------------------------------------------------------------------------
# Output helpers
# --------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_YAML_SPECIAL = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def q(text: str) -> str:
    """Always-quoted YAML string (a JSON string is a valid YAML double-quoted scalar)."""
    return json.dumps(nfc(text), ensure_ascii=False)


def s(text: str) -> str:
    """Plain scalar when that is safe and stays a string, else quoted."""
    if (_PLAIN.match(text) and text.lower() not in _YAML_SPECIAL
            and not re.match(r"^[0-9._-]+$", text) and not re.match(r"^[0-9]+[eE]", text)):
        return text
    return q(text)


def flow(pairs) -> str:
    return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"


def loc(lat: float, lon: float, digits: int) -> str:
    return flow([("lat", f"{lat:.{digits}f}"), ("lon", f"{lon:.{digits}f}")])


def offset(lat: float, lon: float, dx_m: float, dy_m: float) -> tuple[float, float]:
    dlat = dy_m / 111_320.0
    dlon = dx_m / (111_320.0 * math.cos(math.radians(lat)))
    return lat + dlat, lon + dlon


def w_recorder(w, site, room: str, retention: int, of_camera: bool) -> None:
    """A site's or a camera's `recorder:`: one flow line, or a block with RECORDER_DETAILS."""
    details = RECORDER_DETAILS.get((site.id, room))
    pairs = ([("site", s(site.id))] if of_camera else []) + [
        ("room", q(room)), ("retention_days", str(retention))]
    if details is None:
        w("    recorder: " + flow(pairs))
        return
    d = details
    if "at" in d:
        where = loc(*offset(site.lat, site.lon, *d["at"]), 5)
    elif "location" in d:
        where = loc(*d["location"], 5)
    else:
        where = None
    block = [("id", s(d["id"]))] + pairs[:-1] + [
        ("building", q(d["building"])), ("level", s(d["level"]))]
    if where:
        block.append(("location", where))
    block.append(pairs[-1])
    block.append(("retention_verified_at", q(d["verified"]) if "verified" in d else None))
    block += [("make", q(d["make"])), ("model", q(d["model"])), ("serial", q(d["serial"]))]
    if "clock_offset_s" in d:
        block += [("clock_offset_s", str(d["clock_offset_s"])),
                  ("clock_checked_at", q(d["clock_checked_at"]))]
    w("    recorder:")
    for key, value in block:
        if value is None:
            w(f"      # {key}: never verified")
        else:
            w(f"      {key}: {value}")


def streams(scene: str, main_only: bool) -> str:
    pairs = [("main", q(f"demo://{scene}"))]
    if not main_only:
        pairs.append(("sub", q(f"demo://{scene}?size=sub")))
    return flow(pairs)


# --------------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------------


def build() -> str:
    rng = random.Random(SEED)
    out: list[str] = []
    w = out.append

    # Resolve station locations (women's stations share their namesake's).
    stations: dict[str, tuple[str, float, float, str, str]] = {}  # id -> name, lat, lon, div, code
    for div_id, _div_name, code, _note, sts in DIVISIONS:
        for sid, name, lat, lon in sts:
            if lon is None:
                _n, lat, lon, _d, _c = stations[lat]
            stations[sid] = (name, lat, lon, div_id, code)

    n_police = sum(len(p.arms) or 1 for lst in POLICE.values() for p in lst)
    n_private = sum(len(site.cams) for site in SITES)

    w("# Nazar camera registry - DEMO DATA, bundled with the application.")
    w("#")
    w("# THIS IS NOT AN OFFICIAL CAMERA LIST.  Kolkata Police division and police-station names")
    w("# are real (2020 directory, plus Golf Green (2021) and the Bhangar division (January")
    w("# 2024)); station locations are rough estimates; mall, market and landmark coordinates")
    w("# are approximate.  All camera positions and coverage, owners' contact numbers, recorder")
    w("# rooms and stream addresses are INVENTED.  Phone numbers are placeholders")
    w("# (+91 98300 0xxxx): do not call them.  Banks, petrol pumps, housing complexes and")
    w("# offices named \"Demo ...\" / \"Sample ...\" are fictitious.  Streams are demo:// sources")
    w("# rendered by the app itself; no real camera is contacted.")
    w("#")
    w(f"# Generated by tools/make_demo_registry.py (seed {SEED}); do not edit by hand.")
    w(f"# Regenerate with:  {COMMAND}")
    w("#")
    w(f"# {len(stations)} police stations in {len(DIVISIONS)} divisions, {len(SITES)} private "
      f"sites, {n_police + n_private} cameras ({n_police} police, {n_private} private).")
    w("# Camera ids: police KP-<DIV>-<NNNN>, private <SITECODE>-<NN>.")
    w("# coverage.bearing is degrees clockwise from north; fov 360 marks a fisheye dome.")
    w("# Alarm-mode fields: level (G, L1.., B1), indoor, ptz (coverage = home position),")
    w("# position_accuracy_m (pins on a building's centroid), access: incident_only (watched")
    w("# only during an incident) and site footprints (invented outlines, approx.).")
    w("# Evidence fields: the malls' recorders carry an id, where they stand (building, level,")
    w("# location: inside or outside the footprint, one off-site), make, model and serial")
    w("# (INVENTED serials) and when retention and clock were last checked (IST).")
    w("")
    w("version: 1")
    w("")
    w("# Station locations are APPROX. estimates, not surveyed station addresses.  A women's")
    w("# police station (id ending in -w) shares the location of its namesake station.")
    w("divisions:")
    phone_no = 1000
    for div_id, div_name, code, note, sts in DIVISIONS:
        extra = f"; {note}" if note else ""
        w(f"  - id: {s(div_id)}".ljust(34) + f"# cameras KP-{code}-*{extra}")
        w(f"    name: {q(div_name)}")
        w("    stations:")
        for sid, _name, _lat, _lon in sts:
            name, lat, lon, _d, _c = stations[sid]
            phone_no += 1
            w("      - " + flow([
                ("id", s(sid)), ("name", q(name)), ("location", loc(lat, lon, 4)),
                ("phone", q(f"+91 98300 0{phone_no:04d}")),
            ]))
    w("")

    # ---- sites ----
    w("# Private sites.  Real malls/markets keep their real names and approximate positions")
    w("# (\"sourced\" = coordinates taken from a published source, else estimated); owners'")
    w("# contacts, recorder rooms and everything about the cameras are invented.")
    w("sites:")
    site_phone = 100
    kinds_seen = []
    for site in SITES:
        if site.kind not in kinds_seen:
            kinds_seen.append(site.kind)
        site_phone += 1
        w(f"  - id: {s(site.id)}".ljust(44) + f"# cameras {site.code}-*")
        w(f"    name: {q(site.name)}")
        w(f"    kind: {site.kind}")
        w(f"    station: {s(site.station)}")
        w(f"    owner: {q(site.owner)}")
        w("    contact: " + flow([("name", q(site.contact_name)),
                                  ("phone", q(f"+91 98300 00{site_phone:03d}"))]))
        w(f"    address: {q(site.address)}")
        w(f"    location: {loc(site.lat, site.lon, 4)}   # {site.loc_note}")
        w_recorder(w, site, site.room, site.retention, of_camera=False)
        if site.footprint:
            w("    footprint:   # approx.: an invented outline around the site's point")
            for dx, dy in site.footprint:
                w("      - " + loc(*offset(site.lat, site.lon, dx, dy), 5))
    w("")

    # ---- cameras ----
    w("cameras:")

    def coverage(scene, bearing, fov, range_m, jitter=0):
        (f_lo, f_hi), (r_lo, r_hi) = SCENE_DEFAULTS[scene]
        if fov is None:
            fov = rng.randrange(f_lo, f_hi + 1, 5)
        if range_m is None:
            range_m = rng.randrange(r_lo, r_hi + 1, 5) if r_hi > r_lo else r_lo
        if jitter:
            bearing = (bearing + rng.randint(-jitter, jitter)) % 360
        return flow([("bearing", str(bearing % 360)), ("fov", str(fov)),
                     ("range_m", str(range_m))])

    # Police
    for _div_id, div_name, code, _note, sts in DIVISIONS:
        w("")
        w(f"  # ---- Police: {div_name} division ----")
        n = 0
        for sid, _name, _lat, _lon in sts:
            st_name, st_lat, st_lon, _d, _c = stations[sid]
            for place in POLICE[sid]:
                if place.lat is None:
                    if "compound gate" in place.name:
                        lat, lon = offset(st_lat, st_lon, rng.uniform(-15, 15),
                                          rng.uniform(-15, 15))
                    else:
                        ang = rng.uniform(0, 2 * math.pi)
                        dist = rng.uniform(300, 900)
                        lat, lon = offset(st_lat, st_lon, dist * math.sin(ang),
                                          dist * math.cos(ang))
                else:
                    lat, lon = place.lat, place.lon
                if place.scene not in SCENES:
                    raise ValueError(place.scene)
                if place.rec == HQ:
                    rec = flow([("station", "hare-street"),
                                ("room", q("Lalbazar HQ data centre")),
                                ("retention_days", "30")])
                else:
                    rec = flow([("station", s(sid)),
                                ("room", q(f"{st_name} PS server room")),
                                ("retention_days", "30")])
                base = place.name
                if place.arms and base.endswith(")") and " (" in base:
                    # "X (Y)" + arm N -> "X, Y (N)" rather than "X (Y) (N)"
                    head, _, tail = base.rpartition(" (")
                    base = f"{head}, {tail[:-1]}"
                views = ([(f"{base} ({a})", ARM_BEARING[a], 8) for a in place.arms]
                         or [(place.name, place.bearing, 0)])
                for cam_name, bearing, jitter in views:
                    n += 1
                    # separate cameras on one pole by a few metres
                    clat, clon = (offset(lat, lon, rng.uniform(-8, 8), rng.uniform(-8, 8))
                                  if place.arms else (lat, lon))
                    w(f"  - id: KP-{code}-{n:04d}")
                    w(f"    name: {q(cam_name)}")
                    w("    ownership: police")
                    w(f"    station: {s(sid)}")
                    w(f"    location: {loc(clat, clon, 5)}")
                    w(f"    coverage: {coverage(place.scene, bearing, place.fov, place.range_m, jitter)}")
                    if place.ptz:
                        w("    ptz: true   # coverage is its home position")
                    w(f"    streams: {streams(place.scene, place.main_only)}")
                    w(f"    recorder: {rec}")
                    if place.tags:
                        w(f"    tags: [{', '.join(s(t) for t in place.tags)}]")

    # Private
    for site in SITES:
        w("")
        w(f"  # ---- {site.kind.replace('_', ' ')}: {site.name} ----")
        for i, cam in enumerate(site.cams, start=1):
            if cam.scene not in SCENES:
                raise ValueError(cam.scene)
            clat, clon = offset(site.lat, site.lon, cam.dx + rng.uniform(-2, 2),
                                cam.dy + rng.uniform(-2, 2))
            w(f"  - id: {site.code}-{i:02d}")
            w(f"    name: {q(f'{site.name} - {cam.label}')}")
            w("    ownership: private")
            w(f"    site: {s(site.id)}")
            w(f"    location: {loc(clat, clon, 5)}")
            w(f"    coverage: {coverage(cam.scene, cam.bearing, cam.fov, cam.range_m)}")
            w(f"    streams: {streams(cam.scene, cam.main_only)}")
            if cam.room is not None:
                w_recorder(w, site, cam.room, cam.retention or site.retention, of_camera=True)
            if cam.floor:
                w(f"    level: {s(level_of(cam.floor))}")
            indoor = cam.scene in INDOOR_SCENES and "outdoor" not in cam.tags
            w(f"    indoor: {'true' if indoor else 'false'}")
            if (cam.dx, cam.dy) == (0, 0) and site.kind not in ("mall", "market", "multiplex"):
                w(f"    position_accuracy_m: {CENTROID_ACCURACY_M}   # pinned on the building")
            if cam.access:
                w(f"    access: {cam.access}")
            if cam.tags:
                w(f"    tags: [{', '.join(s(t) for t in cam.tags)}]")

    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", help="write to this file instead of standard output")
    args = ap.parse_args(argv)
    text = build()
    if args.out:
        with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    else:
        sys.stdout.reconfigure(encoding="utf-8", newline="\n")
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
