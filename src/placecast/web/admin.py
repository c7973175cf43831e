"""Signing in and out (local accounts, optional OpenID Connect), one's own account, and the
administrator's pages: users, their roles and councils, and the audit trail (search and CSV export)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException

from placecast.store.workspace import Council, User
from placecast.web import accounts, audit, workspace
from placecast.web.accounts import AccountError, Role, SignedIn
from placecast.web.app import client_ip, current_user, form_of, log, need, render, state

router = APIRouter()


def _safe_next(target: str) -> str:
    """Only a path on this site (no open redirect)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/login")
def login_form(request: Request, next: str = "/") -> Response:
    """The sign-in page."""
    return render(request, "login.html", next=_safe_next(next), oidc=state(request).settings.oidc_enabled,
                  oidc_label=state(request).settings.oidc_label)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/")) -> Response:
    """Check the user name and password (rate limited); sign in and audit either way."""
    st, ip = state(request), client_ip(request)
    if st.limiter.blocked(username, ip):
        log(request, username[:200], "sign-in refused", "too many failed sign-ins: rate limited")
        return render(request, "login.html", 429, next=_safe_next(next), username=username,
                      error="Too many failed sign-ins. Wait 15 minutes, or ask an administrator to reset your "
                            "password.", oidc=st.settings.oidc_enabled, oidc_label=st.settings.oidc_label)
    user = accounts.authenticate(st.engine, username, password)
    if user is None:
        st.limiter.failed(username, ip)
        log(request, username[:200], "sign-in failed", "wrong user name or password")
        return render(request, "login.html", 401, next=_safe_next(next), username=username,
                      error="The user name or password is not right.", oidc=st.settings.oidc_enabled,
                      oidc_label=st.settings.oidc_label)
    request.session.clear()
    request.session["uid"] = user.id
    log(request, user.username, "sign-in", f"password, role {user.role}")
    return RedirectResponse(_safe_next(next), status_code=303)


def oidc_client(request: Request):
    """The OpenID Connect client (Authlib), registered once from the settings."""
    from authlib.integrations.starlette_client import OAuth

    st = state(request)
    if not st.settings.oidc_enabled:
        raise HTTPException(404, "Single sign-on is not set up on this server.")
    oauth = request.app.state.__dict__.setdefault("oauth", OAuth())
    if "council" not in oauth._registry:
        oauth.register("council", server_metadata_url=st.settings.oidc_metadata_url,
                       client_id=st.settings.oidc_client_id, client_secret=st.settings.oidc_client_secret,
                       client_kwargs={"scope": "openid email profile"})
    return oauth.council


@router.get("/auth/oidc/login")
async def oidc_login(request: Request) -> Response:
    return await oidc_client(request).authorize_redirect(request, str(request.url_for("oidc_callback")))


@router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request) -> Response:
    """The provider's answer: an existing, active account with this subject or e-mail address signs in;
    anyone else is refused (accounts are made by an administrator, never by signing in)."""
    from authlib.integrations.base_client import OAuthError
    from joserfc.errors import JoseError

    try:
        token = await oidc_client(request).authorize_access_token(request)
    except OAuthError as exc:
        log(request, "", "sign-in failed", f"single sign-on: {exc.error}")
        raise HTTPException(401, "Single sign-on did not complete. Try again.") from None
    except JoseError as exc:  # the ID token's signature or claims did not check out
        log(request, "", "sign-in failed", f"single sign-on: ID token refused ({exc.error})")
        raise HTTPException(401, "Single sign-on did not complete: the sign-in could not be verified. "
                                 "Try again.") from None
    info = token.get("userinfo") or {}
    subject, email = str(info.get("sub", "")), str(info.get("email") or info.get("preferred_username") or "").lower()
    st = state(request)
    with Session(st.engine) as s, s.begin():
        user = s.scalar(select(User).where(User.oidc_subject == subject)) if subject else None
        user = user or (s.scalar(select(User).where(User.username == email)) if email else None)
        if user is None or not user.active or not subject:
            log(request, email or subject, "sign-in failed", "single sign-on: no active Placecast account")
            raise HTTPException(403, f"There is no Placecast account for {email or 'this sign-in'}. Ask an "
                                     "administrator to make one.")
        user.oidc_subject = subject
        uid, name, role = user.id, user.username, user.role
    request.session.clear()
    request.session["uid"] = uid
    log(request, name, "sign-in", f"single sign-on, role {role}")
    return RedirectResponse("/", status_code=303)


