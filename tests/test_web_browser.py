"""The main journeys in Debian's Chromium (``/usr/bin/chromium``, installed by ``.ci/run``; no browser is
downloaded), against the application served by uvicorn on loopback, and an axe-core accessibility check
of every page: no serious or critical violation."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from web_fixtures import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
REQUIRED = bool(os.environ.get("PLACECAST_REQUIRE_BROWSER"))  # .ci/run sets it: there, a missing browser fails
pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists() and not REQUIRED,
                                                      reason="Debian's chromium is missing (.ci/run installs it)")]


@pytest.fixture(scope="module")
def server(web):
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # lifespan off: its end would shut the session's job processes down for the tests after these
    srv = uvicorn.Server(uvicorn.Config(web.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(200):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield b
        b.close()


def signed_in(browser, server, username: str, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900}, accept_downloads=True)
    page.goto(f"{server}/login")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    return page


def wait_for_job(page, timeout_ms: int = 240_000) -> None:
    """On a job page: wait until the page script has taken the user on (done) or shows the failure."""
    page.wait_for_function("() => !document.querySelector('[data-job-page]') || "
                           "document.querySelector('[data-field=status]').textContent === 'failed'",
                           timeout=timeout_ms)
    assert "failed" not in page.content().split("Status:")[-1][:200]


def test_first_sign_in_shows_the_councils_and_the_headline(browser, server):
    page = signed_in(browser, server, "admin")
    assert page.get_by_role("heading", name="Your councils").is_visible()
    page.get_by_role("link", name="Demo council (synthetic data)").click()
    assert page.get_by_role("heading", name="Headline").is_visible()
    assert page.locator("dl.headline .figure").count() >= 8


def test_upload_returns_and_read_the_findings(browser, server, web, tmp_path):
    from placecast.web.workspace import folder

    source = folder(web.data_dir, "demo").returns / "2025"
    upload = tmp_path / "2025"
    shutil.copytree(source, upload)
    episodes = upload / "episodes.csv"
    lines = episodes.read_text().splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[header.index("PLACE")] = "Q9"  # not a placement code: an error finding
    episodes.write_text("\n".join([lines[0], ",".join(row), *lines[2:]]) + "\n")
    page = signed_in(browser, server, "analyst")
    page.goto(f"{server}/c/demo/data")
    page.get_by_label("Collection year").fill("2025")
    page.get_by_label("Files (.csv, .xml or .zip)").set_input_files(sorted(str(p) for p in upload.glob("*.csv")))
    page.get_by_role("button", name="Upload and validate").click()
    wait_for_job(page)
    page.goto(f"{server}/c/demo/data")
    page.get_by_role("link", name="Every finding with its file and line").click()
    page.get_by_label("Severity").select_option("error")
    page.get_by_role("button", name="Filter").click()
    table = page.get_by_role("table", name="Findings")
    assert "Q9" in table.inner_text() and "PLACE" in table.inner_text()


def test_run_a_forecast_and_see_the_interactive_chart(browser, server):
    page = signed_in(browser, server, "analyst")
    page.goto(f"{server}/c/demo/forecast")
    page.get_by_role("button", name="Run the forecast again").click()
    wait_for_job(page)
    page.goto(f"{server}/c/demo/forecast")
    page.wait_for_selector("figure.chart .vega-embed", timeout=30_000)  # vega-embed took over the static SVG
    assert page.get_by_role("table").count() >= 2
    page.get_by_text("Forecast settings").click()
    assert page.get_by_text("monte_carlo").is_visible()


def test_build_save_and_compare_a_scenario(browser, server):
    page = signed_in(browser, server, "analyst")
    page.goto(f"{server}/c/demo/scenarios")
    page.get_by_label("Entries reduced by (%)").fill("20")
    preview = page.locator("[data-preview-out]")
    preview.get_by_role("table").first.wait_for(timeout=30_000)
    page.wait_for_function("() => document.querySelector('[data-preview-out]').textContent.includes('Baseline')")
    assert "All children in care" in preview.inner_text()
    page.get_by_label("Name").fill("Edge of care 20%")
    page.get_by_label("Share with the council's team").check()
    page.get_by_role("button", name="Save scenario").click()
    page.wait_for_selector("table[data-result=cost_compared]", timeout=240_000)
    children = page.locator("table[data-result=children]").inner_text()
    assert "baseline" in children and "Edge of care 20%" in children
    compared = page.locator("table[data-result=children_compared]").inner_text()
    assert "All children in care" in compared
    other = signed_in(browser, server, "admin")  # shared: the team sees it
    other.goto(f"{server}/c/demo/scenarios")
    assert other.get_by_role("link", name="Edge of care 20%").is_visible()


def test_upload_a_budget_workbook_and_read_the_outturn(browser, server, tmp_path):
    page = signed_in(browser, server, "finance")
    page.goto(f"{server}/c/demo/money")
    with page.expect_download() as dl:
        page.get_by_role("link", name="Download the budget in effect as the budget workbook").click()
    workbook = tmp_path / "budget.xlsx"
    dl.value.save_as(workbook)
    page.get_by_label("Budget workbook (.xlsx)").set_input_files(str(workbook))
    page.get_by_role("button", name="Check and use this budget").click()
    wait_for_job(page)
    page.goto(f"{server}/c/demo/money")
    assert page.get_by_role("heading", name="Forecast outturn against the cash limit").is_visible()
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK" + b"0" * 100)
    page.get_by_label("Budget workbook (.xlsx)").set_input_files(str(broken))
    page.get_by_role("button", name="Check and use this budget").click()
    assert page.get_by_role("alert").is_visible() and "Nothing was changed" in page.get_by_role("alert").inner_text()


def test_generate_the_report_and_download_its_three_files_and_the_record_of_its_inputs(browser, server, tmp_path):
    page = signed_in(browser, server, "finance")
    page.goto(f"{server}/c/demo/reports")
    page.get_by_role("button", name="Generate the 2025-Q2 report").click()
    wait_for_job(page, 400_000)
    page.goto(f"{server}/c/demo/reports")
    sizes = {}
    for kind, magic in (("HTML", b"<!DOCTYPE html>"), ("PDF", b"%PDF"), ("XLSX", b"PK"), ("Inputs", b"PK")):
        with page.expect_download() as dl:
            page.get_by_role("link", name=kind).first.click()
        target = tmp_path / kind
        dl.value.save_as(target)
        assert target.read_bytes().startswith(magic), kind
        sizes[kind] = target.stat().st_size
    assert min(sizes[k] for k in ("HTML", "PDF", "XLSX")) > 10_000
    import zipfile

    with zipfile.ZipFile(tmp_path / "Inputs") as z:  # what the report was made from, as it was
        names = set(z.namelist())  # the budget as uploaded (a workbook) or as loaded (YAML)
        assert {"report.yaml", "record.json"} <= names and names & {"inputs/budget.yaml", "inputs/budget.xlsx"}


def test_forecast_the_region_and_read_it(browser, server):
    """A regional user forecasts the region from its page, follows the work, and is brought back to read it."""
    page = signed_in(browser, server, "admin")
    page.goto(f"{server}/")
    page.get_by_role("link", name="Demo region").click()
    assert page.get_by_role("heading", name="Councils at their latest quarters").is_visible()
    page.get_by_role("button", name=re.compile("Forecast the region")).click()
    page.wait_for_url(re.compile(r"/regions/demo-region(/jobs/\d+)?$"))
    page.wait_for_url(re.compile(r"/regions/demo-region$"), timeout=240_000)  # the job page follows it home
    assert page.get_by_role("heading", name="Children in care across the region", exact=True).is_visible()
    assert page.get_by_role("link", name="PDF").is_visible()


PAGES = ["/c/demo", "/c/demo/data", "/c/demo/data/findings", "/c/demo/forecast", "/c/demo/money",
         "/c/demo/scenarios", "/c/demo/programme", "/c/demo/indicators", "/c/demo/reports", "/account",
         "/admin/users", "/admin/audit", "/", "/regions/demo-region", "/national"]


@pytest.mark.parametrize("width", [1280, 800])
def test_no_serious_or_critical_accessibility_violation_on_any_page(browser, server, width):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page = signed_in(browser, server, "admin", width)
    found = {}
    for path in PAGES:
        page.goto(server + path)
        page.wait_for_load_state("networkidle")
        bad = [v["id"] for v in axe.run(page).response["violations"] if v["impact"] in ("serious", "critical")]
        if bad:
            found[path] = bad
    login = browser.new_page(viewport={"width": width, "height": 900})
    login.goto(f"{server}/login")
    bad = [v["id"] for v in axe.run(login).response["violations"] if v["impact"] in ("serious", "critical")]
    if bad:
        found["/login"] = bad
    assert not found, found


def test_keyboard_alone_reaches_the_content_and_the_pages(browser, server):
    page = signed_in(browser, server, "viewer")
    page.goto(f"{server}/c/demo")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"{server}/c/demo")
    for _ in range(20):  # through the header to the page navigation
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == "Forecast":
            break
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"  # focus is visible
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/c/demo/forecast")
