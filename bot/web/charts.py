"""Geometry for the server-rendered SVG charts: the templates only draw what this returns."""

from __future__ import annotations

from typing import Any

WIDTH = 560
BAR_AREA = 180


def columns(items: list[tuple[str, float | None]], unit: str = "") -> dict[str, Any]:
    """Vertical bars (distribution, trend per month)."""
    values = [v or 0 for _, v in items]
    top = max(values, default=0) or 1
    n = max(len(items), 1)
    slot = (WIDTH - 40) / n
    bars = []
    for i, (label, value) in enumerate(items):
        h = round((value or 0) / top * BAR_AREA, 1)
        bars.append({"x": round(30 + i * slot + slot * 0.15, 1), "w": round(slot * 0.7, 1),
                     "y": round(20 + BAR_AREA - h, 1), "h": h, "label": label,
                     "value": "–" if value is None else f"{value:g}{unit}",
                     "cx": round(30 + i * slot + slot / 2, 1)})
    return {"width": WIDTH, "height": BAR_AREA + 60, "base": 20 + BAR_AREA, "bars": bars}


def shares(items: list[tuple[str, float]]) -> dict[str, Any]:
    """Horizontal bars of a share 0..1 (terms met per step)."""
    row = 26
    label_w = 190
    span = WIDTH - label_w - 60
    bars = [{"y": 10 + i * row, "label": label, "w": round(share * span, 1),
             "x": label_w, "value": f"{round(share * 100)}%", "tx": label_w + span + 8}
            for i, (label, share) in enumerate(items)]
    return {"width": WIDTH, "height": 20 + row * max(len(items), 1), "span": span,
            "x": label_w, "bars": bars}
