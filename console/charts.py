"""Server-rendered SVG charts for the console: no JavaScript, nothing fetched from elsewhere.

Colours are SVG presentation attributes (not inline styles), so the pages work under a strict
CSP. Every chart has a <title> and a <desc> for screen readers; the numbers are offered as CSV.
Counts get whole-number ticks; a chart with nothing to draw says so instead of drawing axes.
"""

import math

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ("#1f77b4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#525252")
INK, QUIET, GRID = "#333333", "#595959", "#dddddd"
FONT = 'font-family="system-ui, sans-serif" font-size="11"'
EMPTY = "No decisions in this period."


def _fmt(value):
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _ticks(top_value, *, integer=False, count=4):
    """Axis top and tick values: round steps (1, 2, 2.5, 5 x 10^n), whole numbers only for counts."""
    if top_value <= 0:
        return 1, [0, 1] if integer else [0, 0.5, 1]
    raw = top_value / count
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(s * magnitude for s in steps if s * magnitude >= raw)
    if integer:
        step = max(1, round(step))
    top = step * math.ceil(top_value / step)
    return top, [step * k for k in range(round(top / step) + 1)]


def _open(chart_id, title, desc, width, height):
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="console-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{t} {d}" {FONT}>',
        f'<title id="{t}">{escape(title)}</title>',
        f'<desc id="{d}">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def empty_chart(chart_id, title, message=EMPTY):
    """What a chart without data shows: a sentence, no axes, no legend."""
    out = _open(chart_id, title, message, 760, 40)
    out.append(f'<text x="8" y="24" fill="{QUIET}" font-size="13">{escape(message)}</text></svg>')
    return mark_safe("".join(out))


def _legend(names, x, y, width):
    parts, cx, cy = [], x, y
    for i, name in enumerate(names):
        label = str(name)[:32]
        w = 22 + 7 * len(label)
        if cx + w > width and cx > x:
            cx, cy = x, cy + 16
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{cx}" y="{cy - 9}" width="12" height="10" fill="{color}"/>')
        parts.append(f'<text x="{cx + 16}" y="{cy}" fill="{INK}">{escape(label)}</text>')
        cx += w
    return parts, cy


def _lines(series_values, color, x, y):
    """Polylines for the runs of known values; a value alone between gaps is a dot."""
    out, run = [], []
    for i, v in enumerate([*series_values, None]):
        if v is not None:
            run.append(f"{x(i):.1f},{y(v):.1f}")
            continue
        if len(run) == 1:
            cx, cy = run[0].split(",")
            out.append(f'<circle cx="{cx}" cy="{cy}" r="3" fill="{color}"/>')
        elif run:
            out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}"/>')
        run = []
    return out


def _x_ticks(n, wanted=6):
    return sorted({round(i * (n - 1) / (wanted - 1)) for i in range(wanted)}) if n > 1 else [0]


def line_chart(chart_id, title, desc, x_labels, series, *, y_max=None, y_suffix="", integer=False, empty=EMPTY):
    """Lines over time. `series` is [(name, [value or None per x])]; gaps break a line.

    With no value at all (or only zeros for counts) the chart is `empty_chart`.
    """
    values = [v for _, vs in series for v in vs if v is not None]
    if not values or (integer and not any(values)):
        return empty_chart(chart_id, title, empty)
    width, left, right, top, plot_h = 760, 46, 14, 12, 200
    legend, legend_bottom = _legend([n for n, _ in series], left, top + plot_h + 40, width - right)
    height = legend_bottom + 10
    if y_max is not None:
        y_top, y_ticks = y_max, [y_max * k / 4 for k in range(5)]
    else:
        y_top, y_ticks = _ticks(max(values), integer=integer)
    plot_w = width - left - right
    n = max(len(x_labels), 1)

    def x(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return top + plot_h - plot_h * (v / y_top if y_top else 0)

    out = _open(chart_id, title, desc, width, height)
    for value in y_ticks:
        yy = y(value)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="{INK}">{_fmt(value)}{y_suffix}</text>'
        )
    for i in _x_ticks(n):
        label = str(x_labels[i]) if i < len(x_labels) else ""
        out.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        )
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{INK}"/>')
    for s, (name, vs) in enumerate(series):
        out.append(f"<g><title>{escape(name)}</title>")
        out.extend(_lines(vs, PALETTE[s % len(PALETTE)], x, y))
        out.append("</g>")
    out.extend(legend)
    out.append("</svg>")
    return mark_safe("".join(out))


