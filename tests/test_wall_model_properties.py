"""Property test: whatever the officer does, in any order, the wall model never points at a
page past the view's end, nor at a tile the layout does not have."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.layouts import LAYOUTS, WallModel

CAMS = [f"C{i}" for i in range(30)] + [None]
OPS = st.one_of(
    st.tuples(st.just("layout"), st.sampled_from(sorted(LAYOUTS))),
    st.tuples(st.just("select"), st.integers(-3, 70)),
    st.tuples(st.just("move"), st.sampled_from([(1, 0), (-1, 0), (0, 1), (0, -1)])),
    st.tuples(st.just("next_page"), st.none()),
    st.tuples(st.just("prev_page"), st.none()),
    st.tuples(st.just("go_page"), st.integers(-5, 20)),
    st.tuples(st.just("put"), st.sampled_from(CAMS[:-1])),
    st.tuples(st.just("put_next_free"), st.sampled_from(CAMS[:-1])),
    st.tuples(st.just("clear"), st.none()),
    st.tuples(st.just("swap"), st.tuples(st.integers(0, 3), st.integers(0, 3))),
    st.tuples(st.just("maximise"), st.none()),
    st.tuples(st.just("set_view"), st.lists(st.sampled_from(CAMS), max_size=40)),
    st.tuples(st.just("add"), st.lists(st.sampled_from(CAMS[:-1]), max_size=10)),
)


def apply(m: WallModel, op: str, arg) -> None:
    if op == "layout":
        m.set_layout(LAYOUTS[arg])
    elif op == "select":
        m.select(arg)
    elif op == "move":
        m.move_selection(*arg)
    elif op == "next_page":
        m.next_page()
    elif op == "prev_page":
        m.prev_page()
    elif op == "go_page":
        m.go_page(arg)
    elif op == "put":
        m.put(arg)
    elif op == "put_next_free":
        m.put_next_free(arg)
    elif op == "clear":
        m.clear()
    elif op == "swap":
        a, b = arg
        n = m.layout.tiles
        m.swap(a % n, b % n)
    elif op == "maximise":
        m.toggle_maximised()
    elif op == "set_view":
        m.set_view(arg)
    elif op == "add":
        m.add(arg)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.sampled_from(sorted(LAYOUTS)), st.lists(st.sampled_from(CAMS), max_size=30),
       st.lists(OPS, max_size=40))
def test_page_and_selection_always_point_inside_the_wall(layout, view, ops):
    m = WallModel(layout=LAYOUTS[layout], view=view)
    events: list[str] = []
    for ev in m.events.all():
        ev.connect(lambda name=ev.name: events.append(name))
    for op, arg in ops:
        cams_before = [c for c in m.view if c]
        apply(m, op, arg)
        assert 0 <= m.page < m.pages, (op, arg, m.page, m.pages)
        assert 0 <= m.selected < m.layout.tiles
        assert len(m.visible()) == m.layout.tiles
        if op in ("layout", "select", "move", "next_page", "prev_page", "go_page",
                  "maximise"):
            assert [c for c in m.view if c] == cams_before  # moving around loses nothing
