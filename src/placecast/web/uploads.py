"""Data and money: uploading returns (validated and assembled in the background; a failed ingest changes
nothing), the findings (child-level: analyst and admin only, each view audited), the Excel error report,
and the budget workbook (checked at once, every problem shown by the upload field)."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException

from placecast.errors import LocatedInputError, PlacecastError
from placecast.web import jobs, workspace
from placecast.web.accounts import SignedIn
from placecast.web.app import council_of, log, need, state
from placecast.web.pages import section_page

router = APIRouter()
CSV_NAME = re.compile(r"^[A-Za-z0-9_\- ]{1,60}\.(csv|xml)$")  # a return's tables, or its XML form
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class UploadRefused(Exception):
    """An upload of the wrong kind: the message says what is accepted."""


UNPACKED = 20  # a .zip may unpack to this many times the upload limit (CSV returns pack about 5 to 10 times)


def _unpacked(base: str, data: bytes, limit: int) -> list[tuple[str, bytes]]:
    """The files of a .zip, refused before any is unpacked when the sizes its directory declares come to
    more than ``limit`` bytes (Python's zipfile reads no more of a member than its declared size)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            size = sum(i.file_size for i in z.infolist())
            if size > limit:
                raise UploadRefused(f"{base} unpacks to {size / 1e6:,.0f} MB, more than the {limit / 1e6:,.0f} MB "
                                    "allowed: upload one year's return, or ask the administrator to raise "
                                    "PLACECAST_UPLOAD_LIMIT_MB.")
            return [(m, z.read(m)) for m in z.namelist() if not m.endswith("/")]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, NotImplementedError, RuntimeError, EOFError):
        raise UploadRefused(f"{base} is not a readable .zip file.") from None


def _csv_members(files: list[tuple[str, bytes]], unpacked_limit: int) -> dict[str, bytes]:
    """The CSV files of an upload (CSV files, or one .zip of them), each checked to be text. Two different
    files of one name (a .zip of several years' folders) are refused: one would silently replace the other."""
    out: dict[str, bytes] = {}
    for name, data in files:
        base = Path(name).name
        if base.lower().endswith(".zip"):
            members = _unpacked(base, data, unpacked_limit)
            seen: dict[str, str] = {}
            for m, _ in members:
                if seen.setdefault(Path(m).name, m) != m:
                    raise UploadRefused(f"{base} holds {seen[Path(m).name]} and {m}: upload one year's return at a "
                                        "time, each with the year it ends.")
            out.update(_csv_members([(Path(m).name, d) for m, d in members], unpacked_limit))
            continue
        if not CSV_NAME.match(base):
            raise UploadRefused(f"{base}: only the return's CSV files (header.csv, episodes.csv, ...), its XML "
                                "file as the DfE collects it, or a .zip of them can be uploaded. Save Excel sheets as "
                                "'CSV UTF-8' first.")
        try:
            if base.endswith(".csv"):  # an XML file says its own encoding
                data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadRefused(f"{base} is not a text CSV file (save it as 'CSV UTF-8').") from None
        if out.get(base, data) != data:
            raise UploadRefused(f"Two different files are named {base}: upload one year's return at a time.")
        out[base] = data
    if not out:
        raise UploadRefused("No CSV or XML files in the upload.")
    return out


@router.post("/c/{slug}/data/upload")
def upload_returns(request: Request, slug: str, year: int = Form(...),
                   files: list[UploadFile] = File(...), user: SignedIn = Depends(need("data"))) -> Response:
    """One collection year's files: staged beside the returns, ingested by a job that swaps them in."""
    council = council_of(request, slug, user)
    if not 2000 <= year <= 2100:
        return section_page(request, slug, "data", user, upload_error="Give the collection year, e.g. 2025 for "
                            "the 2024/25 return.", status=400)
    st = state(request)
    try:
        members = _csv_members([(f.filename or "", f.file.read()) for f in files],
                               int(st.settings.upload_limit_mb * 1_000_000 * UNPACKED))
    except UploadRefused as exc:
        return section_page(request, slug, "data", user, upload_error=str(exc), status=400)
    f = workspace.folder(st.settings.data_dir, slug)
    staged = Path(tempfile.mkdtemp(prefix="returns-", dir=f.root))
    if f.returns.exists():
        shutil.copytree(f.returns, staged, dirs_exist_ok=True)
    target = staged / str(year)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, data in members.items():
        (target / name).write_bytes(data)
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "ingest", user.username,
                      {"staged": staged.name}, f"returns {year}")
    log(request, user.username, "upload", f"returns for {year}: {len(members)} files (job {job.id})", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)


