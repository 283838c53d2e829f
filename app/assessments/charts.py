"""Geometry for the bulletin's SVG charts, which print sharply at any size."""

from decimal import Decimal

PALETTE = [
    "#0b4f8a",
    "#b00020",
    "#1e6b2e",
    "#7a4b00",
    "#6a1b9a",
    "#00695c",
    "#ad1457",
    "#37474f",
    "#e65100",
    "#283593",
]
SEVERITY_COLOURS = {"general": "#7da7d9", "major": "#e0a030", "critical": "#b00020"}


def trend_chart(trend: dict, width: int = 640, height: int = 260) -> dict:
    """Polylines of each contractor's overall score over the months."""
    months = trend["months"]
    values = [Decimal(v) for row in trend["series"].values() for v in row if v is not None]
    low = min([Decimal(80), *values]) // 5 * 5
    left, right, top, bottom = 44, 12, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(months) - 1)

    def y(value: Decimal) -> float:
        return top + plot_h * float((Decimal(100) - value) / (Decimal(100) - low or 1))

    lines = []
    for index, (name, row) in enumerate(sorted(trend["series"].items())):
        points = [(left + i * step, y(Decimal(v))) for i, v in enumerate(row) if v is not None]
        lines.append(
            {
                "name": name,
                "colour": PALETTE[index % len(PALETTE)],
                "points": " ".join(f"{x:.1f},{py:.1f}" for x, py in points),
            }
        )
    ticks = [{"label": str(v), "y": round(y(Decimal(v)), 1)} for v in range(int(low), 101, 5)]
    return {
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "bottom": top + plot_h,
        "lines": lines,
        "ticks": ticks,
        "months": [
            {"label": m[5:] + "月", "x": round(left + i * step, 1)} for i, m in enumerate(months)
        ],
    }


def findings_chart(findings_by_line: dict, width: int = 640, row_height: int = 26) -> dict:
    """Stacked horizontal bars: each line's findings by severity."""
    label_w, right = 120, 40
    totals = {line: sum(counts.values()) for line, counts in findings_by_line.items()}
    most = max(totals.values(), default=1) or 1
    scale = (width - label_w - right) / most
    rows = []
    for index, (line, counts) in enumerate(
        sorted(findings_by_line.items(), key=lambda item: -totals[item[0]])
    ):
        x, parts = label_w, []
        for severity in ("critical", "major", "general"):
            length = counts.get(severity, 0) * scale
            if length:
                parts.append(
                    {
                        "x": round(x, 1),
                        "width": round(length, 1),
                        "colour": SEVERITY_COLOURS[severity],
                    }
                )
            x += length
        rows.append(
            {
                "line": line,
                "y": index * row_height,
                "parts": parts,
                "total": totals[line],
                "end": round(x + 4, 1),
            }
        )
    return {
        "width": width,
        "height": max(row_height, len(rows) * row_height),
        "rows": rows,
        "label_w": label_w,
        "colours": SEVERITY_COLOURS,
    }
