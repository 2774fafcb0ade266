"""Server-side SVG charts (no script, no CDN): simple enough to read at a glance, with the numbers in the
accessible table the page puts beside each one. Values are escaped by building the SVG with markupsafe."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 640, 220, 36


def _scale(values: Sequence[float]) -> float:
    top = max([v for v in values if v is not None] or [0.0])
    return top if top > 0 else 1.0


def bar_chart(points: Sequence[tuple[str, float]], *, title: str, color: str = "#2f6db5", dates: bool = False
              ) -> Markup:
    """Vertical bars, one per (label, value); date labels are shortened to MM-DD and thinned out."""
    top = _scale([v for _, v in points])
    step = (WIDTH - 2 * PAD) / max(len(points), 1)
    every = max(1, len(points) // 8) if dates else 1
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>',
             f'<text x="{PAD - 4}" y="{PAD}" text-anchor="end" class="axis">{top:g}</text>']
    for i, (label, value) in enumerate(points):
        height = (HEIGHT - 2 * PAD) * (value or 0) / top
        x = PAD + i * step + step * 0.15
        parts.append(f'<rect x="{x:.1f}" y="{HEIGHT - PAD - height:.1f}" width="{step * 0.7:.1f}" '
                     f'height="{height:.1f}" fill="{color}"><title>{escape(label)}: {value:g}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step * 0.35:.1f}" y="{HEIGHT - PAD + 14}" text-anchor="middle" '
                         f'class="axis">{escape(label[-5:] if dates else label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bars(points: Sequence[tuple[str, float | None]], *, title: str) -> Markup:
    """Horizontal bars of ratios (0–1), one row per label, with the percentage written at the end."""
    row = 26
    height = row * max(len(points), 1) + 10
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}">',
             f'<title>{escape(title)}</title>']
    for i, (label, share) in enumerate(points):
        y = 5 + i * row
        width = (WIDTH - 300) * (share or 0.0)
        text = "no data" if share is None else f"{share:.0%}"
        parts.append(f'<text x="0" y="{y + 16}" class="axis">{escape(label)}</text>'
                     f'<rect x="220" y="{y + 4}" width="{WIDTH - 300}" height="16" fill="#e6e9ef"/>'
                     f'<rect x="220" y="{y + 4}" width="{width:.1f}" height="16" fill="#2e8540"/>'
                     f'<text x="{WIDTH - 72}" y="{y + 16}" class="axis">{text}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
