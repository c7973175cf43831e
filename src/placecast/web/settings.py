"""The web application's settings: from environment variables (``PLACECAST_*``), with defaults that
suit one analyst's machine (``placecast serve``: loopback, an embedded SQLite store)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from pydantic import BaseModel, Field

from placecast.errors import UnusableInputError

ENV = {
    "data_dir": "PLACECAST_DATA_DIR", "database_url": "PLACECAST_DATABASE_URL", "secret_key": "PLACECAST_SECRET_KEY",
    "secure_cookies": "PLACECAST_SECURE_COOKIES", "session_hours": "PLACECAST_SESSION_HOURS",
    "upload_limit_mb": "PLACECAST_UPLOAD_LIMIT_MB", "runs": "PLACECAST_WEB_RUNS", "load_demo": "PLACECAST_LOAD_DEMO",
    "job_workers": "PLACECAST_JOB_WORKERS", "request_threads": "PLACECAST_REQUEST_THREADS",
    "oidc_metadata_url": "PLACECAST_OIDC_METADATA_URL",
    "oidc_client_id": "PLACECAST_OIDC_CLIENT_ID", "oidc_client_secret": "PLACECAST_OIDC_CLIENT_SECRET",
    "oidc_label": "PLACECAST_OIDC_LABEL", "trusted_proxies": "PLACECAST_TRUSTED_PROXIES",
    "dfe_stats": "PLACECAST_DFE_STATS",
}


class WebSettings(BaseModel):
    """Everything the application needs to start; see ``docs/web.md`` for each variable."""

    data_dir: Path = Field(Path("placecast-web"), description="Council workspaces, the secret key and (by default) "
                           "the SQLite store.")
    database_url: str = Field("", description="The store: sqlite:///file or postgresql://user@host/db; default a "
                              "SQLite file in the data folder.")
    secret_key: str = Field("", description="Signs session and CSRF cookies; default a random key kept in the data "
                            "folder (readable by its owner only).")
    secure_cookies: bool = Field(True, description="Cookies only over HTTPS (turn off only for loopback).")
    session_hours: float = Field(8.0, gt=0, le=24 * 7)
    upload_limit_mb: float = Field(50.0, gt=0)
    runs: int = Field(1000, ge=20, le=10_000, description="Monte Carlo runs of the quarter's forecast.")
    load_demo: bool = Field(True, description="Load the synthetic demo council on first start.")
    job_workers: int = Field(2, ge=1, le=16, description="Processes for background work (forecasts, scenarios).")
    request_threads: int = Field(40, ge=1, le=64, description="Threads serving requests at once in each server "
                                 "process; more requests wait their turn.")
    oidc_metadata_url: str = ""
    oidc_client_id: str = ""
    oidc_client_secret: str = ""
    oidc_label: str = "Sign in with your council account"
    trusted_proxies: str = Field("", description="Addresses of the reverse proxy whose X-Forwarded-For is believed.")
    dfe_stats: Path | None = Field(None, description="The DfE's published statistics (a folder of their CSVs), for "
                                   "benchmarking each council against its statistical neighbours.")

    @classmethod
    def from_env(cls, **overrides: object) -> WebSettings:
        """Settings from the environment, then ``overrides`` (the command line's options)."""
        values: dict[str, object] = {name: os.environ[var] for name, var in ENV.items() if os.environ.get(var)}
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except Exception as exc:
            raise UnusableInputError(f"The web settings are not usable: {exc}") from exc

    @property
    def oidc_enabled(self) -> bool:
        """Single sign-on is offered when the provider's metadata address and the client id are set."""
        return bool(self.oidc_metadata_url and self.oidc_client_id)

    @property
    def store_url(self) -> str:
        """The store's URL (a SQLite file in the data folder unless one is given)."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'placecast-web.sqlite').resolve()}"

    def signing_key(self) -> str:
        """The secret that signs cookies: the setting, or the data folder's own (made once, owner-only)."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text(encoding="utf-8").strip()
