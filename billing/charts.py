"""A small bar chart of old against new amounts per bill, drawn as SVG by the server (no CDN, no script)."""

from dataclasses import dataclass
from decimal import Decimal

WIDTH, HEIGHT, BAR, GAP, TOP, BOTTOM, LEFT = 640, 220, 22, 28, 16, 40, 8


@dataclass(frozen=True)
class Bar:
    x: int
    y: int
    height: int
    width: int
    kind: str  # "old" or "new"
    amount: Decimal


@dataclass(frozen=True)
class Group:
    label: str
    x: int  # centre of the pair, for the label
    bars: tuple[Bar, Bar]


def bar_chart(rows: list[tuple[str, Decimal, Decimal]]) -> dict:
    """rows: (label, old amount, new amount) -> groups with bar geometry, the chart's size and scale."""
    top = max([max(old, new) for _label, old, new in rows] or [Decimal(1)]) or Decimal(1)
    plot = HEIGHT - TOP - BOTTOM
    groups = []
    x = LEFT
    for label, old, new in rows:
        bars = []
        for offset, (kind, amount) in enumerate((("old", old), ("new", new))):
            height = int(plot * max(amount, Decimal(0)) / top)
            bars.append(Bar(x + offset * BAR, TOP + plot - height, height, BAR - 2, kind, amount))
        groups.append(Group(label, x + BAR, tuple(bars)))
        x += 2 * BAR + GAP
    return {"groups": groups, "width": max(WIDTH, x), "height": HEIGHT, "baseline": TOP + plot, "top": top}
