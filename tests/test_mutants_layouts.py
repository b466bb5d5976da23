"""Layouts and the wall model (app/layouts.py): the behaviour mutation testing found untested:
arrow-key neighbours in uneven layouts, the layouts offered, paging, saved walls that are
damaged, the tile a camera goes to, and which events fire."""
from __future__ import annotations

import pytest

from app.layouts import (LAYOUTS, SUB_STREAM_BELOW_PX, Cell, Event, Layout, Tour, WallEvents,
                         WallModel, grid, layout_for, one_plus, wants_sub_stream)


def recorder(model: WallModel) -> list[str]:
    fired: list[str] = []
    for ev in model.events.all():
        ev.connect(lambda name=ev.name: fired.append(name))
    return fired


# -- layouts ------------------------------------------------------------------------------------
def test_the_layouts_offered():
    assert list(LAYOUTS) == ["1", "2x2", "3x3", "4x4", "5x5", "6x6", "8x8", "1+5", "1+7", "1+12"]
    assert [lay.tiles for lay in LAYOUTS.values()] == [1, 4, 9, 16, 25, 36, 64, 6, 8, 13]
    for name, lay in LAYOUTS.items():
        assert lay.name == name
        covered = sorted((c.col + dc, c.row + dr) for c in lay.cells
                         for dc in range(c.cols) for dr in range(c.rows))
        assert covered == sorted((x, y) for x in range(lay.cols) for y in range(lay.rows)), name


def test_grid_cells_are_in_reading_order():
    g = grid(3)
    assert (g.name, g.cols, g.rows) == ("3x3", 3, 3)
    assert g.cells[:4] == (Cell(0, 0), Cell(1, 0), Cell(2, 0), Cell(0, 1))
    assert grid(1) == Layout("1", 1, 1, (Cell(0, 0),))
    assert grid(2).name == "2x2" and grid(8).name == "8x8"


def test_one_plus_puts_the_big_cell_first_then_the_rest_in_reading_order():
    lay = one_plus("1+5", 3, Cell(0, 0, 2, 2))
    assert lay == Layout("1+5", 3, 3, (Cell(0, 0, 2, 2), Cell(2, 0), Cell(2, 1), Cell(0, 2),
                                        Cell(1, 2), Cell(2, 2)))
    centre = one_plus("1+12", 4, Cell(1, 1, 2, 2))
    assert centre.cells[1:6] == (Cell(0, 0), Cell(1, 0), Cell(2, 0), Cell(3, 0), Cell(0, 1))
    assert Cell(3, 1) in centre.cells and Cell(1, 3) in centre.cells and Cell(2, 2) not in centre.cells


def test_rects_leave_the_gap_between_tiles():
    assert LAYOUTS["2x2"].rects(200, 100) == [(1, 1, 98, 48), (101, 1, 98, 48),
                                              (1, 51, 98, 48), (101, 51, 98, 48)]
    assert LAYOUTS["1+5"].rects(300, 300, gap=0)[:2] == [(0, 0, 200, 200), (200, 0, 100, 100)]


def test_rects_share_out_the_pixels_that_do_not_divide():
    rects = LAYOUTS["3x3"].rects(100, 200, gap=0)
    assert [(x, w) for x, _, w, _ in rects[:3]] == [(0, 33), (33, 33), (66, 34)]
    assert [(y, h) for _, y, _, h in rects[::3]] == [(0, 66), (66, 67), (133, 67)]
    assert all(isinstance(v, int) for r in rects for v in r)


def test_a_tiny_area_still_gives_every_tile_a_pixel():
    assert set(r[2:] for r in LAYOUTS["4x4"].rects(4, 4, gap=4)) == {(1, 1)}


def test_neighbours_around_the_big_tile():
    lay = LAYOUTS["1+5"]  # big 0 at the top left, 1 and 2 right of it, 3 4 5 below
    assert lay.neighbour(0, 1, 0) == 1  # two equally near: the first
    assert lay.neighbour(0, 0, 1) == 3
    assert lay.neighbour(2, -1, 0) == 0
    assert lay.neighbour(4, 0, -1) == 0
    assert lay.neighbour(1, 0, 1) == 2
    assert lay.neighbour(5, 1, 1) == 5  # nothing there


def test_a_tile_straight_ahead_beats_one_nearer_but_off_to_the_side():
    lay = Layout("gappy", 4, 2, (Cell(0, 0), Cell(3, 0), Cell(1, 1)))
    assert lay.neighbour(0, 1, 0) == 1


def test_sub_stream_below_400_pixels_unless_maximised():
    assert SUB_STREAM_BELOW_PX == 400
    assert wants_sub_stream(399) and not wants_sub_stream(400)
    assert not wants_sub_stream(100, maximised=True)


