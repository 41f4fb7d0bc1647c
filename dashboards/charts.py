"""Server-rendered SVG charts (no script, no CDN): weekly on-time rate bars with the target line."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 40, 28, 12


def rate_bars(points: list[tuple[str, float | None, str]], *, title: str, target: float | None = None) -> str:
    """Bars of rates 0-100 (label, value or None, link); a dashed line at the target when there is one."""
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = (WIDTH - PAD_LEFT) / max(1, len(points))
    bar_w = round(step * 0.6, 1)

    def y(value):
        return round(PAD_TOP + plot_h * (1 - value / 100), 1)

    grid = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" class="grid"/>'
        '<text x="{}" y="{}" class="axis" text-anchor="end">{}%</text>',
        ((PAD_LEFT, y(v), WIDTH, y(v), PAD_LEFT - 4, y(v) + 4, v) for v in (0, 50, 100)),
    )
    bars = []
    for i, (label, value, url) in enumerate(points):
        x = round(PAD_LEFT + i * step + (step - bar_w) / 2, 1)
        text = format_html(
            '<text x="{}" y="{}" class="axis" text-anchor="middle">{}</text>',
            round(x + bar_w / 2, 1),
            HEIGHT - 8,
            label,
        )
        if value is None:
            bars.append(text)
            continue
        bar = format_html(
            '<a href="{}"><rect x="{}" y="{}" width="{}" height="{}" class="bar">'
            "<title>{}: {}%</title></rect></a>"
            '<text x="{}" y="{}" class="value" text-anchor="middle">{}</text>',
            url,
            x,
            y(value),
            bar_w,
            round(PAD_TOP + plot_h - y(value), 1),
            label,
            value,
            round(x + bar_w / 2, 1),
            y(value) - 3,
            value,
        )
        bars.append(bar + text)
    line = (
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" class="target"/>',
            PAD_LEFT,
            y(target),
            WIDTH,
            y(target),
        )
        if target is not None
        else ""
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title>{}{}{}</svg>",
        WIDTH,
        HEIGHT,
        title,
        title,
        grid,
        mark_safe("".join(bars)),
        line,
    )
