"""Server-side SVG charts for the dashboard: no JavaScript, nothing from a CDN.

Functions return coordinates; the template draws them, so escaping stays
Django's job.
"""

WIDTH, HEIGHT, PAD = 480, 140, 24


def line_chart(values: list[float | None], *, labels: list[str],
               reference: float | None = None) -> dict:
    """Polyline segments (None breaks the line), axis maximum and a few x labels.

    `reference` (e.g. a baseline) is a horizontal line the y axis always reaches.
    """
    known = [v for v in values if v is not None]
    top = max(known + ([reference] if reference is not None else [])) if known or reference else 0
    top = top or 1  # a flat zero line still draws
    step = (WIDTH - 2 * PAD) / max(len(values) - 1, 1)
    segments, current, dots = [], [], []
    for i, v in enumerate(values):
        if v is None:
            if current:
                segments.append(" ".join(current))
            current = []
            continue
        x = PAD + i * step
        y = HEIGHT - PAD - (v / top) * (HEIGHT - 2 * PAD)
        current.append(f"{x:.1f},{y:.1f}")
        dots.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "value": v, "label": labels[i]})
    if current:
        segments.append(" ".join(current))
    ticks = [{"x": f"{PAD + i * step:.1f}", "label": labels[i]}
             for i in range(0, len(values), max(len(values) // 6, 1))]
    ref_y = (None if reference is None
             else f"{HEIGHT - PAD - (reference / top) * (HEIGHT - 2 * PAD):.1f}")
    return {"reference": reference, "reference_y": ref_y,
            "width": WIDTH, "height": HEIGHT, "pad": PAD, "segments": segments, "dots": dots,
            "max": known and max(known), "empty": not known, "ticks": ticks,
            "baseline": HEIGHT - PAD, "right": WIDTH - PAD}