@pytest.mark.parametrize("count, name", [(0, "1"), (2, "2x2"), (9, "3x3"), (10, "4x4"),
                                         (36, "6x6"), (37, "8x8"), (64, "8x8"), (65, "8x8")])
def test_layout_for(count, name):
    assert layout_for(count).name == name


# -- events -------------------------------------------------------------------------------------
def test_event_listeners():
    calls: list[str] = []
    ev = Event("view")

    def a() -> None:
        calls.append("a")
        ev.disconnect(a)  # a listener may leave while the event is being emitted

    def b() -> None:
        calls.append("b")

    ev.connect(a)
    ev.connect(b)
    ev.emit()
    ev.emit()
    ev.disconnect(a)  # not connected any more: nothing happens
    assert calls == ["a", "b", "b"]


def test_connect_all_except():
    events = WallEvents()
    assert [e.name for e in events.all()] == list(WallEvents.NAMES)
    calls: list[int] = []
    events.connect_all(lambda: calls.append(1), except_=("page", "view"))
    for e in events.all():
        e.emit()
    assert len(calls) == 3


# -- the wall model -----------------------------------------------------------------------------
def test_a_new_model_is_normalised_and_owns_its_view():
    view = ["A", None, "", None]
    m = WallModel(view=view, page=5, selected=9)
    assert m.layout is LAYOUTS["2x2"] and m.view == ["A", None, ""]
    assert (m.page, m.selected, m.maximised) == (0, 3, False)
    view.append("B")
    assert m.view == ["A", None, ""]
    assert WallModel(page=-3, selected=-1).page == 0 and WallModel(selected=-1).selected == 0


def test_pages_count_only_real_cameras():
    m = WallModel(view=["A", "B", "C", "D", "E"])
    assert m.pages == 2
    m.set_view(["A", "B", "C", "D", ""])
    assert m.pages == 1
    m.set_view([])
    assert m.pages == 1 and m.visible() == [None] * 4 and m.selected_camera() is None
    m.set_view(["A"] * 8 + ["B"])
    assert m.pages == 3


def test_visible_selected_cameras_and_positions():
    m = WallModel(layout=LAYOUTS["2x2"], view=["A", "B", None, "C", "D", "A"])
    m.next_page()
    assert m.visible() == ["D", "A", None, None]
    m.select(1)
    assert m.selected_camera() == "A"
    assert m.cameras() == ["A", "B", "C", "D"]
    assert m.position_of("C") == 3 and m.position_of("A") == 0 and m.position_of("Z") is None


def test_a_saved_wall_round_trips():
    m = WallModel(layout=LAYOUTS["3x3"], view=["A"] * 9 + ["B"])
    m.go_page(1)
    m.select(4)
    m.toggle_maximised()
    data = m.to_dict()
    assert data == {"layout": "3x3", "view": ["A"] * 9 + ["B"], "page": 1, "selected": 4,
                    "maximised": True}
    back = WallModel.from_dict(data)
    assert back.to_dict() == data


@pytest.mark.parametrize("data", [None, [], "x", {"layout": "7x7", "view": "A,B", "page": "1",
                                                  "selected": 2.0, "maximised": 1}])
def test_a_damaged_saved_wall_falls_back_to_defaults(data):
    m = WallModel.from_dict(data)
    assert m.to_dict() == {"layout": "2x2", "view": [], "page": 0, "selected": 0,
                           "maximised": False}


def test_a_saved_wall_with_bad_parts_keeps_the_good_ones():
    m = WallModel.from_dict({"layout": "3x3", "view": ["A", 7, None, "B"], "page": 4,
                             "selected": 9, "maximised": "yes"})
    assert m.to_dict() == {"layout": "3x3", "view": ["A", None, None, "B"], "page": 0,
                           "selected": 0, "maximised": False}
    m = WallModel.from_dict({"layout": "1", "view": ["A", "B"], "page": 1, "selected": 0})
    assert (m.page, m.selected) == (1, 0)


def test_apply_dict_is_one_change_and_keeps_an_unknown_layout_as_it_was():
    m = WallModel(layout=LAYOUTS["3x3"], view=["A"])
    fired = recorder(m)
    m.apply_dict({"layout": "9x9", "view": ["B", "C"], "page": 0, "selected": 1,
                  "maximised": True})
    assert m.layout is LAYOUTS["3x3"] and m.view == ["B", "C"] and m.selected == 1
    assert fired == ["view", "maximised", "selection"]
    fired.clear()
    m.apply_dict("not a dict")
    assert m.to_dict() == {"layout": "3x3", "view": [], "page": 0, "selected": 0,
                           "maximised": False}


