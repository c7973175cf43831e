"""The region's page in the web application: a Regional Care Cooperative's users saw each council's pages one
at a time, and the region's forecast (the sum of its councils' runs) only at the command line. The page sets
the councils side by side and forecasts the region in the background with the library's regional run."""

from __future__ import annotations

import html
import re

import pytest

from placecast.model.panel import AGE_LABELS

from web_fixtures import PASSWORD, ROLES, login, token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

DEMO_REGION = "/regions/demo-region"


TEST_REGION = "/regions/test-region"
COUNCILS = {"t-one": "T one", "t-two": "T two"}


@pytest.fixture(scope="module")
def clients(web):
    return {role: login(web.app, role) for role in (*ROLES, "regional", "elsewhere")}


@pytest.fixture(scope="module")
def test_region(web):
    """Two councils of their own region, each with the demo's assembled history (other tests add councils to
    the Demo region), and a viewer of that region."""
    import shutil

    from placecast.web import accounts, workspace

    for slug, name in COUNCILS.items():
        workspace.create_council(web.engine, web.data_dir, slug, name, "Test region")
        shutil.copytree(workspace.folder(web.data_dir, "demo").history, workspace.folder(web.data_dir, slug).history)
    accounts.create_user(web.engine, "t-viewer", "viewer", PASSWORD, "Test region viewer", [], "Test region")
    return {"admin": login(web.app, "admin"), "viewer": login(web.app, "t-viewer")}


def _alone(web, **settings):
    """The library's regional run on the test region's councils, as the job makes it."""
    from placecast.finance.unit_costs import default_unit_costs
    from placecast.model.settings import ForecastSettings
    from placecast.regional.run import regional_forecast
    from placecast.web.workspace import folder

    return regional_forecast({name: folder(web.data_dir, slug).history for slug, name in COUNCILS.items()},
                             ForecastSettings(**{"runs": 100, "backtest_runs": 100, **settings}), default_unit_costs())


def test_the_regions_page_is_for_those_who_see_every_council_of_it(web, clients):
    """A region's figures include every one of its councils: a user given only some of them is not shown it."""
    from placecast.web import accounts, workspace

    for name in ("regional", "admin"):
        page = clients[name].get(DEMO_REGION)
        assert page.status_code == 200, name
        assert "Demo council (synthetic data)" in page.text
    assert clients["elsewhere"].get(DEMO_REGION).status_code == 404
    assert clients["elsewhere"].get("/regions/other-region").status_code == 200  # its own council's region
    workspace.create_council(web.engine, web.data_dir, "north-a", "North A", "North")
    workspace.create_council(web.engine, web.data_dir, "north-b", "North B", "North")
    accounts.create_user(web.engine, "north-a-analyst", "analyst", PASSWORD, "A", ["north-a"])
    accounts.create_user(web.engine, "north-analyst", "analyst", PASSWORD, "AB", ["north-a", "north-b"])
    partial = login(web.app, "north-a-analyst")
    assert partial.get("/regions/north").status_code == 404
    assert partial.post("/regions/north/forecast", data={"csrftoken": token(partial)}).status_code == 404
    assert login(web.app, "north-analyst").get("/regions/north").status_code == 200  # given every council of it
    assert clients["admin"].get("/regions/north").status_code == 200
    assert "/regions/north" in clients["admin"].get("/").text  # the admin's list of councils names its regions
    assert "/regions/north" not in partial.get("/c/north-a").text  # nor is it linked from the council's home
    assert f'href="{DEMO_REGION}"' in clients["regional"].get("/c/demo").text


def test_each_council_is_shown_at_its_latest_quarter_with_its_reports_figures(web, clients):
    from placecast.web.views import headline
    from placecast.web.workspace import folder, load_report

    page = clients["regional"].get(DEMO_REGION).text
    figures = dict((label, value) for label, value, _ in headline(load_report(folder(web.data_dir, "demo"), "2025-Q2")))
    row = re.search(r'<tr><th scope="row"><a href="/c/demo">.*?</tr>', page, re.S)
    assert row is not None and "2025-Q2" in row.group(0)
    cells = re.findall(r'<td class="num">(.*?)</td>', row.group(0))
    assert cells[0] == f'{figures["Children in care now"]} <span class="unit">at 30/09/2025</span>'
    assert cells[2] == f'{figures["Forecast outturn"]} <span class="unit">£000</span>'  # the report's note is long


@pytest.mark.parametrize("role", ROLES)
def test_the_regions_forecast_is_for_those_who_make_reports(web, clients, role):
    c = clients[role]
    assert c.post(DEMO_REGION + "/forecast", data={}).status_code in (400, 403)  # no CSRF token: refused
    if role == "viewer":
        assert c.post(DEMO_REGION + "/forecast", data={"csrftoken": token(c)}).status_code == 403
        assert "Forecast the region" not in c.get(DEMO_REGION).text


def _capacity(client, name: str, data: bytes):
    return client.post(TEST_REGION + "/capacity", files={"file": (name, data, "text/plain")},
                       data={"csrftoken": token(client)})


