"""Report sections as page fragments: the report's own table and chart renderings, so that a page shows
exactly the report's figures, with the chart specifications collected for the page's chart script."""

from __future__ import annotations

import json
from html import escape

from markupsafe import Markup

from placecast.report.html import chart_html, table_html
from placecast.report.model import Chart, Report, Section, Table, Text, display

SECTIONS = {  # page -> report sections, in order
    "forecast": ("children", "model"),
    "money": ("outturn", "costs", "appendix"),
    "programme": ("programme", "beds"),
    "indicators": ("indicators", "benchmark"),
    "data": ("quality",),
}


class Fragments:
    """Sections rendered for one page; ``specs`` holds each chart's Vega-Lite specification by element id."""

    def __init__(self) -> None:
        self.specs: dict[str, dict] = {}

    def section(self, s: Section, level: int = 2) -> Markup:
        """One report section as HTML: its tables and charts as the report renders them."""
        parts = [f'<section id="{escape(s.id)}" aria-labelledby="h-{escape(s.id)}">',
                 f'<h{level} id="h-{escape(s.id)}">{escape(s.title)}</h{level}>']
        if s.intro:
            parts.append(f'<p class="commentary">{escape(s.intro)}</p>')
        for b in s.blocks:
            if isinstance(b, Table):
                parts.append(f'<div class="table-wrap" tabindex="0" role="region" aria-label="{escape(b.title)}">'
                             f"{table_html(b)}</div>")
            elif isinstance(b, Chart):
                parts.append(chart_html(b, True))
                self.specs[f"c-{b.name}"] = {**b.spec, "description": b.alt}
            elif isinstance(b, Text):
                cls = f' class="{escape(b.css)}"' if b.css else ""
                parts += [f"<p{cls}>{escape(p)}</p>" for p in b.paragraphs]
        parts.append("</section>")
        return Markup("".join(parts))  # every value above is escaped

    def page(self, report: Report, page: str) -> list[Markup]:
        """The page's sections that the report has."""
        ids = SECTIONS[page]
        return [self.section(s) for i in ids for s in report.sections if s.id == i]

    def specs_json(self) -> Markup:
        """The specifications as JSON for a ``<script type="application/json">`` (never executed)."""
        return Markup(json.dumps(self.specs, default=str).replace("</", "<\\/"))


def headline(report: Report) -> list[tuple[str, str, str]]:
    """The headline figures as displayed: label, value, note."""
    return [(f.label, display(f.value, f.kind), f.note) for f in report.headline]