def test_changing_the_layout_emits_once_and_leaves_maximised():
    m = WallModel(view=["A", "B"])
    m.toggle_maximised()
    fired = recorder(m)
    m.set_layout(LAYOUTS["2x2"])  # the same layout: only back from maximised
    assert fired == ["maximised"] and not m.maximised
    fired.clear()
    m.set_layout(LAYOUTS["3x3"])
    assert fired == ["layout"]


def test_a_layout_change_past_the_end_of_the_view_goes_to_the_last_page():
    m = WallModel(layout=LAYOUTS["3x3"], view=["A", "B", "C", "D", "E"])
    m.select(8)  # empty tile, far past the last camera
    m.set_layout(LAYOUTS["2x2"])
    assert (m.page, m.selected) == (1, 0) and m.visible()[0] == "E"
    m.set_layout(LAYOUTS["1"])
    assert (m.page, m.selected) == (4, 0) and m.selected_camera() == "E"


def test_select_clamps_and_arrows_move():
    m = WallModel(layout=LAYOUTS["3x3"])
    m.select(42)
    assert m.selected == 8
    m.select(-5)
    assert m.selected == 0
    m.move_selection(1, 0)
    m.move_selection(0, 1)
    assert m.selected == 4
    fired = recorder(m)
    m.move_selection(0, 1)
    m.move_selection(0, 1)  # at the bottom edge: stays, no event
    assert m.selected == 7 and fired == ["selection"]


def test_maximise_and_restore():
    m = WallModel()
    fired = recorder(m)
    assert m.restore() is False and fired == []
    m.toggle_maximised()
    assert m.maximised and fired == ["maximised"]
    assert m.restore() is True and m.maximised is False
    assert fired == ["maximised", "maximised"]


def test_paging_wraps_and_turning_a_page_leaves_maximised():
    m = WallModel(view=[f"C{i}" for i in range(10)])  # 3 pages of 2x2
    fired = recorder(m)
    m.prev_page()
    assert m.page == 2 and fired == ["page", "selection"]
    m.next_page()
    assert m.page == 0
    m.toggle_maximised()
    m.go_page(3)  # 3 pages: page 3 is page 0, no change
    assert m.maximised and m.page == 0
    m.go_page(4)
    assert m.page == 1 and not m.maximised


def test_put_on_the_selected_tile_of_a_later_page():
    m = WallModel(view=["A", "B", "C", "D", "E"])
    m.go_page(1)
    m.select(2)
    fired = recorder(m)
    assert m.put("X") == 2
    assert m.view == ["A", "B", "C", "D", "E", None, "X"]
    assert fired == ["view", "selection"]
    assert m.put("Y", 0) == 0 and m.view[4] == "Y"


def test_free_tile_prefers_the_camera_then_the_selected_tile_then_the_next_empty_one():
    m = WallModel(layout=LAYOUTS["2x2"], view=["A", None, "B", None])
    m.select(2)
    assert m.free_tile("A") == 0
    assert m.free_tile("Z") == 3  # after the selected (full) tile, wrapping
    m.select(1)
    assert m.free_tile() == 1
    m.set_view(["A", "B", "C", "D"])
    assert m.free_tile("Z") is None and m.free_tile("C") == 2
    m.set_view([None, "B", "C", "D"])
    m.select(3)
    assert m.free_tile("Z") == 0


def test_put_next_free_skips_the_cameras_already_after_the_page():
    m = WallModel(view=["A", "B", "C", "D", "E", "F", None, "H"])
    m.toggle_maximised()
    fired = recorder(m)
    assert m.put_next_free("X") == 2
    assert m.view == ["A", "B", "C", "D", "E", "F", "X", "H"]
    assert m.page == 1 and not m.maximised
    assert fired == ["view", "page", "maximised", "selection"]


def test_put_next_free_on_a_full_last_page_opens_a_new_one():
    m = WallModel(view=["A", "B", "C", "D"])
    assert m.put_next_free("X") == 0
    assert m.view == ["A", "B", "C", "D", "X"] and m.page == 1


def test_clear():
    m = WallModel(view=["A", "B", "C"])
    m.select(1)
    m.clear()
    assert m.view == ["A", None, "C"]
    fired = recorder(m)
    m.clear(3)  # already empty, past the end of the view
    assert m.view == ["A", None, "C"] and fired == []
    m.clear(2)
    assert m.view == ["A"]


def test_swap_with_an_empty_tile_past_the_end():
    m = WallModel(view=["A", "B", "C", "D", "E"])
    m.go_page(1)
    m.swap(0, 2)
    assert m.view == ["A", "B", "C", "D", None, None, "E"] and m.selected == 2
    m.swap(2, 0)
    assert m.view == ["A", "B", "C", "D", "E"] and m.selected == 0


