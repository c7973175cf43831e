"""Pseudonymisation of CHILD identifiers with a keyed hash (HMAC-SHA256).

The same key gives the same pseudonym across years, so histories join up; without the key the
original identifier cannot be recovered. The key itself is never written to any output.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

KEY_ENV = "PLACECAST_KEY"
KEY_FILE_ENV = "PLACECAST_KEY_FILE"
DEFAULT_KEY_FILE = Path(".placecast") / "pseudonym.key"


def resolve_key(key_file: Path | None = None) -> bytes:
    """The pseudonymisation key: ``PLACECAST_KEY``, else a key file (created once if absent).

    A created key is kept at ``.placecast/pseudonym.key`` (or ``PLACECAST_KEY_FILE``): keep it safe
    and use it again next year so that the same child gets the same pseudonym.
    """
    env = os.environ.get(KEY_ENV)
    if env:
        return env.encode("utf-8")
    path = key_file or Path(os.environ.get(KEY_FILE_ENV, DEFAULT_KEY_FILE))
    if path.exists():
        return path.read_text(encoding="utf-8").strip().encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(secrets.token_hex(32) + "\n", encoding="utf-8")
    try:
        path.chmod(0o600)
    except OSError:
        pass
    logger.warning("No pseudonymisation key was set; created %s. Keep it to get the same ids next year.", path)
    return path.read_text(encoding="utf-8").strip().encode("utf-8")


def pseudonymise(child_ids: pd.Series, key: bytes) -> pd.Series:
    """Replace each CHILD id with ``C`` + 16 hex characters of HMAC-SHA256(key, id)."""
    uniques = pd.unique(child_ids.astype(str))
    mapping = {
        cid: "C" + hmac.new(key, cid.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for cid in uniques
    }
    return child_ids.astype(str).map(mapping)
