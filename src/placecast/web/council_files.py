"""The council's own files beside the returns and the budget (:data:`~placecast.web.workspace.COUNCIL_FILE`):
indicator definitions and targets, values of indicators from other systems and RAG rules (indicators page),
the recovery plan and scenario (programme page), unit costs and the commitments register (money page) and the
placement taxonomy (data page: the returns are assembled again with it). Without them the quarter uses
Placecast's built-in examples and says so; with them it is the council's own.

An upload is checked at once by the library's reader for that file (every problem shown, located, by the
upload field); the quarter is then computed with it in the background, and it replaces the file in effect only
once that has worked (a failed quarter changes nothing). Each change and download is audited.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import council_of, log, need, state
from placecast.web.pages import section_page
from placecast.web.uploads import stage_checked
from placecast.web.workspace import COUNCIL_FILE, TAXONOMY, CouncilFile, Folder

router = APIRouter()
MEDIA = {".csv": "text/csv", ".yaml": "application/yaml",
         ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def file_rows(request: Request, slug: str, page: str, user: SignedIn) -> list[dict]:
    """The council files uploaded on ``page``: each with whether the council's own is in effect (and since
    when), and whether this user may replace and download it."""
    f = workspace.folder(state(request).settings.data_dir, slug)
    rows = []
    for c in (c for c in COUNCIL_FILE.values() if c.page == page):
        own = f.own_file(c.key)
        since = datetime.fromtimestamp(own.stat().st_mtime, UTC).strftime("%d/%m/%Y") if own else ""
        rows.append({"kind": c.kind, "title": c.title, "what": c.what, "without": c.without, "own": own is not None,
                     "since": since, "may": user.may(c.permission), "accept": ",".join(c.suffixes),
                     "download": user.may(c.permission), "example": c.builtin is not None,
                     "hint": ("The returns are assembled again with it in the background" if c is TAXONOMY else
                              "The quarter is computed with it in the background") + "; it is kept only if that "
                             "works."})
    return rows


def _council_file(kind: str, user: SignedIn) -> CouncilFile:
    """The council file ``kind`` (404 for none), which ``user`` must be allowed to change (403)."""
    if kind not in COUNCIL_FILE:
        raise HTTPException(404, "No such file.")
    c = COUNCIL_FILE[kind]
    if not user.may(c.permission):
        raise HTTPException(403, f"Your role ({user.role}) may not change the {c.title.lower()}. Ask an "
                                 "administrator if you need to.")
    return c


def _refused(request: Request, slug: str, user: SignedIn, c: CouncilFile, problems: list[str]) -> Response:
    return section_page(request, slug, c.page, user, status=400, file_errors={c.kind: problems})


def _check(c: CouncilFile, path: Path, f: Folder, request: Request, slug: str) -> None:
    """Read ``path`` with the library's reader for ``c``: its problems are raised, located. Unit costs are
    kept as the YAML file the money page's form edits, whichever way they came."""
    if c.key == "unit_costs":
        from placecast.finance.unit_costs import unit_costs_file, unit_costs_yaml

        path.write_text(unit_costs_yaml(unit_costs_file(path)), encoding="utf-8")
    elif c.key == "taxonomy":
        from placecast.ssda903.taxonomy import load_taxonomy

        load_taxonomy(path)
    elif c.key == "indicators":
        from placecast.kpi import read_definitions

        read_definitions(path)
    elif c.key == "values":  # their ids are checked against the definitions when the quarter is computed
        from placecast.kpi import read_values

        read_values(path)
    elif c.key == "rules":
        from placecast.kpi.rag import load_rules

        load_rules(path)
    elif c.key == "plan":
        from placecast.programme import read_plan

        read_plan(path)
    elif c.key == "scenario":
        from placecast.programme.scenario import read_scenario

        read_scenario(path)
    else:
        from placecast.finance import read_commitments
        from placecast.ssda903.pseudonym import read_key_file
        from placecast.web.costs import current_model

        key = read_key_file(f.key_file) if f.key_file.exists() else None
        read_commitments(path, list(current_model(request, slug).costs), key)