def small_multiples(chart_id, title, desc, x_labels, panels, *, columns=2, empty=EMPTY):
    """One small 0-100 % line chart per series, side by side on a shared scale.

    `panels` is [(heading, [value or None per x])]; each panel is headed by its own name (and
    whatever summary the caller put in the heading), so no legend is needed.
    """
    if not any(v is not None for _, vs in panels for v in vs):
        return empty_chart(chart_id, title, empty)
    width, gap, panel_h, head, foot, left = 760, 24, 90, 18, 18, 40
    rows = math.ceil(len(panels) / columns)
    panel_w = (width - gap * (columns - 1)) / columns
    height = rows * (head + panel_h + foot + 12)
    n = max(len(x_labels), 1)
    out = _open(chart_id, title, desc, width, height)
    for p, (heading, vs) in enumerate(panels):
        ox = (p % columns) * (panel_w + gap)
        oy = (p // columns) * (head + panel_h + foot + 12)
        px0, px1, py0, py1 = ox + left, ox + panel_w - 8, oy + head, oy + head + panel_h

        def x(i, px0=px0, px1=px1):
            return px0 + ((px1 - px0) * i / (n - 1) if n > 1 else (px1 - px0) / 2)

        def y(v, py0=py0, py1=py1):
            return py1 - (py1 - py0) * v / 100

        out.append(f"<g><title>{escape(heading)}</title>")
        out.append(f'<text x="{ox}" y="{oy + 12}" fill="{INK}" font-weight="600">{escape(heading)}</text>')
        for value in (0, 50, 100):
            yy = y(value)
            out.append(f'<line x1="{px0}" x2="{px1:.1f}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
            out.append(f'<text x="{px0 - 5}" y="{yy + 4:.1f}" text-anchor="end" fill="{QUIET}">{value}%</text>')
        for i in _x_ticks(n, 3):
            anchor = "start" if i == 0 else ("end" if i == n - 1 else "middle")
            out.append(
                f'<text x="{x(i):.1f}" y="{py1 + 14}" text-anchor="{anchor}" fill="{QUIET}">'
                f"{escape(str(x_labels[i]))}</text>"
            )
        if any(v is not None for v in vs):
            out.extend(_lines(vs, PALETTE[0], x, y))
        else:
            out.append(f'<text x="{px0 + 8}" y="{(py0 + py1) / 2:.1f}" fill="{QUIET}">No decisions</text>')
        out.append("</g>")
    out.append("</svg>")
    return mark_safe("".join(out))


def bar_chart(chart_id, title, desc, labels, series, *, max_value=None, suffix="", empty=EMPTY):
    """Horizontal bars, one row per label; several series are stacked. `series` is [(name, [values])]."""
    if not labels:
        return empty_chart(chart_id, title, empty)
    width, left, right, top, row_h = 760, 190, 70, 8, 24
    plot_h = len(labels) * row_h
    show_legend = len(series) > 1
    legend, legend_bottom = _legend([n for n, _ in series], left, top + plot_h + 20, width - right)
    height = (legend_bottom + 10) if show_legend else top + plot_h + 10
    totals = [sum((vs[i] or 0) for _, vs in series) for i in range(len(labels))]
    top_value = max_value if max_value is not None else _ticks(max(totals, default=0), integer=True)[0]
    plot_w = width - left - right
    out = _open(chart_id, title, desc, width, height)
    for i, label in enumerate(labels):
        yy = top + i * row_h
        out.append(
            f'<text x="{left - 8}" y="{yy + row_h / 2 + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{escape(str(label)[:30])}</text>"
        )
        offset = 0.0
        for s, (name, vs) in enumerate(series):
            value = vs[i] or 0
            w = plot_w * value / top_value if top_value else 0
            if w > 0:
                color = PALETTE[s % len(PALETTE)]
                out.append(
                    f'<rect x="{left + offset:.1f}" y="{yy + 4}" width="{w:.1f}" height="{row_h - 8}" fill="{color}">'
                    f"<title>{escape(label)}: {escape(name)} {_fmt(value)}{suffix}</title></rect>"
                )
            offset += w
        total = totals[i] if len(series) > 1 else series[0][1][i]
        out.append(
            f'<text x="{left + offset + 6:.1f}" y="{yy + row_h / 2 + 4:.1f}" fill="{INK}">{_fmt(total)}{suffix}</text>'
        )
    if show_legend:
        out.extend(legend)
    out.append("</svg>")
    return mark_safe("".join(out))
