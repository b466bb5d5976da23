"""docs/grafana-dashboard.json queries only metrics the wall serves, and all of them."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import WallMetrics

DASHBOARD = Path(__file__).resolve().parents[1] / "docs" / "grafana-dashboard.json"
NAME = re.compile(r"\bnazar_[A-Za-z0-9_]*")
SUFFIX = re.compile(r"(_bucket|_sum|_count|_total|_created)$")


def load() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def panels(dash: dict) -> list[dict]:
    """Every panel, including those nested in collapsed rows."""
    out = []
    for panel in dash["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def exprs(dash: dict) -> list[str]:
    return [t["expr"] for p in panels(dash) for t in p.get("targets", []) if t.get("expr")]


def family(name: str) -> str:
    return SUFFIX.sub("", name)


def used_families(dash: dict) -> set[str]:
    return {family(n) for e in exprs(dash) for n in NAME.findall(e)}


def exposed_families() -> set[str]:
    m = WallMetrics()
    m.eyes_on.observe(1.2)
    m.loop_lag.observe(0.02)
    m.api_requests.labels("200").inc()
    m.cap_messages.labels("raised").inc()
    text = m.render({"feeds": [{"camera": "c1", "state": "live", "fps": 25.0,
                                "reconnects": 1, "decode_errors": 0}],
                     "on_wall": ["c1"], "tile_states": ["live"], "incidents_open": 1,
                     "eyes_on_timeouts": 0}).decode("utf-8")
    # prometheus_client also serves each counter's and histogram's creation time as a gauge
    # family "<name>_created"; it belongs to its metric, so it maps to the same family.
    return {family(f.name) for f in text_string_to_metric_families(text)
            if f.name.startswith("nazar_")}


def test_dashboard_is_valid_json_with_panels():
    dash = load()
    assert dash["uid"] == "nazar-wall"
    assert dash["title"] == "Nazar video wall"
    assert dash["schemaVersion"] == 39
    assert [i["name"] for i in dash["__inputs"]] == ["DS_PROMETHEUS"]
    assert dash["__inputs"][0]["pluginId"] == "prometheus"
    graphs = [p for p in panels(dash) if p["type"] != "row"]
    assert len(graphs) >= 12
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for p in graphs:
        assert p["title"] and p["targets"], p
        assert p["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
        for t in p["targets"]:
            assert t["datasource"]["uid"] == "${DS_PROMETHEUS}", p["title"]
            assert t["expr"].count("(") == t["expr"].count(")"), t["expr"]


def test_exposition_is_what_the_test_expects():
    """The set below is built from app.metrics itself; this only checks it is not empty or
    missing the families the brief names, so a broken render cannot make the test vacuous."""
    fams = exposed_families()
    assert {"nazar_feeds", "nazar_wall_tiles", "nazar_feed_fps", "nazar_feed_reconnects",
            "nazar_feed_decode_errors", "nazar_incidents_open",
            "nazar_time_to_eyes_on_seconds", "nazar_event_loop_lag_seconds",
            "nazar_eyes_on_timeouts", "nazar_api_requests", "nazar_cap_messages"} <= fams


def test_every_metric_in_the_dashboard_is_exposed():
    used = used_families(load())
    assert used, "no nazar_ metric found in any panel expr"
    unknown = used - exposed_families()
    assert not unknown, f"the dashboard queries metrics the wall does not serve: {unknown}"


def test_every_exposed_metric_is_on_the_dashboard():
    missing = exposed_families() - used_families(load())
    assert not missing, f"metrics the wall serves but no panel shows: {sorted(missing)}"


@pytest.mark.parametrize("title, needle", [
    ("Feeds not live", 'sum(nazar_feeds{state!="live",state!="closed"})'),
    ("Event loop lag p95", "histogram_quantile(0.95,"),
    ("Time to eyes-on p95", "histogram_quantile(0.95,"),
])
def test_key_panels(title, needle):
    # the panel's first query (refId A) is the one its title names
    found = [p["targets"][0]["expr"] for p in panels(load()) if p["title"] == title]
    assert found and all(needle in e for e in found), (title, found)


@pytest.mark.parametrize("title, red_at", [("Event loop lag p95", 0.25),
                                           ("Time to eyes-on p95", 2)])
def test_latency_thresholds_go_red(title, red_at):
    matching = [p for p in panels(load()) if p["title"] == title]
    assert matching
    for p in matching:
        steps = p["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert {"color": "red", "value": red_at} in steps, (title, steps)
        assert p["fieldConfig"]["defaults"]["unit"] == "s"


def test_counters_are_rated_not_shown_raw():
    """A counter's raw value is meaningless on a graph (it resets when a feed reopens)."""
    for e in exprs(load()):
        for name in NAME.findall(e):
            if name.endswith(("_total", "_bucket")):
                assert re.search(rf"(rate|increase)\(\s*{name}\b", e), e
