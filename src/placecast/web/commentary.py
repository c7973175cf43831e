"""Commentary written in the pages: a paragraph for each report section and each indicator, by quarter.

Every paragraph is kept in the store (append-only versions, the newest per subject in effect). The quarter's
commentary file, which the report reads (``Folder.commentary_file``), is written from the store's paragraphs
of that quarter alone, so a new quarter starts without last quarter's words (it had shown them as
the new quarter's). Sections are written by the role that owns their page: the outturn and costs by finance,
the children and the model by analysts, and so on (:data:`SECTION_PERMISSION`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import yaml
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from placecast.outputs import write_whole
from placecast.store.workspace import CommentaryRow
from placecast.web import workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import log, need, state
from placecast.web.views import SECTIONS

router = APIRouter()
LIMIT = 4000  # characters in a paragraph (the store's column)
SECTION_PERMISSION = {"children": "data", "model": "data", "quality": "data", "outturn": "money", "costs": "money",
                      "programme": "money", "beds": "money", "indicators": "indicators", "benchmark": "indicators"}


def in_effect(engine: Engine, council_id: int, quarter: str) -> dict[str, str]:
    """The newest paragraph written for each subject (``section:<id>``, ``indicator:<id>``) of the quarter."""
    with Session(engine) as s:
        rows = s.scalars(select(CommentaryRow).where(CommentaryRow.council_id == council_id,
                                                     CommentaryRow.quarter == quarter).order_by(CommentaryRow.id))
        return {r.subject: r.text for r in rows}


def keep(engine: Engine, f: workspace.Folder, council_id: int, quarter: str, subject: str, text: str, by: str
         ) -> None:
    """Store a paragraph and write the quarter's commentary file with the store's paragraphs of the quarter
    over what it holds (whole, atomically; an empty paragraph removes its subject)."""
    with Session(engine) as s, s.begin():
        s.add(CommentaryRow(council_id=council_id, quarter=quarter, subject=subject, text=text, written_by=by,
                            written_at=datetime.now(UTC)))
    path = f.commentary_file(quarter)
    held = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}) if path.exists() else {}
    data = {part: dict(held.get(part) or {}) for part in ("sections", "indicators")}
    for key, paragraph in in_effect(engine, council_id, quarter).items():
        kind, _, ident = key.partition(":")
        part = data.get(f"{kind}s")
        if part is not None and paragraph:
            part[ident] = paragraph
        elif part is not None:
            part.pop(ident, None)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_whole(path, yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8"))


def section_rows(ctx: dict, page: str, written: dict[str, str]) -> list[dict]:
    """The page's report sections with the paragraph in effect (of those ``written``, :func:`in_effect`), for
    those the user may write."""
    titles = {s.id: s.title for s in ctx["report"].sections}
    return [{"id": ident, "label": titles[ident], "commentary": written.get(f"section:{ident}", "")}
            for ident in SECTIONS.get(page, ()) if ident in titles and ident in SECTION_PERMISSION
            and ctx["user"].may(SECTION_PERMISSION[ident])]


def indicator_rows(ctx: dict, written: dict[str, str]) -> list[dict]:
    """Each indicator's id and name with the commentary in effect (of those ``written``, :func:`in_effect`)."""
    rated = ctx["report"].results.indicators.rated
    rows = []
    for r in rated.to_dict("records"):
        ident = str(r.get("id", r.get("indicator", "")))
        rows.append({"id": ident, "label": r.get("name", ident), "commentary": written.get(f"indicator:{ident}", "")})
    return rows


def _paragraph(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > LIMIT:  # the form stops at 4,000; cut here, the end of a paragraph would be lost unseen
        raise HTTPException(400, "The commentary is longer than 4,000 characters: shorten it and save it again.")
    return text


def _kept(request: Request, slug: str, ctx: dict, user: SignedIn, subject: str, text: str, back: str) -> Response:
    """Keep the paragraph for ``subject`` (audited), then go ``back`` to it."""
    from placecast.web import jobs

    text = _paragraph(text)
    st = state(request)
    f = workspace.folder(st.settings.data_dir, slug)
    keep(st.engine, f, ctx["council"].id, ctx["quarter"], subject, text, user.username)
    log(request, user.username, "commentary changed", f"{subject.replace(':', ' ')} ({len(text)} characters)", slug)
    jobs.submit(st.pool, st.settings, st.engine, ctx["council"].id, "commentary", user.username,
                {"quarter": ctx["quarter"]}, "the pages' commentary")  # the pages show it once laid out
    return RedirectResponse(back, status_code=303)


@router.post("/c/{slug}/indicators/commentary")
def write_indicator(request: Request, slug: str, indicator: str = Form(...), text: str = Form(""),
                    user: SignedIn = Depends(need("indicators"))) -> Response:
    """Keep an indicator's paragraph for the quarter's report."""
    from placecast.web.pages import guarded

    ctx = guarded(request, slug, user, "indicators")
    known = {r["id"] for r in indicator_rows(ctx, {})} if ctx["report"] else set()
    if indicator not in known:
        raise HTTPException(404, "No such indicator.")
    return _kept(request, slug, ctx, user, f"indicator:{indicator}", text, f"/c/{slug}/indicators#i-{indicator}")


@router.post("/c/{slug}/commentary/section")
def write_section(request: Request, slug: str, section: str = Form(...), text: str = Form(""),
                  user: SignedIn = Depends(need("view"))) -> Response:
    """Keep a report section's paragraph for the quarter's report (by the role that owns its page)."""
    from placecast.web.pages import guarded

    page = next((p for p, ids in SECTIONS.items() if section in ids), None)
    if page is None or section not in SECTION_PERMISSION:
        raise HTTPException(404, "No such section.")
    if not user.may(SECTION_PERMISSION[section]):
        raise HTTPException(403, f"Your role ({user.role}) may not write this section's commentary.")
    ctx = guarded(request, slug, user, page)
    if not ctx["report"]:
        raise HTTPException(400, "The quarter has not been computed yet: its commentary is written once it has.")
    return _kept(request, slug, ctx, user, f"section:{section}", text, f"/c/{slug}/{page}#s-{section}")
