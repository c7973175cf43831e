"""Report sections as page fragments: the report's own table and chart renderings, so that a page shows
exactly the report's figures, with the chart specifications collected for the page's chart script."""

from __future__ import annotations

import json
import threading
import weakref
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


Rendered = tuple[list[Markup], dict[str, dict], Markup]  # a page's sections, chart specifications and their JSON
_RENDERED: dict[int, tuple[weakref.ref, dict[str, Rendered]]] = {}  # id of a report -> the report, its pages
_RENDERED_LOCK = threading.Lock()


def _rendered_pages(report: Report) -> dict[str, Rendered]:
    """The pages rendered from ``report`` so far (the newest 16 reports are kept; the caller holds the lock)."""
    found = _RENDERED.get(id(report))
    if found is None or found[0]() is not report:  # (a report no longer held may have left its id to another)
        while len(_RENDERED) >= 16:
            _RENDERED.pop(next(iter(_RENDERED)))
        found = _RENDERED[id(report)] = (weakref.ref(report), {})
    return found[1]


class Fragments:
    """Sections rendered for one page; ``specs`` holds each chart's Vega-Lite specification by element id.

    A report model is not changed once made (a new computation is a new model), so a page's sections are
    rendered once for each report and shared by every request that shows them."""

    def __init__(self) -> None:
        self.specs: dict[str, dict] = {}
        self._json: Markup | None = None

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
                self._json = None
            elif isinstance(b, Text):
                cls = f' class="{escape(b.css)}"' if b.css else ""
                parts += [f"<p{cls}>{escape(p)}</p>" for p in b.paragraphs]
        parts.append("</section>")
        return Markup("".join(parts))  # every value above is escaped

    def page(self, report: Report, page: str) -> list[Markup]:
        """The page's sections that the report has (rendered once for each report and page)."""
        with _RENDERED_LOCK:
            done = _rendered_pages(report).get(page)
        if done is None:
            fresh = Fragments()
            sections = [fresh.section(s) for i in SECTIONS[page] for s in report.sections if s.id == i]
            done = (sections, fresh.specs, fresh.specs_json())
            with _RENDERED_LOCK:
                _rendered_pages(report)[page] = done
        self._json = done[2] if not self.specs else None  # this page's specifications alone: their JSON as made
        self.specs.update(done[1])
        return list(done[0])

    def specs_json(self) -> Markup:
        """The specifications as JSON for a ``<script type="application/json">`` (never executed)."""
        if self._json is None:
            self._json = Markup(json.dumps(self.specs, default=str).replace("</", "<\\/"))
        return self._json


def headline(report: Report) -> list[tuple[str, str, str]]:
    """The headline figures as displayed: label, value, note."""
    return [(f.label, display(f.value, f.kind), f.note) for f in report.headline]
