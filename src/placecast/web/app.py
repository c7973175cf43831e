"""The ASGI application: FastAPI routes over the library, Starlette's signed session cookie, WTForms'
session CSRF token on every form, an upload size limit and strict security headers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine, bindparam, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from placecast.errors import PlacecastError
from placecast.store import Store
from placecast.store.workspace import Council, User
from placecast.web import accounts, audit, jobs, workspace
from placecast.web.accounts import SignedIn, SignInLimiter
from placecast.web.settings import WebSettings

logger = logging.getLogger(__name__)
TEMPLATES = Jinja2Templates(directory=str(resources.files("placecast.web").joinpath("templates")))
TEMPLATES.env.auto_reload = False  # the templates are the installed package's: not looked at again each page


@dataclass
class State:
    """What every request can reach: settings, the store's engine, the job pool and the sign-in limiter."""

    settings: WebSettings
    engine: Engine
    pool: Executor
    limiter: SignInLimiter
    csrf_secret: bytes = b""
    first_password: str | None = None


class NotSignedIn(Exception):
    """The request needs a signed-in user."""


def state(request: Request) -> State:
    """The application's shared state for this request."""
    return request.app.state.placecast


def client_ip(request: Request) -> str:
    """The address the request came from (the proxy's X-Forwarded-For only when uvicorn trusts it)."""
    return request.client.host if request.client else ""


_USER = select(User.id, User.username, User.display_name, User.role, User.region, User.active).where(
    User.id == bindparam("uid"))  # made once: every request asks it


def current_user(request: Request) -> SignedIn:
    """The signed-in user, read afresh from the store (a deactivated account is signed out at once)."""
    uid = request.session.get("uid")
    if not isinstance(uid, int):
        raise NotSignedIn()
    with state(request).engine.connect() as c:  # every request asks this: the columns alone, not the object
        row = c.execute(_USER, {"uid": uid}).first()
    if row is None or not row.active:
        request.session.clear()
        raise NotSignedIn()
    return accounts.signed_in(row)


async def form_of(request: Request) -> FormData:
    """The request's form, read on the event loop: a route taking it is a plain function, which FastAPI
    runs in a worker thread, so that its store and file work never holds up other requests."""
    return await request.form()


def need(permission: str) -> Callable[..., SignedIn]:
    """A dependency: the signed-in user, who must have ``permission`` (403 otherwise)."""

    def check(user: SignedIn = Depends(current_user)) -> SignedIn:
        if not user.may(permission):
            raise HTTPException(403, f"Your role ({user.role}) may not do this. Ask an administrator if you need to.")
        return user

    return check


def council_of(request: Request, slug: str, user: SignedIn) -> Council:
    """The council ``slug`` when the user may see it; 404 otherwise (whether or not it exists)."""
    councils = workspace.visible_councils(state(request).engine, user)
    request.state.councils = councils  # the page's navigation lists them: asked of the store once a request
    council = next((c for c in councils if c.slug == slug), None)
    if council is None:
        raise HTTPException(404, "No such council workspace, or it is not one of yours.")
    return council