def test_the_regions_beds_are_uploaded_checked_at_once_and_downloaded(web, test_region):
    """The region's beds against its need were only at the command line (--capacity)."""
    admin, viewer = test_region["admin"], test_region["viewer"]
    example = viewer.get(TEST_REGION + "/capacity")
    assert example.status_code == 200 and b"residential_inhouse: 0" in example.content
    refused = _capacity(admin, "beds.csv", b"category,beds\nresidential_inhous,4\nfostering_inhouse,many\n")
    assert refused.status_code == 400
    said = html.unescape(refused.text)
    assert "beds.csv" in said and "residential_inhous" in said and "residential_inhouse" in said  # the nearest name
    assert "many" in said and "Not kept" in said
    assert _capacity(admin, "beds.txt", b"x").status_code == 400
    assert _capacity(viewer, "beds.csv", b"category,beds\nresidential_inhouse,3\n").status_code == 403
    assert "No capacity file" in admin.get(TEST_REGION).text  # nothing was kept
    kept = _capacity(admin, "beds.csv", b"category,beds\nresidential_inhouse,3\n")
    assert kept.status_code == 303
    page = viewer.get(TEST_REGION).text
    row = r'In-house residential <span class="hint">\(residential_inhouse\)</span></th><td class="num">3</td>'
    assert re.search(row, page)
    assert viewer.get(TEST_REGION + "/capacity").content == b"category,beds\nresidential_inhouse,3\n"


def _children_table(page: str) -> str:
    found = re.search(r"<caption>Children in care across the region by placement.*?</table>", page, re.S)
    assert found is not None
    return found.group(0)


def test_the_region_is_forecast_in_the_background_as_the_library_forecasts_it(web, clients, test_region):
    """The job forecasts every council of the region from its assembled history with the library's regional
    run (each council's own seed, runs added run by run); the page shows the regional report's figures, and
    its HTML, PDF and Excel are downloaded (audited)."""
    from placecast.web import audit
    from placecast.web.jobs import get_job

    admin, viewer = test_region["admin"], test_region["viewer"]
    r = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin)})
    assert r.status_code == 303 and r.headers["location"].startswith(TEST_REGION + "/jobs/")
    job_id = int(r.headers["location"].rsplit("/", 1)[1])
    assert viewer.get(r.headers["location"]).status_code == 200
    assert admin.get(f"/c/t-one/jobs/{job_id}").status_code == 404  # a region's job, not a council's
    job = web.wait(job_id)
    assert job.status == "done", job.error
    follow = viewer.get(r.headers["location"], headers={"accept": "application/json"}).json()
    assert follow["status"] == "done" and follow["kind"] == "region"

    alone = _alone(web)
    table = alone.region.table()
    total = table[(table["category"] == "total") & (table["date"] == "2026-03-31")].iloc[0]
    page = html.unescape(viewer.get(TEST_REGION).text)
    last_row = _children_table(page).rsplit("<tr", 1)[1]
    assert f"{total['mean']:,.0f}" in last_row and f"{total['p90']:,.0f}" in last_row
    assert "built-in illustrative unit costs, not the region's (set each council's own on its money page)" in page
    for kind, media in (("html", "text/html"), ("pdf", "application/pdf"), ("xlsx", "spreadsheetml")):
        got = viewer.get(f"{TEST_REGION}/forecasts/{job_id}/{kind}")
        assert got.status_code == 200 and media in got.headers["content-type"], kind
    assert viewer.get(f"{TEST_REGION}/forecasts/{job_id}/csv").status_code == 404
    assert clients["elsewhere"].get(f"{TEST_REGION}/forecasts/{job_id}/pdf").status_code == 404
    actions = [(row.user, row.action, row.detail) for row in audit.search(web.engine, audit.AuditQuery(limit=200))]
    assert ("admin", "run", f"regional forecast of Test region, every child, 24 months ahead, 100 runs, seed 0 "
                            f"(job {job_id})") in actions
    assert ("t-viewer", "export", f"regional report of Test region pdf (job {job_id})") in actions
    assert get_job(web.engine, job_id).council_id is None
    beds = re.search(r"<caption>Beds needed against the region's capacity.*?</table>", page, re.S)
    peak50, peak90 = alone.region.peak_beds("residential_inhouse")
    row = rf'In-house residential</th><td class="num">3</td><td class="num">{peak50}</td><td class="num">{peak90}</td>'
    assert beds is not None and re.search(row, beds.group(0)), beds


def test_the_region_stops_using_its_beds(web, test_region):
    admin = test_region["admin"]
    assert admin.post(TEST_REGION + "/capacity/remove", data={"csrftoken": token(admin)}).status_code == 303
    assert "No capacity file" in admin.get(TEST_REGION).text
    assert b"residential_inhouse: 0" in admin.get(TEST_REGION + "/capacity").content