@router.get("/c/{slug}/data/findings")
def findings_page(request: Request, slug: str, severity: str = "", rule: str = "", file: str = "",
                  user: SignedIn = Depends(need("child_level"))) -> Response:
    """Every finding with its file and line (child-level), filtered; the view is audited."""
    import pandas as pd

    council_of(request, slug, user)
    f = workspace.folder(state(request).settings.data_dir, slug)
    path = f.history / "findings.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False) if path.exists() else pd.DataFrame()
    rules = sorted(frame["rule"].unique()) if len(frame) else []
    files = sorted(frame["file"].unique()) if len(frame) else []
    for col, value in (("severity", severity), ("rule", rule), ("file", file)):
        if value and len(frame):
            frame = frame[frame[col] == value]
    log(request, user.username, "child-level view", f"findings (severity={severity or 'any'}, rule={rule or 'any'}, "
        f"file={Path(file).name or 'any'}: {len(frame)} rows)", slug)
    rows = frame.head(500).to_dict("records") if len(frame) else []
    return section_page(request, slug, "data", user, template="findings.html", rows=rows, total=len(frame),
                        rules=rules, files=files, chosen={"severity": severity, "rule": rule, "file": file})


@router.get("/c/{slug}/data/error-report.xlsx")
def error_report(request: Request, slug: str, user: SignedIn = Depends(need("child_level"))) -> Response:
    """The Excel error report of the latest validation (child-level; audited)."""
    council_of(request, slug, user)
    path = workspace.folder(state(request).settings.data_dir, slug).root / "error_report.xlsx"
    if not path.exists():
        raise HTTPException(404, "No returns have been validated yet.")
    log(request, user.username, "export", "validation error report (xlsx)", slug)
    return FileResponse(path, media_type=XLSX, filename=f"{slug}-error-report.xlsx")


@router.post("/c/{slug}/money/budget")
def upload_budget(request: Request, slug: str, workbook: UploadFile = File(...),
                  user: SignedIn = Depends(need("money"))) -> Response:
    """Check the workbook with the library at once; stage it when it has no problem; the quarter job
    computes with it and only then makes it the budget in effect (a failed job changes nothing)."""
    council = council_of(request, slug, user)
    st = state(request)
    f = workspace.folder(st.settings.data_dir, slug)
    if not f.settings_file.exists():
        return section_page(request, slug, "money", user, status=400, budget_errors=[
            "Choose the quarter first (above), with this budget: the budget is checked against its year."])
    staged = _stage_budget(request, slug, user, workbook, f.settings().quarter)
    if isinstance(staged, Response):
        return staged
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "quarter", user.username,
                      {"budget": staged.name}, "budget changed")
    log(request, user.username, "budget changed", f"budget workbook {workbook.filename} uploaded (job {job.id})", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)


@router.post("/c/{slug}/money/quarter")
def change_quarter(request: Request, slug: str, quarter: str = Form(""), population: str = Form(""),
                   money_unit: str = Form(""), title: str = Form(""), workbook: UploadFile | None = File(None),
                   user: SignedIn = Depends(need("money"))) -> Response:
    """The quarter the pages show (and the children's population), with that year's budget when the year
    changes: computed by a job, and kept only once the quarter has been computed (a failed job changes
    nothing)."""
    from placecast.quarter.config import parse_quarter
    from placecast.schema import number_text

    council = council_of(request, slug, user)
    st = state(request)
    f = workspace.folder(st.settings.data_dir, slug)
    try:
        label, day = parse_quarter(quarter)
        people = (int(number_text(population, "")) if population.strip()
                  else f.settings_with({"quarter": quarter}).population_0_17)
        if people is not None and people < 1:
            raise ValueError("the population of children aged 0-17 must be a whole number of at least 1.")
    except ValueError as exc:
        return section_page(request, slug, "money", user, status=400, quarter_typed=quarter, quarter_error=str(
            exc).replace("invalid literal for int() with base 10", "the population must be a whole number"))
    year, q = label.split("/")[0], label[-1]
    params: dict[str, object] = {"quarter": f"{year}-Q{q}", "population_0_17": people}
    if money_unit in ("£000", "£m"):
        params["money_unit"] = money_unit
    if title := " ".join(title.split()):
        params["title"] = title[:200]
    if workbook is not None and workbook.filename:
        staged = _stage_budget(request, slug, user, workbook, str(params["quarter"]))
        if isinstance(staged, Response):
            return staged
        params["budget"] = staged.name
    elif (budget := f.budget()) is not None:
        problem = _budget_year_problem(budget, str(params["quarter"]))
        if problem:
            return section_page(request, slug, "money", user, status=400, quarter_error=problem, quarter_typed=quarter)
    job = jobs.submit(st.pool, st.settings, st.engine, council.id, "quarter", user.username, params,
                      f"quarter {params['quarter']}")
    log(request, user.username, "settings changed", f"quarter {params['quarter']}, population {people or 'not given'}"
        f"{', money in ' + str(params['money_unit']) if 'money_unit' in params else ''}"
        f"{', titled ' + repr(params['title']) if 'title' in params else ''}"
        f"{', with a budget workbook' if 'budget' in params else ''} (job {job.id}; kept when it succeeds)", slug)
    return RedirectResponse(f"/c/{slug}/jobs/{job.id}", status_code=303)


