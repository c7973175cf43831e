"""Cross-site request forgery protection by WTForms' session CSRF: a random value kept in the signed
session, and in every form (or the ``X-CSRFToken`` header) an HMAC of it with an expiry time. Every
request that is not GET, HEAD or OPTIONS must carry a valid token (403 otherwise)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request
from starlette.datastructures import ImmutableMultiDict
from starlette.exceptions import HTTPException
from wtforms import Form
from wtforms.csrf.session import SessionCSRF

SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
FIELD = "csrftoken"
HEADER = "x-csrftoken"


class _Token(Form):
    class Meta:
        csrf = True
        csrf_class = SessionCSRF
        csrf_field_name = FIELD
        csrf_time_limit = timedelta(hours=12)


def _meta(request: Request) -> dict:
    return {"csrf_context": request.session, "csrf_secret": request.app.state.placecast.csrf_secret}


def token_for(request: Request) -> str:
    """The token for this session's forms (the session gets its random value on first use)."""
    return str(getattr(_Token(meta=_meta(request)), FIELD).current_token)


async def require_token(request: Request) -> None:
    """A FastAPI dependency on every route: refuse an unsafe request without a valid token."""
    if request.method in SAFE:
        return
    given = request.headers.get(HEADER)
    if not given:
        content = request.headers.get("content-type", "")
        if content.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(FIELD)
            given = value if isinstance(value, str) else None
    if not given or "csrf" not in request.session:
        raise HTTPException(403, "The form's security token is missing (the page may be old): reload the page "
                                 "and try again.")
    form = _Token(formdata=ImmutableMultiDict({FIELD: given}), meta=_meta(request))
    if not form.validate():
        raise HTTPException(403, "The form's security token is not valid or has expired: reload the page and try "
                                 "again.")