def test_the_region_is_forecast_for_the_children_chosen(web, test_region):
    """UASC (placecast region --uasc) on the page: every child, without UASC, or UASC only."""
    admin = test_region["admin"]
    assert admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "uasc": "some"}).status_code == 400
    r = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "uasc": "only", "by_age": "on"})
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "done", job.error
    page = html.unescape(admin.get(TEST_REGION).text)
    assert "counting unaccompanied asylum-seeking children only (24 months ahead, 100 runs, seed 0)." in page
    now = sum(c.children_now for c in _alone(web, uasc="only").councils)
    assert 0 < now < 200
    assert f'All children in care</th><td class="num">{now}</td>' in _children_table(page)
    by_age = re.search(r"<caption>Children in care across the region by age.*?</table>", page, re.S)
    assert by_age is not None and f'All children in care</th><td class="num">{now}</td>' in by_age.group(0)
    assert '<th scope="row">16</th>' in by_age.group(0)  # UASC are mostly 16 and 17


def test_the_region_is_forecast_so_far_ahead_with_so_many_runs_from_a_seed(web, test_region):
    """The page's settings are placecast region's: months ahead, runs (each council's) and the seed. The job
    forecasts with them as the library does, the page says them, and the form keeps them for the next run."""
    admin = test_region["admin"]
    r = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "horizon_months": "14", "runs": "50",
                                                    "seed": "3", "uasc": "exclude"})
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "done", job.error
    page = html.unescape(admin.get(TEST_REGION).text)
    assert "without unaccompanied asylum-seeking children (14 months ahead, 50 runs, seed 3)." in page
    table = _alone(web, runs=50, backtest_runs=50, seed=3, horizon_months=14, uasc="exclude").region.table()
    assert (table["date"].min(), table["date"].max()) == ("2026-03-31", "2027-05-31")
    total = table[(table["category"] == "total") & (table["date"] == "2027-03-31")].iloc[0]
    children = _children_table(page)
    assert "31/03/2027 mean" in children and "31/03/2028" not in children  # the horizon ends before it
    last_row = children.rsplit("<tr", 1)[1]
    assert f"{total['mean']:,.0f}" in last_row and f"{total['p10']:,.0f}" in last_row
    for name, value in (("horizon_months", "14"), ("runs", "50"), ("seed", "3")):
        assert re.search(rf'name="{name}" type="number"[^>]*value="{value}"', page), name
    assert '<option value="exclude" selected>' in page


def test_the_region_is_forecast_for_the_ages_ticked(web, test_region):
    """The page's filter by age band (placecast region --ages): only the children of the bands ticked, as the
    library forecasts them; the page says so and keeps the ticks; a band the form does not offer is refused."""
    admin = test_region["admin"]
    r = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "runs": "50", "ages": ["16", "17"]})
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "done", job.error
    page = html.unescape(admin.get(TEST_REGION).text)
    assert "(24 months ahead, 50 runs, seed 0, children aged 16, 17)." in page
    alone = _alone(web, runs=50, backtest_runs=50, ages=["16", "17"])
    now = sum(c.children_now for c in alone.councils)
    assert f'All children in care</th><td class="num">{now}</td>' in _children_table(page)
    for band in AGE_LABELS:
        ticked = re.search(rf'<input type="checkbox" name="ages" value="{re.escape(band)}" checked>', page)
        assert bool(ticked) == (band in ("16", "17")), band
    bad = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "ages": ["16", "18"]})
    assert bad.status_code == 400 and 'id="region-ages-error"' in bad.text


@pytest.mark.parametrize("given, field, said", [
    ({"runs": "5"}, "runs", "Must be at least 20"), ({"runs": "50000"}, "runs", "Must be at most 10000"),
    ({"horizon_months": "0"}, "horizon_months", "Must be at least 1"),
    ({"seed": "minus one"}, "seed", "Must be a")])
def test_a_region_setting_out_of_bounds_is_said_by_its_field_and_nothing_runs(web, test_region, given, field, said):
    from placecast.web.jobs import latest

    admin = test_region["admin"]
    def ids():
        running, done = latest(web.engine, "region", "Test region")
        return [j.id for j in running], done.id if done else None

    before = ids()
    r = admin.post(TEST_REGION + "/forecast", data={"csrftoken": token(admin), "uasc": "only", **given})
    assert r.status_code == 400
    page = html.unescape(r.text)
    error = re.search(rf'id="region-{field}-error">([^<]*)<', page)
    assert error is not None and error.group(1).startswith(said), page
    assert "Not started: 1 setting above is out of bounds." in page
    assert f'name="{field}" type="number"' in page and '<option value="only" selected>' in page  # as given
    assert ids() == before


def test_a_region_without_assembled_returns_fails_in_words_and_changes_nothing(web, clients):
    from placecast.web.workspace import create_council

    create_council(web.engine, web.data_dir, "south-a", "South A", "South")
    admin = clients["admin"]
    r = admin.post("/regions/south/forecast", data={"csrftoken": token(admin)})
    job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
    assert job.status == "failed"
    assert job.error.startswith("No council of South has its returns assembled yet: upload each council's returns")
    assert not (web.data_dir / "regions" / "south").exists() or not any((web.data_dir / "regions" / "south").iterdir())
    assert "The region has not been forecast yet" in admin.get("/regions/south").text
