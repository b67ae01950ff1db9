"""Geometry for the server-rendered SVG charts: the templates only draw what this returns.

Column charts are 420 units wide: on a phone (about 330 px for the chart) the
text still shows at about 11 px. The share chart is HTML rows (a label that
wraps, a bar, the percentage), readable at any width.
"""

from __future__ import annotations

import math
from typing import Any

WIDTH = 420
BAR_AREA = 180
LEFT = 40  # room for the y-axis numbers
TOP = 20


def ticks(top: float) -> list[float]:
    """0 up to a round number at or above `top`, in 1-2-5 steps, at most 5 steps."""
    if top <= 0:
        return [0, 1]
    raw = top / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if step < 1 and top >= 1:
        step = 1
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 6) for i in range(n + 1)]


def columns(items: list[tuple[str, float | None]], unit: str = "") -> dict[str, Any]:
    """Vertical bars (distribution, trend per month) over a y-axis with its scale."""
    values = [v or 0 for _, v in items]
    scale = ticks(max(values, default=0))
    top = scale[-1] or 1
    base = TOP + BAR_AREA
    n = max(len(items), 1)
    slot = (WIDTH - LEFT - 5) / n
    bars = []
    for i, (label, value) in enumerate(items):
        h = round((value or 0) / top * BAR_AREA, 1)
        bars.append({"x": round(LEFT + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(base - h, 1), "h": h, "label": label,
                     "lines": label.split("\n"), "title": label.replace("\n", " "),
                     "value": "–" if value is None else f"{value:g}{unit}",
                     "cx": round(LEFT + i * slot + slot / 2, 1)})
    grid = [{"y": round(base - t / top * BAR_AREA, 1), "label": f"{t:g}"} for t in scale]
    return {"width": WIDTH, "height": base + 45, "base": base, "left": LEFT, "bars": bars,
            "grid": grid}


def shares(items: list[tuple[str, float]]) -> list[dict[str, Any]]:
    """Rows of a share 0..1 (terms met per step): label, bar length in percent, text."""
    return [{"label": label, "w": round(share * 100, 1), "value": f"{round(share * 100)}%"}
            for label, share in items]
