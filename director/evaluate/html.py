"""The evaluation report as one HTML file a person can read: nothing to fetch, every
picture inlined as a data URI.

The page: the film's facts; a table of every figure with its definition; per-shot bars of
each figure that has per-shot values; each per-frame series over time with the shot
boundaries marked; thumbnails of the lowest-scoring frames; and beside it all, the
storyboard's shot list. Charts are small SVG drawings made here.
"""

from __future__ import annotations

import base64
import os
from html import escape
from pathlib import Path

from director.evaluate.report import EvalReport, Figure, Series
from storyboard.errors import UserError
from storyboard.io import atomic_write_text

WIDTH = 760
COLOURS = {"frame_consistency": "#3b7dd8", "clipsim": "#d8703b", "psnr": "#4a9a5b",
           "ssim": "#8a5bb0", "entity_consistency": "#b03b6a", "layout_adherence": "#6a6a6a"}
TITLES = {"frame_consistency": "Frame consistency", "clipsim": "CLIPSIM (frame vs prompt)",
          "psnr": "PSNR (dB)", "ssim": "SSIM", "entity_consistency": "Entity consistency",
          "layout_adherence": "Layout adherence", "fvd": "FVD"}


def _svg_uri(svg: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{data}"


def _number(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.{digits}f}"


def _svg(width: int, height: int, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
            f' viewBox="0 0 {width} {height}" font-family="DejaVu Sans, sans-serif"'
            f' font-size="11">{"".join(body)}</svg>')


def shot_bars(name: str, figure: Figure) -> str:
    """Horizontal bars, one per shot, of a figure's per-shot values (an SVG)."""
    rows = list(figure.per_shot.items())
    values = [v for _, v in rows if v is not None]
    low = min([0.0, *values])
    high = max([1.0 if name != "psnr" else 0.0, *values]) or 1.0
    label, bar_width, row = 90, WIDTH - 170, 18
    body = [f'<text x="0" y="12" font-weight="bold">{escape(TITLES.get(name, name))}'
            f' per shot</text>']
    for i, (shot, value) in enumerate(rows):
        y = 22 + i * row
        body.append(f'<text x="{label - 6}" y="{y + 12}" text-anchor="end">{escape(shot)}'
                    f'</text>')
        if value is not None:
            x0 = label + bar_width * (0 - low) / (high - low)
            x1 = label + bar_width * (value - low) / (high - low)
            body.append(f'<rect x="{min(x0, x1):.1f}" y="{y + 2}" width="{abs(x1 - x0):.1f}"'
                        f' height="{row - 5}" fill="{COLOURS.get(name, "#555")}"/>')
        body.append(f'<text x="{label + bar_width + 6}" y="{y + 12}">{_number(value)}</text>')
    return _svg(WIDTH, 30 + len(rows) * row, body)


def over_time(name: str, series: Series, report: EvalReport) -> str:
    """A per-frame series over film frames, shot boundaries as dashed lines (an SVG)."""
    left, top, plot_w, plot_h = 48, 22, WIDTH - 60, 150
    values = series.values or [0.0]
    low, high = min(values), max(values)
    if high - low < 1e-6:
        low, high = low - 0.5, high + 0.5
    span = max(1, report.frames - 1)

    def x(frame: float) -> float:
        return left + plot_w * frame / span

    def y(value: float) -> float:
        return top + plot_h * (1 - (value - low) / (high - low))

    body = [f'<text x="0" y="12" font-weight="bold">{escape(TITLES.get(name, name))}'
            f' over time</text>',
            f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fafafa"'
            f' stroke="#ccc"/>']
    if report.title_frames:
        body.append(f'<rect x="{left}" y="{top}" width="{x(report.title_frames) - left:.1f}"'
                    f' height="{plot_h}" fill="#e8e8e8"/>')
    for shot in report.shots:
        body.append(f'<line x1="{x(shot.start):.1f}" y1="{top}" x2="{x(shot.start):.1f}"'
                    f' y2="{top + plot_h}" stroke="#999" stroke-dasharray="3,3"/>')
        body.append(f'<text x="{x(shot.start) + 2:.1f}" y="{top + 10}" fill="#666"'
                    f' font-size="9">{escape(shot.id)}</text>')
    points = " ".join(f"{x(f):.1f},{y(v):.1f}" for f, v in zip(series.frames, series.values,
                                                              strict=True))
    if points:
        body.append(f'<polyline points="{points}" fill="none" stroke-width="1.4"'
                    f' stroke="{COLOURS.get(name, "#555")}"/>')
    for value in (low, high):
        body.append(f'<text x="{left - 4}" y="{y(value) + 4:.1f}" text-anchor="end">'
                    f'{_number(value, 2)}</text>')
    body.append(f'<text x="{left}" y="{top + plot_h + 14}">frame 0</text>')
    body.append(f'<text x="{left + plot_w}" y="{top + plot_h + 14}" text-anchor="end">'
                f'frame {report.frames - 1}</text>')
    return _svg(WIDTH, top + plot_h + 20, body)


def _figure_rows(report: EvalReport) -> str:
    rows = []
    for name, figure in report.figures.items():
        details = ", ".join(f"{escape(str(k))} {_number(v)}" for k, v in figure.details.items())
        rows.append(f"<tr><td><b>{escape(TITLES.get(name, name))}</b></td>"
                    f"<td class=num>{_number(figure.value)}</td>"
                    f"<td>{escape(figure.definition)}<br><small>{details}</small></td></tr>")
    for name, reason in report.not_computed.items():
        rows.append(f"<tr class=missing><td><b>{escape(TITLES.get(name, name))}</b></td>"
                    f"<td class=num>–</td><td>{escape(reason)}</td></tr>")
    return "".join(rows)


def _lowest(report: EvalReport) -> str:
    groups: dict[str, list[str]] = {}
    for low in report.lowest:
        groups.setdefault(low.figure, []).append(
            f'<figure><img src="{low.thumbnail}" alt="frame {low.frame}">'
            f"<figcaption>{_number(low.value)} · frame {low.frame}"
            f"{' · ' + escape(low.shot) if low.shot else ''}</figcaption></figure>")
    return "".join(f"<h3>{escape(TITLES.get(name, name))}</h3><div class=lowest>"
                   f"{''.join(cells)}</div>" for name, cells in groups.items()
                   ) or "<p>No frames to show.</p>"


def _shot_list(report: EvalReport) -> str:
    if not report.shots:
        return "<p>No storyboard: the film is measured as one shot.</p>"
    rows = "".join(
        f"<tr><td><b>{escape(s.id)}</b></td><td class=num>{s.start}–{s.end - 1}</td>"
        f"<td>{escape(s.transition)}</td><td>{escape(s.description)}</td></tr>"
        for s in report.shots)
    return ("<table><tr><th>shot</th><th>frames</th><th>in</th><th>description</th></tr>"
            f"{rows}</table>")


STYLE = """
body { font-family: 'DejaVu Sans', sans-serif; margin: 24px; color: #222; }
main { display: grid; grid-template-columns: 780px 1fr; gap: 24px; align-items: start; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border-bottom: 1px solid #ddd; padding: 4px 6px; text-align: left;
         vertical-align: top; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tr.missing { color: #888; }
.facts { color: #555; font-size: 13px; }
.lowest { display: flex; flex-wrap: wrap; gap: 8px; }
figure { margin: 0; font-size: 12px; }
h3 { font-size: 14px; margin: 10px 0 6px; }
figure img { display: block; border: 1px solid #ccc; }
img.chart { display: block; margin: 8px 0 16px; }
aside { position: sticky; top: 12px; }
"""


def render_html(report: EvalReport) -> str:
    """The page as a string."""
    bars = "".join(f'<img class=chart src="{_svg_uri(shot_bars(n, f))}" alt="{escape(n)}">'
                   for n, f in report.figures.items() if f.per_shot)
    lines = "".join(f'<img class=chart src="{_svg_uri(over_time(n, s, report))}"'
                    f' alt="{escape(n)} over time">' for n, s in report.series.items())
    facts = (f"{escape(report.film)} · {report.frames} frames {report.width}x{report.height}"
             f" at {report.fps:g} fps · every {report.stride} frame(s) evaluated"
             f" ({report.frames_evaluated}) · CLIP {escape(report.clip_model)}"
             f" · storyboard {escape(report.storyboard or 'none')}"
             f" · reference {escape(report.reference or 'none')} · {report.seconds:.1f} s")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Evaluation of {escape(report.film)}</title>
<style>{STYLE}</style></head><body>
<h1>Evaluation</h1><p class=facts>{facts}</p>
<main><section>
<h2>Figures</h2><table><tr><th>figure</th><th>film</th><th>definition</th></tr>
{_figure_rows(report)}</table>
<h2>Per shot</h2>{bars or "<p>No shots: no storyboard given.</p>"}
<h2>Over time</h2>{lines}
<h2>Lowest-scoring frames</h2>{_lowest(report)}
</section><aside><h2>Shots</h2>{_shot_list(report)}</aside></main>
</body></html>
"""


def write_html(report: EvalReport, path: str | os.PathLike) -> Path:
    """Write the page, atomically."""
    try:
        return atomic_write_text(path, render_html(report))
    except OSError as error:
        raise UserError(f"cannot write the HTML report to {str(path)!r}:"
                        f" {error.strerror or error}") from None