@router.post("/logout")
def logout(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    """Sign out and end the session."""
    request.session.clear()
    log(request, user.username, "sign-out")
    return RedirectResponse("/login", status_code=303)


@router.get("/account")
def account(request: Request, user: SignedIn = Depends(current_user)) -> Response:
    """The user's own account: role, councils, password change."""
    return render(request, "account.html", user=user, councils=workspace.visible_councils(state(request).engine, user))


@router.post("/account/password")
def change_password(request: Request, current: str = Form(""), new: str = Form(""), repeat: str = Form(""),
                    user: SignedIn = Depends(current_user)) -> Response:
    """Change one's own password (the current one is asked for)."""
    st = state(request)
    errors: dict[str, str] = {}
    if accounts.authenticate(st.engine, user.username, current) is None:
        errors["current"] = "This is not your current password."
    elif new != repeat:
        errors["repeat"] = "The two new passwords differ."
    else:
        try:
            accounts.set_password(st.engine, user.id, new)
        except AccountError as exc:
            errors["new"] = str(exc)
    if errors:
        return render(request, "account.html", 400, user=user, errors=errors,
                      councils=workspace.visible_councils(st.engine, user))
    log(request, user.username, "password changed", "own password")
    return render(request, "account.html", user=user, done="Your password has been changed.",
                  councils=workspace.visible_councils(st.engine, user))


@router.get("/admin/users")
def users_page(request: Request, user: SignedIn = Depends(need("admin"))) -> Response:
    """The administrator's list of accounts."""
    return _users(request, user)


def _users(request: Request, user: SignedIn, status: int = 200, **extra: object) -> Response:
    st = state(request)
    with Session(st.engine) as s:
        users = list(s.scalars(select(User).order_by(User.username)))
        councils = list(s.scalars(select(Council).order_by(Council.name)))
    given = {u.id: accounts.councils_of(st.engine, u.id) for u in users}
    return render(request, "admin_users.html", status, user=user, users=users, all_councils=councils, given=given,
                  roles=[r.value for r in Role], **extra)


@router.post("/admin/users")
def create_user(request: Request, user: SignedIn = Depends(need("admin")), form: FormData = Depends(form_of)
                ) -> Response:
    """Add a user with a role, councils or a region, and a password (none: single sign-on only); audited."""
    councils = [str(c) for c in form.getlist("councils")]
    password = str(form.get("password", "")) or None
    try:
        made = accounts.create_user(state(request).engine, str(form.get("username", "")), str(form.get("role", "")),
                                    password, str(form.get("display_name", "")), councils, str(form.get("region", "")))
    except (AccountError, ValueError) as exc:
        return _users(request, user, 400, error=str(exc), form=dict(form))
    where = f"councils {', '.join(councils) or 'none'}" + (f", region {made.region}" if made.region else "")
    log(request, user.username, "user created",
        f"'{made.username}' as {made.role}, {where}{'' if password else ', single sign-on only'}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/councils")
def create_council(request: Request, user: SignedIn = Depends(need("admin")), form: FormData = Depends(form_of)
                   ) -> Response:
    """A new council workspace (an administrator); audited. Its team, returns, quarter and budget follow."""
    import re

    from placecast.errors import UnusableInputError
    from placecast.web import workspace

    name, slug = " ".join(str(form.get("name", "")).split()), str(form.get("slug", "")).strip().lower()
    region = " ".join(str(form.get("region", "")).split())
    if not name or not re.fullmatch(r"[a-z0-9][a-z0-9-]{1,39}", slug):
        return _users(request, user, 400, error="Give the council's name, and a short name of 2 to 40 lower-case "
                      "letters, digits and hyphens (it is part of the pages' addresses).")
    try:
        workspace.create_council(state(request).engine, state(request).settings.data_dir, slug, name, region)
    except UnusableInputError as exc:
        return _users(request, user, 400, error=str(exc))
    log(request, user.username, "council created", f"'{name}' ({slug}){f', region {region}' if region else ''}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}")
def update_user(request: Request, user_id: int, user: SignedIn = Depends(need("admin")),
                form: FormData = Depends(form_of)) -> Response:
    """Change a user's role, councils, region or whether the account is active (not one's own admin role)."""
    councils = [str(c) for c in form.getlist("councils")]
    role, active = str(form.get("role", "")), form.get("active") == "on"
    if user_id == user.id and (role != "admin" or not active):
        return _users(request, user, 400, error="You cannot remove your own administrator role or account.")
    try:
        changed = accounts.update_user(state(request).engine, user_id, role, active, councils,
                                       str(form.get("region", "")))
    except (AccountError, ValueError) as exc:
        return _users(request, user, 400, error=str(exc))
    log(request, user.username, "user changed", f"'{changed.username}': role {role}, "
        f"{'active' if active else 'deactivated'}, councils {', '.join(councils) or 'none'}")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password")
def reset_password(request: Request, user_id: int, password: str = Form(""),
                   user: SignedIn = Depends(need("admin"))) -> Response:
    """Set another user's password (administrators only)."""
    try:
        accounts.set_password(state(request).engine, user_id, password)
    except AccountError as exc:
        return _users(request, user, 400, error=str(exc))
    log(request, user.username, "user changed", f"password reset for user {user_id}")
    return RedirectResponse("/admin/users", status_code=303)


def _query(user_: str, action: str, council: str, text: str, since: str, until: str) -> audit.AuditQuery:
    def day(v: str) -> date | None:
        try:
            return date.fromisoformat(v) if v else None
        except ValueError:
            raise HTTPException(400, f"'{v}' is not a date: use YYYY-MM-DD.") from None

    return audit.AuditQuery(user_, action, council, text, day(since), day(until))


@router.get("/admin/audit")
def audit_page(request: Request, who: str = "", action: str = "", council: str = "", text: str = "",
               since: str = "", until: str = "", user: SignedIn = Depends(need("admin"))) -> Response:
    """Search the audit trail (administrators only)."""
    q = _query(who, action, council, text, since, until)
    rows = audit.search(state(request).engine, q)
    return render(request, "admin_audit.html", user=user, rows=rows, q=q)


@router.get("/admin/audit.csv")
def audit_export(request: Request, who: str = "", action: str = "", council: str = "", text: str = "",
                 since: str = "", until: str = "", user: SignedIn = Depends(need("admin"))) -> Response:
    """The audit trail's matching entries as CSV (the export is itself audited)."""
    q = _query(who, action, council, text, since, until)
    rows = audit.search(state(request).engine, audit.AuditQuery(**{**q.__dict__, "limit": 1_000_000}))
    log(request, user.username, "export", f"audit trail ({len(rows)} entries)")
    return PlainTextResponse(audit.to_csv(rows), media_type="text/csv",
                             headers={"content-disposition": 'attachment; filename="placecast-audit.csv"'})
