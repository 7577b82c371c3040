"""Server-rendered SVG charts for the console: no JavaScript, nothing fetched from elsewhere.

Colours are SVG presentation attributes (not inline styles), so the pages work under a strict
CSP. Every chart has a <title> and a <desc> for screen readers; the numbers are offered as CSV.
"""

from django.utils.html import escape
from django.utils.safestring import mark_safe

PALETTE = ("#1f77b4", "#d95f02", "#1b9e77", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#525252")
INK, GRID, FONT = "#333333", "#dddddd", 'font-family="system-ui, sans-serif" font-size="11"'


def _fmt(value):
    if value is None:
        return ""
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _nice_max(value):
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _open(chart_id, title, desc, width, height):
    t, d = f"{chart_id}-title", f"{chart_id}-desc"
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{escape(chart_id)}" class="console-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="100%" aria-labelledby="{t} {d}" {FONT}>',
        f'<title id="{t}">{escape(title)}</title>',
        f'<desc id="{d}">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]


def _legend(names, x, y, width):
    parts, cx, cy = [], x, y
    for i, name in enumerate(names):
        label = str(name)[:28]
        w = 22 + 7 * len(label)
        if cx + w > width and cx > x:
            cx, cy = x, cy + 16
        color = PALETTE[i % len(PALETTE)]
        parts.append(f'<rect x="{cx}" y="{cy - 9}" width="12" height="10" fill="{color}"/>')
        parts.append(f'<text x="{cx + 16}" y="{cy}" fill="{INK}">{escape(label)}</text>')
        cx += w
    return parts, cy


def line_chart(chart_id, title, desc, x_labels, series, *, y_max=None, y_suffix=""):
    """Lines over days. `series` is [(name, [value or None per x])]; gaps break a line."""
    width, left, right, top, plot_h = 760, 46, 14, 12, 200
    legend, legend_bottom = _legend([n for n, _ in series], left, top + plot_h + 40, width - right)
    height = legend_bottom + 10
    values = [v for _, vs in series for v in vs if v is not None]
    y_top = y_max if y_max is not None else _nice_max(max(values, default=0))
    plot_w = width - left - right
    n = max(len(x_labels), 1)

    def x(i):
        return left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)

    def y(v):
        return top + plot_h - plot_h * (v / y_top if y_top else 0)

    out = _open(chart_id, title, desc, width, height)
    for k in range(5):
        value = y_top * k / 4
        yy = y(value)
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{yy:.1f}" y2="{yy:.1f}" stroke="{GRID}"/>')
        out.append(
            f'<text x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end" fill="{INK}">{_fmt(value)}{y_suffix}</text>'
        )
    ticks = sorted({round(i * (n - 1) / 5) for i in range(6)}) if n > 1 else [0]
    for i in ticks:
        label = str(x_labels[i]) if i < len(x_labels) else ""
        out.append(
            f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="{INK}">{escape(label)}</text>'
        )
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="{INK}"/>')
    for s, (name, vs) in enumerate(series):
        color = PALETTE[s % len(PALETTE)]
        segment = []
        segments = []
        for i, v in enumerate(vs):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
            else:
                segment.append(f"{x(i):.1f},{y(v):.1f}")
        if segment:
            segments.append(segment)
        out.append(f"<g><title>{escape(name)}</title>")
        for seg in segments:
            if len(seg) == 1:
                cx, cy = seg[0].split(",")
                out.append(f'<circle cx="{cx}" cy="{cy}" r="2.5" fill="{color}"/>')
            else:
                out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(seg)}"/>')
        out.append("</g>")
    out.extend(legend)
    out.append("</svg>")
    return mark_safe("".join(out))


def bar_chart(chart_id, title, desc, labels, series, *, max_value=None, suffix=""):
    """Horizontal bars, one row per label; several series are stacked. `series` is [(name, [values])]."""
    width, left, right, top, row_h = 760, 190, 70, 8, 24
    rows = max(len(labels), 1)
    plot_h = rows * row_h
    show_legend = len(series) > 1
    legend, legend_bottom = _legend([n for n, _ in series], left, top + plot_h + 20, width - right)
    height = (legend_bottom + 10) if show_legend else top + plot_h + 10
    totals = [sum((vs[i] or 0) for _, vs in series) for i in range(len(labels))]
    top_value = max_value if max_value is not None else _nice_max(max(totals, default=0))
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
    if not labels:
        out.append(f'<text x="{left}" y="{top + 16}" fill="{INK}">No data in this period.</text>')
    if show_legend:
        out.extend(legend)
    out.append("</svg>")
    return mark_safe("".join(out))