def test_set_view_starts_at_the_top_of_the_first_page():
    m = WallModel(view=[f"C{i}" for i in range(9)])
    m.go_page(2)
    m.select(3)
    m.toggle_maximised()
    m.set_view(["X", "Y"])
    assert (m.view, m.page, m.selected, m.maximised, m.layout.name) == \
        (["X", "Y"], 0, 0, False, "2x2")
    m.set_view(["Z"], LAYOUTS["1+5"])
    assert m.layout is LAYOUTS["1+5"] and m.view == ["Z"]


def test_add_fills_holes_then_appends_and_skips_cameras_already_there():
    m = WallModel(view=["A", None, "B", None, "C"])
    fired = recorder(m)
    assert m.add(["B", "X", "Y", "X", "Z"]) == 3
    assert m.view == ["A", "X", "B", "Y", "C", "Z"]
    assert fired == ["view"]
    assert m.add(["A", "Z"]) == 0
    m = WallModel(view=[None, "A"])
    assert m.add(["X"]) == 1 and m.view == ["X", "A"]


def test_a_batch_emits_once_at_its_end():
    m = WallModel()
    fired = recorder(m)
    with m.batch():
        m.put("A", 0)
        with m.batch():
            m.put("B", 1)
        assert fired == []
        m.select(1)
    assert fired == ["view", "selection"]


def test_a_tour_cycles_through_its_steps():
    with pytest.raises(ValueError, match="^a tour needs at least one step$"):
        Tour([])
    steps = [("page", 0), ("page", 1), ("view", 3)]
    tour = Tour(steps)
    steps.clear()
    assert tour.interval_s == 10.0 and tour.index == 0
    assert [tour.advance() for _ in range(4)] == [("page", 1), ("view", 3), ("page", 0),
                                                  ("page", 1)]
    assert Tour([("view", 1)], interval_s=30).advance() == ("view", 1)


@pytest.mark.parametrize("layout, index, dx, dy, expected", [
    # from a wide or tall tile, the one straight across from its middle
    (Layout("wide", 5, 2, (Cell(0, 0, 5, 1), Cell(0, 1), Cell(1, 1), Cell(2, 1), Cell(3, 1),
                           Cell(4, 1))), 0, 0, 1, 3),
    (Layout("tall", 2, 5, (Cell(0, 0, 1, 5), Cell(1, 0), Cell(1, 1), Cell(1, 2), Cell(1, 3),
                           Cell(1, 4))), 0, 1, 0, 3),
    # to a wide or tall tile, measured to its middle (a tie: the first in reading order)
    (Layout("t", 4, 2, (Cell(0, 0, 3, 1), Cell(3, 0), Cell(0, 1), Cell(1, 1), Cell(2, 1),
                        Cell(3, 1))), 4, 0, -1, 0),
    (Layout("l", 2, 4, (Cell(0, 0, 1, 3), Cell(0, 3), Cell(1, 0), Cell(1, 1), Cell(1, 2),
                        Cell(1, 3))), 4, -1, 0, 0),
    # one step off to the side weighs as much as two straight ahead
    (Layout("s", 7, 3, (Cell(0, 2), Cell(1, 0), Cell(6, 2))), 0, 1, 0, 1),
    (LAYOUTS["1+12"], 0, 0, -1, 2),
])
def test_neighbours_of_uneven_tiles(layout, index, dx, dy, expected):
    assert layout.neighbour(index, dx, dy) == expected


def test_apply_dict_changes_to_a_known_layout():
    m = WallModel(layout=LAYOUTS["3x3"], view=["A"])
    m.apply_dict({"layout": "1+5", "view": ["A"]})
    assert m.layout is LAYOUTS["1+5"]


def test_a_layout_change_to_a_page_that_does_not_exist_selects_the_first_tile():
    m = WallModel(layout=LAYOUTS["3x3"], view=["A", "B", "C", "D"])
    m.toggle_maximised()
    m.select(5)
    m.set_layout(LAYOUTS["2x2"])
    assert (m.page, m.selected, m.maximised) == (0, 0, False)
    assert m.maximised is False


def test_put_next_free_turning_the_page_leaves_maximised_as_false():
    m = WallModel(view=["A", "B", "C", "D"])
    m.toggle_maximised()
    m.put_next_free("X")
    assert m.maximised is False and m.page == 1


def test_set_view_goes_to_the_first_page():
    m = WallModel(view=[f"C{i}" for i in range(9)])
    m.go_page(1)
    m.set_view([f"D{i}" for i in range(9)])
    assert m.page == 0 and m.visible() == ["D0", "D1", "D2", "D3"]
