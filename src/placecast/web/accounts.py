"""Accounts, roles and sign-in: Argon2id password hashes (argon2-cffi), sign-in rate limits (limits), and
what each role may do. No cryptography is written here."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy import Engine, Row, delete, func, select
from sqlalchemy.orm import Session

from placecast.errors import UnusableInputError
from placecast.store.workspace import Council, User, UserCouncil

HASHER = PasswordHasher()  # Argon2id with the library's current recommended parameters
MIN_PASSWORD = 12


class Role(StrEnum):
    """The four roles; what each may do is :data:`PERMISSIONS`."""

    VIEWER = "viewer"
    ANALYST = "analyst"
    FINANCE = "finance"
    ADMIN = "admin"


PERMISSIONS: dict[str, frozenset[Role]] = {
    "view": frozenset(Role),                                        # aggregate pages and reports
    "child_level": frozenset({Role.ANALYST, Role.ADMIN}),           # findings with child ids, one child's history
    "data": frozenset({Role.ANALYST, Role.ADMIN}),                  # upload returns, run the forecast
    "scenarios": frozenset({Role.ANALYST, Role.ADMIN}),             # build, run and save scenarios
    "indicators": frozenset({Role.ANALYST, Role.ADMIN}),            # write indicator commentary
    "money": frozenset({Role.FINANCE, Role.ADMIN}),                 # budget workbook, outturn, programme
    "reports": frozenset({Role.ANALYST, Role.FINANCE, Role.ADMIN}),  # generate the quarter's report
    "admin": frozenset({Role.ADMIN}),                               # users and the audit trail
}


def may(role: str, permission: str) -> bool:
    """Whether ``role`` has ``permission`` (unknown roles and permissions have nothing)."""
    try:
        return Role(role) in PERMISSIONS.get(permission, frozenset())
    except ValueError:
        return False


@dataclass(frozen=True)
class SignedIn:
    """The user behind a request, as read from the store on every request (a deactivated user is out at once)."""

    id: int
    username: str
    display_name: str
    role: str
    region: str

    def may(self, permission: str) -> bool:
        """Whether this user's role has ``permission``."""
        return may(self.role, permission)


def signed_in(user: User | Row) -> SignedIn:
    """The request's view of a stored user (its object, or its row of columns)."""
    return SignedIn(user.id, user.username, user.display_name or user.username, user.role, user.region)


class AccountError(UnusableInputError):
    """An account could not be made or changed as asked."""


def check_password(password: str) -> None:
    """Refuse a password shorter than :data:`MIN_PASSWORD` characters (long passphrases are encouraged)."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"The password must have at least {MIN_PASSWORD} characters; a passphrase of a few "
                           "words is easiest to remember.")


def create_user(engine: Engine, username: str, role: str, password: str | None = None, display_name: str = "",
                councils: list[str] | None = None, region: str = "") -> User:
    """A new account (``password`` None: single sign-on only), given the councils named by slug."""
    try:
        Role(role)
    except ValueError:
        raise AccountError(f"'{role}' is not a role: use one of {', '.join(r.value for r in Role)}.") from None
    if password is not None:
        check_password(password)
    username = username.strip().lower()
    if not username:
        raise AccountError("Give the user name (their council e-mail address is best).")
    with Session(engine) as s, s.begin():
        if s.scalar(select(User).where(User.username == username)) is not None:
            raise AccountError(f"There is already an account '{username}'.")
        user = User(username=username, display_name=display_name, role=role, region=region, active=True,
                    password_hash=HASHER.hash(password) if password else None, created_at=datetime.now(UTC))
        s.add(user)
        s.flush()
        _give(s, user.id, councils or [])
        s.expunge(user)
    return user


def _give(s: Session, user_id: int, slugs: list[str]) -> None:
    found = {c.slug: c.id for c in s.scalars(select(Council).where(Council.slug.in_(slugs)))}
    missing = sorted(set(slugs) - set(found))
    if missing:
        raise AccountError(f"No council workspace {', '.join(missing)}.")
    s.execute(delete(UserCouncil).where(UserCouncil.user_id == user_id))
    s.add_all(UserCouncil(user_id=user_id, council_id=cid) for cid in found.values())


def update_user(engine: Engine, user_id: int, role: str, active: bool, councils: list[str], region: str) -> User:
    """Change an account's role, councils, region or whether it may sign in."""
    Role(role)
    with Session(engine) as s, s.begin():
        user = s.get(User, user_id)
        if user is None:
            raise AccountError(f"No user {user_id}.")
        user.role, user.active, user.region = role, active, region
        _give(s, user_id, councils)
        s.flush()
        s.expunge(user)
    return user


def set_password(engine: Engine, user_id: int, password: str) -> None:
    """Replace a user's password (hashed with Argon2id)."""
    check_password(password)
    with Session(engine) as s, s.begin():
        user = s.get(User, user_id)
        if user is None:
            raise AccountError(f"No user {user_id}.")
        user.password_hash = HASHER.hash(password)


_DUMMY = HASHER.hash(secrets.token_urlsafe(16))


def authenticate(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this name and password, or None. Unknown names cost the same time as wrong
    passwords; a hash made with older parameters is upgraded on success."""
    with Session(engine) as s, s.begin():
        user = s.scalar(select(User).where(User.username == username.strip().lower()))
        stored = user.password_hash if user is not None and user.active else None
        try:
            HASHER.verify(stored or _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None or user is None:
            return None
        if HASHER.check_needs_rehash(stored):
            user.password_hash = HASHER.hash(password)
        s.flush()
        s.expunge(user)
        return user


def user_count(engine: Engine) -> int:
    """How many accounts there are."""
    with Session(engine) as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def councils_of(engine: Engine, user_id: int) -> list[str]:
    """The slugs of the councils given to a user directly."""
    with Session(engine) as s:
        q = select(Council.slug).join(UserCouncil, UserCouncil.council_id == Council.id)
        return sorted(s.scalars(q.where(UserCouncil.user_id == user_id)))


class SignInLimiter:
    """At most 5 failed sign-ins per account and 20 per address in 15 minutes (a moving window)."""

    def __init__(self, per_user: str = "5/15minutes", per_address: str = "20/15minutes") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._user, self._address = parse(per_user), parse(per_address)

    def blocked(self, username: str, address: str) -> bool:
        """Whether sign-in is refused for now for this account or address."""
        return not (self._limiter.test(self._user, "user", username.strip().lower())
                    and self._limiter.test(self._address, "address", address))

    def failed(self, username: str, address: str) -> None:
        """Count a failed sign-in."""
        self._limiter.hit(self._user, "user", username.strip().lower())
        self._limiter.hit(self._address, "address", address)
