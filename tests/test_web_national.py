"""England's page in the web application: the national forecast from the DfE's published statistics (issue
17's placecast national) was only at the command line; the page makes it in the background and sets the
user's councils among the others."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from web_fixtures import login, token

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

STATS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "dfe"


def test_englands_page_says_when_the_server_has_no_statistics(web):
    admin = login(web.app, "admin")
    page = admin.get("/national")
    assert page.status_code == 200 and "This server has no DfE statistics" in page.text
    assert "Forecast England" not in page.text
    assert admin.post("/national/forecast", data={"csrftoken": token(admin)}).status_code == 400
    assert 'href="/national"' in admin.get("/account").text  # in every page's header


def test_england_is_forecast_from_the_published_statistics_as_the_library_forecasts_it(web):
    from placecast.national.run import national_forecast
    from placecast.web import audit, workspace
    from placecast.web.workspace import folder

    if not STATS.is_dir():
        pytest.skip("the DfE statistics are not beside the project")
    admin, viewer = login(web.app, "admin"), login(web.app, "viewer")
    settings, f = web.state.settings, folder(web.data_dir, "demo")
    named = f.settings().benchmark_council
    workspace.create_council(web.engine, web.data_dir, "barnsley", "Barnsley", "Yorkshire")  # named nowhere
    web.state.settings = settings.model_copy(update={"dfe_stats": STATS})
    f.write_settings(f.settings_with({"benchmark_council": "Stockport"}))
    try:
        assert viewer.post("/national/forecast", data={"csrftoken": token(viewer)}).status_code == 403
        r = admin.post("/national/forecast", data={"csrftoken": token(admin)})
        assert r.status_code == 303 and r.headers["location"].startswith("/national/jobs/")
        job = web.wait(int(r.headers["location"].rsplit("/", 1)[1]))
        assert job.status == "done", job.error
        page = html.unescape(viewer.get("/national").text)
        admins = html.unescape(admin.get("/national").text)  # the admin sees every council
    finally:
        web.state.settings = settings
        f.write_settings(f.settings_with({"benchmark_council": named}))
    alone = national_forecast(STATS, years=3, runs=100)
    england = alone.england[alone.england["placement"] == "Total"].iloc[0]
    row = re.search(r'<tr><th scope="row">England</th>(.*?)</tr>', page)
    assert row is not None and row.group(1).startswith(f'<td class="num">{england["mean"]:,.0f}</td>')
    assert f'{england["p10"]:,.0f} to {england["p90"]:,.0f}' in row.group(1)
    stockport = alone.councils[(alone.councils["name"] == "Stockport") & (alone.councils["placement"] == "Total")]
    own = re.search(r'<a href="/c/demo">Demo council \(synthetic data\)</a></th><td>Stockport</td>(.*?)</tr>', page)
    assert own is not None and own.group(1).startswith(f'<td class="num">{stockport["mean"].iloc[0]:,.0f}</td>')
    barnsley = alone.councils[(alone.councils["name"] == "Barnsley") & (alone.councils["placement"] == "Total")]
    own = re.search(r'<a href="/c/barnsley">Barnsley</a></th><td>Barnsley <span class="hint">\(its name here; not '
                    r'named on its indicators page\)</span></td>(.*?)</tr>', admins)  # found under its own name
    assert own is not None and "barnsley" not in page  # the viewer is not given it
    assert own.group(1).startswith(f'<td class="num">{barnsley["mean"].iloc[0]:,.0f}</td>')
    assert "In plain words" in page and "No change" in page  # its backtest beside 'no change'
    assert len(re.findall(r'<tr><th scope="row">[A-Z][^<]*</th><td class="num">', page)) >= 10  # England, 9 regions
    got = viewer.get(f"/national/forecasts/{job.id}/national_england.csv")
    assert got.status_code == 200 and got.text.lstrip("\ufeff").startswith("year,placement,mean")
    assert viewer.get(f"/national/forecasts/{job.id}/secret.txt").status_code == 404
    actions = [(r.user, r.action, r.detail) for r in audit.search(web.engine, audit.AuditQuery(limit=200))]
    assert ("admin", "run", f"national forecast (job {job.id})") in actions
    assert ("viewer", "export", f"national forecast national_england.csv (job {job.id})") in actions