def _budget_year_problem(path: Path, quarter: str) -> str:
    """Why the budget in ``path`` cannot be used for ``quarter`` (another financial year), or ""."""
    from placecast.finance.budget import check_budget_year, read_budget_input
    from placecast.quarter.config import parse_quarter

    try:
        check_budget_year(read_budget_input(path).model, parse_quarter(quarter)[1], "The budget in effect",
                          "give the budget for {position} with the quarter")
    except PlacecastError as exc:
        return str(exc)
    return ""


def _stage_budget(request: Request, slug: str, user: SignedIn, workbook: UploadFile, quarter: str
                  ) -> Path | Response:
    """The uploaded workbook, checked by the library for ``quarter``, staged beside the workspace; or the
    money page listing its problems (nothing kept)."""
    from placecast.finance.budget import check_budget_year, read_budget_input
    from placecast.quarter.config import parse_quarter

    name = Path(workbook.filename or "").name
    data = workbook.file.read()
    if not name.lower().endswith(".xlsx") or not data.startswith(b"PK"):
        return section_page(request, slug, "money", user, status=400, budget_errors=[
            f"{name or 'The file'} is not an Excel workbook (.xlsx). Download the budget workbook below, fill it in "
            "and upload it."])
    def check(path: Path) -> None:
        check_budget_year(read_budget_input(path).model, parse_quarter(quarter)[1], "The budget",
                          "upload the budget for {position}, the year of the quarter (" + quarter + ")")

    f = workspace.folder(state(request).settings.data_dir, slug)
    staged, problems = stage_checked(f.root, "budget-", ".xlsx", data, name, check)
    if staged is None:
        return section_page(request, slug, "money", user, status=400, budget_errors=problems)
    return staged


def stage_checked(root: Path, prefix: str, suffix: str, data: bytes, name: str, check: Callable[[Path], object]
                  ) -> tuple[Path | None, list[str]]:
    """An upload's ``data`` written beside its workspace (in ``root``) and read by ``check``: the staged file,
    or None and every problem found, each naming the file as it was uploaded (``name``); nothing is kept."""
    handle, staged_name = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=root)
    with open(handle, "wb") as out:
        out.write(data)
    staged = Path(staged_name)
    try:
        check(staged)
    except LocatedInputError as exc:
        problems = [str(p) for p in exc.problems]
    except PlacecastError as exc:
        problems = [str(exc)]
    else:
        return staged, []
    staged.unlink()
    return None, [p.replace(str(staged), name) for p in problems]


@router.get("/c/{slug}/money/budget.xlsx")
def download_budget(request: Request, slug: str, user: SignedIn = Depends(need("view"))) -> Response:
    """The budget in effect as the workbook (from YAML when it came as YAML)."""
    from placecast.finance.budget import read_budget_model
    from placecast.finance.workbook import write_budget_workbook

    council_of(request, slug, user)
    f = workspace.folder(state(request).settings.data_dir, slug)
    budget = f.budget()
    if budget is None:
        path = write_budget_workbook(Path(tempfile.mkdtemp()) / "budget.xlsx")
    elif budget.suffix == ".xlsx":
        path = budget
    else:
        path = write_budget_workbook(Path(tempfile.mkdtemp()) / "budget.xlsx", read_budget_model(budget))
    log(request, user.username, "export", "budget workbook", slug)
    return FileResponse(path, media_type=XLSX, filename=f"{slug}-budget.xlsx")


@router.get("/c/{slug}/data/child")
def child_form(request: Request, slug: str, user: SignedIn = Depends(need("child_level"))) -> Response:
    """The form asking for a child's id (sent by POST, so that no id is ever in an address or a log line)."""
    council_of(request, slug, user)
    return section_page(request, slug, "data", user, template="child.html", child="", rows=[], pseudonym="")


@router.post("/c/{slug}/data/child")
def child_history(request: Request, slug: str, child: str = Form(""), user: SignedIn = Depends(need("child_level"))
                  ) -> Response:
    """One child's assembled history: the child id as the council's system holds it is pseudonymised with
    the workspace's key and looked up (child-level: analyst and admin; each view audited by pseudonym)."""
    import pandas as pd

    from placecast.ssda903 import read_history
    from placecast.ssda903.pseudonym import pseudonymise, read_key_file

    council_of(request, slug, user)
    f = workspace.folder(state(request).settings.data_dir, slug)
    rows: list[dict] = []
    pseudonym = ""
    child = child.strip()
    if child and (f.history / "manifest.json").exists():
        pseudonym = str(pseudonymise(pd.Series([child]), read_key_file(f.key_file)).iloc[0])
        episodes = read_history(f.history).episodes
        mine = episodes[episodes["child_id"] == pseudonym].sort_values("start")
        rows = [{"start": r.start.date().isoformat(), "end": "" if pd.isna(r.end) else r.end.date().isoformat(),
                 "place": r.place, "category": r.category, "ls": r.ls, "rne": r.rne, "rec": r.rec,
                 "provider": r.provider, "repair": r.repair} for r in mine.itertuples()]
        log(request, user.username, "child-level view", f"one child's history (pseudonym {pseudonym[:12]}, "
            f"{len(rows)} episodes)", slug)
    return section_page(request, slug, "data", user, template="child.html", child=child, rows=rows,
                        pseudonym=pseudonym)
