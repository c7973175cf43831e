"""The web application for the HTTP and browser tests: one data folder with the demo council computed
once (100 runs), a second, empty council, and a user of every role."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

PASSWORD = "correct horse battery staple"
ROLES = ("viewer", "analyst", "finance", "admin")


@dataclass
class WebApp:
    app: object
    state: object
    data_dir: Path

    @property
    def engine(self):
        return self.state.engine

    def wait(self, job_id: int, timeout: float = 300) -> object:
        """The job once it has finished (done or failed)."""
        from placecast.web.jobs import get_job

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = get_job(self.engine, job_id)
            if job is not None and job.status in ("done", "failed"):
                return job
            time.sleep(0.25)
        raise AssertionError(f"job {job_id} did not finish in {timeout} s")

    def latest_job(self, council_id: int):
        from placecast.web.jobs import jobs_of

        return jobs_of(self.engine, council_id, limit=1)[0]


@pytest.fixture(scope="session")
def web(tmp_path_factory) -> WebApp:
    import os

    from placecast.web import accounts, workspace
    from placecast.web.app import create_app
    from placecast.web.settings import WebSettings

    os.environ["PLACECAST_ADMIN_PASSWORD"] = PASSWORD
    data = tmp_path_factory.mktemp("web")
    settings = WebSettings(data_dir=data, runs=100, secure_cookies=False, job_workers=2, upload_limit_mb=2)
    app = create_app(settings)
    st = app.state.placecast
    made = WebApp(app, st, data)
    made.wait(made.latest_job(1).id)
    workspace.create_council(st.engine, data, "other", "Other council", "Other region")
    for role in ROLES:
        if role != "admin":
            accounts.create_user(st.engine, role, role, PASSWORD, role.title(), ["demo"])
    accounts.create_user(st.engine, "elsewhere", "analyst", PASSWORD, "Analyst elsewhere", ["other"])
    accounts.create_user(st.engine, "regional", "viewer", PASSWORD, "Regional viewer", [], "Demo region")
    return made


def login(app, username: str, password: str = PASSWORD):
    """A test client signed in as ``username`` (it keeps the session and CSRF cookies)."""
    from fastapi.testclient import TestClient

    client = TestClient(app, follow_redirects=False)
    r = client.post("/login", data={"username": username, "password": password, "next": "/",
                                    "csrftoken": token(client, "/login")})
    assert r.status_code == 303, r.text[:500]
    return client


def token(client, path: str = "/account") -> str:
    """The CSRF token of the client's session, as a page's forms carry it."""
    import re

    page = client.get(path).text
    found = re.search(r'name="csrftoken" value="([^"]+)"', page)
    assert found, f"no CSRF token on {path}"
    return found.group(1)
