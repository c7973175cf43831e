"""HTML rendering: one self-contained file (styles, chart library and data inline; nothing fetched).

The interactive version embeds the Vega libraries (from ``vl-convert-python``, which bundles them) and
each chart's static SVG, which the libraries replace with an interactive chart when scripts run; the
print version (for the PDF) has only the SVG.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from datetime import datetime
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path

from placecast.report.model import Chart, Report, Table, Text, display

RAG_CLASS = {"Red": "rag-red", "Amber": "rag-amber", "Green": "rag-green"}
DOT_CLASS = {"better": "dot-better", "worse": "dot-worse"}


@lru_cache(maxsize=64)
def _svg_cached(spec_json: str) -> str:
    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(json.loads(spec_json))
    return svg.replace('<?xml version="1.0" encoding="utf-8"?>', "")


def chart_svg(chart: Chart) -> str:
    """The chart as SVG (vector), rendered once per distinct spec (or as rendered with the report)."""
    return chart.svg or _svg_cached(json.dumps(chart.spec, sort_keys=True, default=str))


def render_charts(report: Report) -> None:
    """Render every chart of ``report`` to SVG now and keep it with the chart (done by the background job
    that makes a report, so that a page showing it never renders one)."""
    for chart in report.charts():
        if not chart.svg:
            chart.svg = chart_svg(chart)


def cache_dir() -> Path:
    """Placecast's cache folder: ``PLACECAST_CACHE_DIR``, else the user's cache folder for Placecast (on Linux
    ``~/.cache/placecast``). It holds only what can be made again (no council data)."""
    import platformdirs

    return Path(os.environ.get("PLACECAST_CACHE_DIR") or platformdirs.user_cache_dir("placecast", appauthor=False))


@lru_cache(maxsize=1)
def _bundle() -> str:
    """The Vega libraries as one script. vl-convert builds it afresh in each process (1.5-2.5 s), so the first
    build for a version of vl-convert is kept in the cache folder and later runs read it; a cache that cannot
    be read or written is built around, never an error."""
    from importlib.metadata import version

    import vl_convert as vlc

    path = cache_dir() / f"vega-bundle-{version('vl-convert-python')}.js"
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    text: str = vlc.javascript_bundle()  # type: ignore[call-arg]
    _keep(path, text.encode("utf-8"))
    return text


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all, quietly skipping a folder that cannot be written."""
    from placecast.outputs import write_whole

    with contextlib.suppress(OSError):
        write_whole(path, data)


def _css() -> str:
    return resources.files("placecast.report").joinpath("report.css").read_text(encoding="utf-8")


def _table(t: Table) -> str:
    if not t.rows:
        return f'<p class="empty"><strong>{escape(t.title)}:</strong> none.</p>'
    out = [f'<table id="t-{escape(t.name)}">', f"<caption>{escape(t.title)}</caption>", "<thead><tr>"]
    for c in t.columns:
        cls = "" if c.kind in ("text", "rag", "dot", "date") else ' class="num"'
        out.append(f'<th scope="col"{cls}>{escape(c.label)}</th>')
    out.append("</tr></thead><tbody>")
    for i, row in enumerate(t.rows):
        total = t.total_row and i == len(t.rows) - 1
        out.append('<tr class="total">' if total else "<tr>")
        for j, c in enumerate(t.columns):
            kind = t.kind(row, c)
            text = escape(display(row.get(c.key), kind))
            classes = []
            if kind not in ("text", "rag", "dot", "date") and not isinstance(row.get(c.key), str):
                classes.append("num")
            if kind == "rag":
                classes += ["rag", RAG_CLASS.get(str(row.get(c.key)), "rag-na")]
            if kind == "dot":
                classes.append(DOT_CLASS.get(str(row.get(c.key)), "dot"))
            attr = f' class="{" ".join(classes)}"' if classes else ""
            tag = "th" if j == 0 else "td"
            scope = ' scope="row"' if j == 0 else ""
            out.append(f"<{tag}{scope}{attr}>{text}</{tag}>")
        out.append("</tr>")
    out.append("</tbody></table>")
    if t.note:
        out.append(f'<p class="note">{escape(t.note)}</p>')
    return "".join(out)


