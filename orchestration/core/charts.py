"""Small SVG bar charts, for places people would rather look than read (Dagster metadata)."""

from __future__ import annotations

from html import escape


def bar_chart(title: str, labels: list[str], values: list[int], width: int = 720, height: int = 300) -> str:
    """A labelled vertical bar chart as an SVG document."""
    if len(labels) != len(values):
        raise ValueError("one label per value")
    top, bottom, left, right = 36, 64, 56, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(values, default=0) or 1
    slot = plot_w / max(len(values), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end">{peak:,}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end">0</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        bar_h = plot_h * value / peak
        x = left + i * slot + slot * 0.15
        parts.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{slot * 0.7:.1f}" height="{bar_h:.1f}" '
            f'fill="#2f6f9f"><title>{escape(label)}: {value:,}</title></rect>'
        )
        cx = x + slot * 0.35
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 12}" text-anchor="end" '
            f'transform="rotate(-45 {cx:.1f} {top + plot_h + 12})">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