def _stage(request: Request, slug: str, user: SignedIn, c: CouncilFile, upload: UploadFile) -> Path | Response:
    """The upload, checked by the library, staged beside the workspace under the name it will be kept by; or
    the page listing its problems (nothing kept)."""
    name = Path(upload.filename or "").name
    suffix = Path(name).suffix.lower()
    data = upload.file.read()
    kinds = " or ".join(s for s in c.suffixes if s != ".yml")
    if suffix not in c.suffixes:
        start = "the built-in example" if c.builtin else "the empty table with its columns"
        return _refused(request, slug, user, c, [f"{name or 'The file'} is not a {kinds} file: the {c.title.lower()} "
                                                 f"is a {kinds} file (download {start} to start from)."])
    kept_as = ".yaml" if suffix == ".yml" or c.key == "unit_costs" else suffix
    if suffix == ".xlsx" and not data.startswith(b"PK"):
        return _refused(request, slug, user, c, [f"{name} is not an Excel workbook (.xlsx)."])
    if suffix != ".xlsx":
        try:
            data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return _refused(request, slug, user, c, [f"{name} is not a text file in UTF-8 (save it as 'CSV UTF-8', "
                                                     "or from a text editor as UTF-8)."])
    f = workspace.folder(state(request).settings.data_dir, slug)
    staged, problems = stage_checked(f.root, f"{c.key}-", suffix, data, name,
                                     lambda path: _check(c, path, f, request, slug))
    if staged is None:
        return _refused(request, slug, user, c, problems)
    return staged.rename(staged.with_suffix(kept_as))


def _use(request: Request, slug: str, user: SignedIn, c: CouncilFile, staged: Path | None, said: str) -> Response:
    """Compute the quarter with the staged file (None: without the council's own), keeping it only if that
    works; a workspace without a quarter yet keeps it at once."""
    council = council_of(request, slug, user)
    st = state(request)
    f = workspace.folder(st.settings.data_dir, slug)
    if c is TAXONOMY and f.returns.is_dir() and any(f.returns.iterdir()):  # the returns assembled again with it
        job = jobs.submit(st.pool, st.settings, st.engine, council.id, "ingest", user.username,
                          {"taxonomy": staged.name if staged else ""}, "placement taxonomy changed")
        log(request, user.username, "council file changed", f"{c.title}: {said} (job {job.id}; kept when the "
            "returns have been assembled with it)", slug)
        return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)
    if c is TAXONOMY or not f.settings_file.exists() or f.budget() is None or not (f.history / "manifest.json"
                                                                                   ).exists():
        jobs.keep_council_files(f, {c.key: staged})
        log(request, user.username, "council file changed", f"{c.title}: {said} (no quarter yet)", slug)
        return RedirectResponse(f"/c/{slug}/{c.page}#h-file-{c.kind}", status_code=303)
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "quarter", user.username,
                      {"file_key": c.key, "file": staged.name if staged else ""}, f"{c.title.lower()} changed")
    log(request, user.username, "council file changed", f"{c.title}: {said} (job {job.id}; kept when it succeeds)",
        slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)


@router.post("/c/{slug}/files/{kind}")
def upload_council_file(request: Request, slug: str, kind: str, file: UploadFile = File(...),
                        user: SignedIn = Depends(need("view"))) -> Response:
    """Check the council's file with the library at once, then compute the quarter with it."""
    c = _council_file(kind, user)
    council_of(request, slug, user)
    staged = _stage(request, slug, user, c, file)
    if isinstance(staged, Response):
        return staged
    return _use(request, slug, user, c, staged, f"{Path(file.filename or '').name} uploaded")


@router.post("/c/{slug}/files/{kind}/remove")
def remove_council_file(request: Request, slug: str, kind: str, user: SignedIn = Depends(need("view"))) -> Response:
    """Stop using the council's own file: the quarter is computed without it, as it says."""
    c = _council_file(kind, user)
    council_of(request, slug, user)
    if workspace.folder(state(request).settings.data_dir, slug).own_file(c.key) is None:
        return RedirectResponse(f"/c/{slug}/{c.page}#h-file-{c.kind}", status_code=303)
    return _use(request, slug, user, c, None, "the council's own file no longer used")


@router.get("/c/{slug}/files/{kind}")
def download_council_file(request: Request, slug: str, kind: str, user: SignedIn = Depends(need("view"))
                          ) -> Response:
    """The council's file in effect, or the built-in example to start from."""
    from placecast.quarter.config import builtin_file

    c = _council_file(kind, user)
    council_of(request, slug, user)
    path = workspace.folder(state(request).settings.data_dir, slug).own_file(c.key)
    log(request, user.username, "export", c.title.lower(), slug)
    if path is None and c.builtin is None:  # a table of its own: its columns, to fill in
        return Response(",".join(_columns(c)) + "\n", media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="{slug}-{c.key}.csv"'})
    path = path or builtin_file(f"builtin:{c.builtin}")
    return FileResponse(path, media_type=MEDIA.get(path.suffix, "application/octet-stream"),
                        filename=f"{slug}-{c.key}{path.suffix}")


def _columns(c: CouncilFile) -> list[str]:
    """The columns of a council file that is a table of the council's own (no example to start from)."""
    from placecast.finance.files import CommitmentRow
    from placecast.kpi.files import IndicatorValuesRow

    return list((CommitmentRow if c.key == "commitments" else IndicatorValuesRow).model_fields)