def _chart(ch: Chart, interactive: bool) -> str:
    """A chart with its caption and description: inline SVG (replaced by the interactive chart when
    scripts run), or, for the PDF, the same SVG as an image with alternative text, so that the tagged
    PDF marks it as a figure with its description."""
    if interactive:
        vis = (f'<div class="vis" role="img" aria-label="{escape(ch.alt)}"><div class="embed">{chart_svg(ch)}'
               "</div></div>")
    else:
        data = base64.b64encode(chart_svg(ch).encode("utf-8")).decode("ascii")
        vis = f'<div class="vis"><img alt="{escape(ch.alt)}" src="data:image/svg+xml;base64,{data}"></div>'
    return (f'<figure class="chart" id="c-{escape(ch.name)}"><figcaption>{escape(ch.title)}</figcaption>{vis}'
            f'<p class="alt"><span class="label">Chart description:</span> {escape(ch.alt)}</p></figure>')


def render_html(report: Report, interactive: bool = True) -> str:
    """The report as one HTML document; ``interactive=False`` gives the print version for the PDF."""
    from placecast import __version__

    parts = ['<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{escape(report.council)}: {escape(report.title)}, {escape(report.quarter)}</title>",
             f"<style>{_css()}</style></head><body>",
             f'<header><p class="council">{escape(report.council)}</p><h1>{escape(report.title)}</h1>',
             f'<p class="sub">{escape(report.quarter)}: position at {report.as_at:%d %B %Y}</p></header>',
             '<nav aria-label="Contents"><h2>Contents</h2><ol><li><a href="#headline">Headline</a></li>']
    if report.warnings:
        parts.append('<li><a href="#warnings">Warnings</a></li>')
    for s in report.sections:
        parts.append(f'<li><a href="#{escape(s.id)}">{escape(s.title)}</a></li>')
    parts.append("</ol></nav><main>")
    parts.append('<section id="headline"><h2>Headline</h2><dl class="headline">')
    for f in report.headline:
        parts.append(f'<div class="figure"><dt>{escape(f.label)}</dt><dd><span class="value">'
                     f'{escape(display(f.value, f.kind))}</span> <span class="unit">{escape(f.note)}</span></dd></div>')
    parts.append("</dl></section>")
    if report.warnings:
        parts.append('<section id="warnings"><h2>Warnings</h2><ul class="warnings">')
        parts += [f"<li>{escape(w)}</li>" for w in report.warnings]
        parts.append("</ul></section>")
    specs: dict[str, dict] = {}
    for s in report.sections:
        parts.append(f'<section id="{escape(s.id)}"><h2>{escape(s.title)}</h2>')
        if s.intro:
            parts.append(f'<p class="commentary">{escape(s.intro)}</p>')
        for b in s.blocks:
            if isinstance(b, Table):
                parts.append(_table(b))
            elif isinstance(b, Chart):
                parts.append(_chart(b, interactive))
                specs[f"c-{b.name}"] = {**b.spec, "description": b.alt}  # Vega's own aria label
            elif isinstance(b, Text):
                cls = f' class="{escape(b.css)}"' if b.css else ""
                parts += [f"<p{cls}>{escape(p)}</p>" for p in b.paragraphs]
        parts.append("</section>")
    parts.append("</main><footer><h2>About this report</h2><ul>")
    parts += [f"<li>{escape(n)}</li>" for n in report.notes]
    parts.append(f"<li>Made by Placecast {escape(__version__)} on {datetime.now():%d/%m/%Y %H:%M} from one report "
                 "model: the HTML, PDF and Excel versions hold the same figures. Figures are rounded once, for "
                 "display; totals are of unrounded values.</li></ul></footer>")
    if interactive and specs:
        data = json.dumps(specs, default=str).replace("</", "<\\/")
        digest = hashlib.sha256(data.encode()).hexdigest()[:12]
        parts.append(f"<script>{_bundle()}</script>")
        parts.append(f'<script data-specs="{digest}">const placecastSpecs = {data};\n'
                     "for (const [id, spec] of Object.entries(placecastSpecs)) {\n"
                     "  const el = document.querySelector('#' + id + ' .embed');\n"
                     "  vegaEmbed(el, spec, {actions: false, renderer: 'svg'}).catch(() => {});\n"
                     "}</script>")
    parts.append("</body></html>")
    return "".join(parts)


# The same renderings for the web application's pages (one source for the report's tables and charts).
table_html = _table
chart_html = _chart
javascript_bundle = _bundle
