"""Wall layouts and the wall's contents, as plain Python.

A layout is a grid of `cols` x `rows` units and a list of cells, each a rectangle in grid
units, in reading order. The wall model keeps a list of camera ids ("the view"): tile `i`
on the current page shows `view[page * tiles + i]`. Switching to a smaller layout keeps the
cameras that no longer fit, so switching back restores them.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    col: int
    row: int
    cols: int = 1
    rows: int = 1


@dataclass(frozen=True)
class Layout:
    name: str  # e.g. "2x2"
    cols: int
    rows: int
    cells: tuple[Cell, ...]

    @property
    def tiles(self) -> int:
        return len(self.cells)

    def rects(self, width: int, height: int, gap: int = 2) -> list[tuple[int, int, int, int]]:
        """Pixel rectangles (x, y, w, h) of the cells in a width x height area."""
        out = []
        for c in self.cells:
            x0 = c.col * width // self.cols
            x1 = (c.col + c.cols) * width // self.cols
            y0 = c.row * height // self.rows
            y1 = (c.row + c.rows) * height // self.rows
            out.append((x0 + gap // 2, y0 + gap // 2, max(1, x1 - x0 - gap),
                        max(1, y1 - y0 - gap)))
        return out

    def neighbour(self, index: int, dx: int, dy: int) -> int:
        """The cell next to `index` in direction (dx, dy), for arrow-key selection."""
        c = self.cells[index]
        cx, cy = c.col + (c.cols - 1) / 2, c.row + (c.rows - 1) / 2
        best, best_d = index, None
        for i, o in enumerate(self.cells):
            ox, oy = o.col + (o.cols - 1) / 2, o.row + (o.rows - 1) / 2
            ahead = (ox - cx) * dx + (oy - cy) * dy
            if i == index or ahead <= 0:
                continue
            side = abs((ox - cx) * dy) + abs((oy - cy) * dx)
            d = (ahead + 2 * side, side)
            if best_d is None or d < best_d:
                best, best_d = i, d
        return best


def grid(n: int) -> Layout:
    return Layout(f"{n}x{n}" if n > 1 else "1", n, n,
                  tuple(Cell(col, row) for row in range(n) for col in range(n)))


def one_plus(name: str, cols: int, big: Cell) -> Layout:
    """One large cell and small cells around it, in reading order."""
    cells = [big]
    for row in range(cols):
        for col in range(cols):
            inside = big.col <= col < big.col + big.cols and big.row <= row < big.row + big.rows
            if not inside:
                cells.append(Cell(col, row))
    return Layout(name, cols, cols, tuple(cells))


LAYOUTS: dict[str, Layout] = {lay.name: lay for lay in (
    grid(1), grid(2), grid(3), grid(4), grid(5), grid(6), grid(8),
    one_plus("1+5", 3, Cell(0, 0, 2, 2)),
    one_plus("1+7", 4, Cell(0, 0, 3, 3)),
    one_plus("1+12", 4, Cell(1, 1, 2, 2)),
)}

# Below this height (device pixels) a tile shows the camera's sub stream, if it has one: a
# 640x360 sub stream already has every pixel such a tile can show. Larger tiles, and a
# maximised tile, get the main stream. (Nx Witness switches at about 170-230 px.)
SUB_STREAM_BELOW_PX = 400


def wants_sub_stream(tile_height_px: int, maximised: bool = False) -> bool:
    return not maximised and tile_height_px < SUB_STREAM_BELOW_PX


def layout_for(count: int) -> Layout:
    """The smallest square grid that shows `count` cameras (8x8, paged, if none is enough)."""
    grids = [lay for lay in LAYOUTS.values() if lay.cols == lay.rows and lay.tiles == lay.cols ** 2]
    for lay in sorted(grids, key=lambda lay: lay.tiles):
        if lay.tiles >= count:
            return lay
    return max(grids, key=lambda lay: lay.tiles)


@dataclass
class WallModel:
    """What the wall shows: a layout, a page of the view, and the selected tile."""

    layout: Layout = field(default_factory=lambda: LAYOUTS["2x2"])
    view: list[str | None] = field(default_factory=list)
    page: int = 0
    selected: int = 0
    maximised: bool = False  # the selected tile fills the wall
    _listeners: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def subscribe(self, fn: Callable[[], None]) -> None:
        self._listeners.append(fn)

    def _changed(self) -> None:
        for fn in list(self._listeners):
            fn()

    # -- reading -----------------------------------------------------------------------------
    @property
    def pages(self) -> int:
        used = max((i + 1 for i, c in enumerate(self.view) if c), default=0)
        return max(1, -(-used // self.layout.tiles))

    def visible(self) -> list[str | None]:
        """Camera id (or None) for each tile of the current page."""
        start = self.page * self.layout.tiles
        chunk = self.view[start:start + self.layout.tiles]
        return chunk + [None] * (self.layout.tiles - len(chunk))

    def selected_camera(self) -> str | None:
        return self.visible()[self.selected]

    def to_dict(self) -> dict:
        return {"layout": self.layout.name, "view": list(self.view), "page": self.page,
                "selected": self.selected}

    @classmethod
    def from_dict(cls, data: dict) -> WallModel:
        """Rebuild a saved wall; anything unusable falls back to a default, never raises."""
        layout = LAYOUTS.get(str(data.get("layout")), LAYOUTS["2x2"])
        raw = data.get("view")
        view = [c if isinstance(c, str) else None for c in raw] if isinstance(raw, list) else []
        model = cls(layout=layout, view=view)
        page, sel = data.get("page"), data.get("selected")
        model.page = page if isinstance(page, int) and 0 <= page < model.pages else 0
        model.selected = sel if isinstance(sel, int) and 0 <= sel < layout.tiles else 0
        return model

    # -- changing ----------------------------------------------------------------------------
    def set_layout(self, layout: Layout) -> None:
        self.maximised = False
        if layout == self.layout:
            self._changed()
            return
        # Keep the selected camera on screen: go to the page that holds it.
        absolute = self.page * self.layout.tiles + self.selected
        self.layout = layout
        self.page = absolute // layout.tiles
        self.selected = absolute % layout.tiles
        self._changed()

    def select(self, index: int) -> None:
        index = max(0, min(index, self.layout.tiles - 1))
        if index != self.selected:
            self.selected = index
            self._changed()

    def move_selection(self, dx: int, dy: int) -> None:
        self.select(self.layout.neighbour(self.selected, dx, dy))

    def toggle_maximised(self) -> None:
        self.maximised = not self.maximised
        self._changed()

    def restore(self) -> bool:
        """Leave the maximised tile. False if there was nothing to restore."""
        if not self.maximised:
            return False
        self.maximised = False
        self._changed()
        return True

    def go_page(self, page: int) -> None:
        page %= self.pages
        if page != self.page:
            self.page = page
            self.maximised = False
            self._changed()

    def next_page(self) -> None:
        self.go_page(self.page + 1)

    def prev_page(self) -> None:
        self.go_page(self.page - 1)

    def put(self, camera_id: str, tile: int | None = None) -> int:
        """Show a camera on a tile (default: the selected one). Returns the tile index."""
        tile = self.selected if tile is None else tile
        pos = self.page * self.layout.tiles + tile
        if len(self.view) <= pos:
            self.view.extend([None] * (pos + 1 - len(self.view)))
        self.view[pos] = camera_id
        self._changed()
        return tile

    def put_next_free(self, camera_id: str) -> int:
        """Show a camera on the selected tile if empty, else the next empty tile of the page."""
        vis = self.visible()
        if camera_id in vis:
            return vis.index(camera_id)
        n = len(vis)
        for k in range(n):
            i = (self.selected + k) % n
            if vis[i] is None:
                return self.put(camera_id, i)
        return self.put(camera_id, self.selected)

    def clear(self, tile: int | None = None) -> None:
        tile = self.selected if tile is None else tile
        pos = self.page * self.layout.tiles + tile
        if pos < len(self.view) and self.view[pos] is not None:
            self.view[pos] = None
            self._changed()

    def swap(self, a: int, b: int) -> None:
        """Swap the cameras of two tiles on the current page."""
        base = self.page * self.layout.tiles
        need = base + max(a, b) + 1
        if len(self.view) < need:
            self.view.extend([None] * (need - len(self.view)))
        self.view[base + a], self.view[base + b] = self.view[base + b], self.view[base + a]
        self.selected = b
        self._changed()

    def set_view(self, cameras: list[str | None], layout: Layout | None = None) -> None:
        self.view = list(cameras)
        if layout is not None:
            self.layout = layout
        self.page = 0
        self.selected = 0
        self.maximised = False
        self._changed()


class Tour:
    """Cycles through steps (pages of the view, or saved views) every `interval_s`."""

    def __init__(self, steps: list, interval_s: float = 10.0):
        if not steps:
            raise ValueError("a tour needs at least one step")
        self.steps = list(steps)
        self.interval_s = interval_s
        self.index = 0

    def advance(self) -> tuple[str, int]:  # (kind, value): ("page", n) or ("view", slot)
        self.index = (self.index + 1) % len(self.steps)
        return self.steps[self.index]