def log(request: Request, user: str, action: str, detail: str = "", council: str = "") -> None:
    """Append to the audit trail with the request's address."""
    audit.record(state(request).engine, user, action, detail, council, client_ip(request))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A page, with the user, the council navigation and the CSRF token every form needs."""
    from placecast.web.csrf import token_for

    context.setdefault("user", None)
    return TEMPLATES.TemplateResponse(request, template, {"csrftoken": token_for(request), **context},
                                      status_code=status_code)


class UploadLimit:
    """Refuse a request body over the limit before any of it is read (413, with the limit in words)."""

    def __init__(self, app: Any, limit_bytes: int) -> None:
        self.app, self.limit = app, limit_bytes

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers", [])).get(b"content-length")
            if length is not None and length.isdigit() and int(length) > self.limit:
                response = PlainTextResponse(f"The upload is larger than the limit of {self.limit / 1e6:.0f} MB. "
                                             "Split it by collection year, or ask the administrator to raise "
                                             "PLACECAST_UPLOAD_LIMIT_MB.", status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


HEADERS = {
    # Vega compiles chart expressions with the Function constructor, hence 'unsafe-eval'; no inline script.
    b"content-security-policy": b"default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' "
                                b"'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"same-origin",
    b"x-frame-options": b"DENY",
}


class SecurityHeaders:
    """The same strict headers on every response."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        async def send_with_headers(message: dict) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *((k, v) for k, v in HEADERS.items() if k not in present)]
            await send(message)

        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def first_start(st: State, stats: Any = None) -> None:
    """On an empty store: the first administrator (password from PLACECAST_ADMIN_PASSWORD or a random one,
    printed once by ``placecast serve``) and, unless turned off, the demo council with its first ingest."""
    import os

    if accounts.user_count(st.engine) == 0:
        password = os.environ.get("PLACECAST_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        accounts.create_user(st.engine, "admin", "admin", password, "Administrator")
        st.first_password = password
        audit.record(st.engine, "placecast", "user created", "first administrator 'admin'")
    with Session(st.engine) as s:
        empty = s.query(Council).count() == 0
    if empty and st.settings.load_demo:
        council = workspace.load_demo(st.engine, st.settings.data_dir, stats)
        jobs.submit(st.pool, st.settings, st.engine, council.id, "ingest", "placecast", {}, "demo returns")
        audit.record(st.engine, "placecast", "council created", "demo council loaded", council.slug)


def create_app(settings: WebSettings | None = None, pool: Executor | None = None, stats: Any = None) -> Any:
    """The whole application (an ASGI callable) for ``settings`` (default: from the environment)."""
    from placecast.threads import one_blas_thread
    from placecast.web import admin, commentary, costs, council_files, national, pages, planner, regions, uploads
    from placecast.web.csrf import require_token

    settings = settings or WebSettings.from_env()
    if stats is not None and settings.dfe_stats is None:  # --dfe-stats: for every council's benchmark too
        settings = settings.model_copy(update={"dfe_stats": Path(stats)})
    one_blas_thread()  # requests and jobs run side by side already (see placecast.threads)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = Store(settings.store_url).engine
    st = State(settings, engine, pool or jobs.executor(settings), SignInLimiter(),
               (settings.signing_key() + ":csrf").encode())
    first_start(st, stats)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = settings.request_threads
        yield
        st.pool.shutdown(wait=False, cancel_futures=True)

    api = FastAPI(title="Placecast", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan,
                  dependencies=[Depends(require_token)])
    api.state.placecast = st
    api.mount("/static", StaticFiles(directory=str(resources.files("placecast.web").joinpath("static"))), "static")
    for module in (pages, uploads, costs, council_files, commentary, admin, planner, regions, national):
        api.include_router(module.router)
    _errors(api)
    api.add_middleware(SessionMiddleware, secret_key=settings.signing_key(), session_cookie="placecast_session",
                       max_age=int(settings.session_hours * 3600), same_site="lax", https_only=settings.secure_cookies)
    app = SecurityHeaders(UploadLimit(api, int(settings.upload_limit_mb * 1_000_000)))
    app.state = api.state  # type: ignore[attr-defined]  # tests and `serve` reach the state through the app
    return app


def _errors(api: FastAPI) -> None:
    @api.exception_handler(NotSignedIn)
    async def to_sign_in(request: Request, _: NotSignedIn) -> Response:
        if request.headers.get("accept", "").startswith("application/json"):
            return PlainTextResponse("Sign in first.", status_code=401)
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)

    @api.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        user = None
        try:
            user = current_user(request)
        except NotSignedIn:
            pass
        return render(request, "error.html", exc.status_code, user=user, status=exc.status_code, message=exc.detail)

    @api.exception_handler(PlacecastError)
    async def input_error(request: Request, exc: PlacecastError) -> Response:
        """A problem with the workspace's inputs met in a page (a new council with no quarter yet): said in
        words, as the command line says it, not an internal error."""
        return await http_error(request, HTTPException(400, str(exc)))
