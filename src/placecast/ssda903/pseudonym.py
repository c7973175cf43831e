"""Pseudonymisation of CHILD identifiers with a keyed hash (HMAC-SHA256), and where the key lives.

The same key gives the same pseudonym across years, so histories join up; without the key the
original identifier cannot be recovered. The key lives with the data it pseudonymised: an ingest
folder keeps it as ``pseudonym.key`` (readable by its owner only) beside the history, and records
the key's fingerprint (not the key) in its manifest and in the database, so that a second ingest
with a different key is refused instead of leaving two sets of pseudonyms that do not match.
It is never looked for in, or written to, the folder Placecast happens to be run from.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path

import numpy as np
import pandas as pd

from placecast.errors import UnusableInputError

logger = logging.getLogger(__name__)

KEY_ENV = "PLACECAST_KEY"
KEY_FILE_ENV = "PLACECAST_KEY_FILE"
KEY_FILE = "pseudonym.key"


class KeyMismatchError(UnusableInputError):
    """A key that is not the one the data were pseudonymised with."""


MIN_KEY_LENGTH = 32  # characters; Placecast's own keys are 64 random hex characters


def _strong(key: bytes, given: str) -> bytes:
    """A key given by the user, refused when short enough to guess: with the key and a child's id anyone can
    recognise that child's pseudonym, so a guessed key undoes the pseudonymisation."""
    if len(key) < MIN_KEY_LENGTH:
        raise UnusableInputError(f"{given}: the pseudonymisation key is {len(key)} characters, short enough to be "
                                 f"guessed. Use at least {MIN_KEY_LENGTH} random characters: leave the key out on a "
                                 "first ingest and Placecast makes one (64 characters, kept as pseudonym.key), or "
                                 "make one with: python -c \"import secrets; print(secrets.token_hex(32))\".")
    return key


def new_key() -> bytes:
    """A fresh random key (64 hex characters)."""
    return secrets.token_hex(32).encode("utf-8")


def read_key_file(path: Path) -> bytes:
    """The key held in ``path``."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise UnusableInputError(f"{path}: the pseudonymisation key cannot be read ({exc.strerror}). Check the "
                                 "path given with --key-file, key_file: or PLACECAST_KEY_FILE.") from exc
    except UnicodeDecodeError:
        raise UnusableInputError(f"{path}: this is not a Placecast key file (a key file is one line of text, as "
                                 "'placecast ingest' writes it). Check the path given with --key-file, key_file: "
                                 "or PLACECAST_KEY_FILE.") from None
    if not text:
        raise UnusableInputError(f"{path}: the key file is empty. Restore it from your backup.")
    return text.encode("utf-8")


def write_key_file(path: Path, key: bytes) -> None:
    """Write ``key`` to ``path``, readable by its owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.decode("utf-8") + "\n")


def fingerprint(key: bytes) -> str:
    """A fingerprint that tells keys apart without revealing them (HMAC of a fixed text)."""
    return hmac.new(key, b"placecast pseudonymisation key check", hashlib.sha256).hexdigest()[:16]


def _named(key_file: Path | None) -> Path | None:
    """The key file given: ``key_file``, else ``PLACECAST_KEY_FILE``, else None."""
    return key_file or (Path(os.environ[KEY_FILE_ENV]) if os.environ.get(KEY_FILE_ENV) else None)


def resolve_key(key_file: Path | None = None, home: Path | None = None, required: bool = False) -> bytes:
    """The pseudonymisation key, looked for in this order.

    1. ``PLACECAST_KEY`` (the key itself); 2. ``key_file`` or ``PLACECAST_KEY_FILE``; 3. the data's own
    key, ``home/pseudonym.key`` (an ingest folder). Without any of them: an error when ``required``
    (data already pseudonymised with a key that must be found), else a key for this run only, which
    is right for returns read and forgotten in one command.
    """
    env = os.environ.get(KEY_ENV)
    named = _named(key_file)
    if env or named is not None:
        key = _strong(env.encode("utf-8"), KEY_ENV) if env else \
            _strong(read_key_file(named), str(named))  # type: ignore[arg-type]  # named is set
        if home is not None:
            _check_made_with(key, Path(home), KEY_ENV if env else str(named))
        return key
    if home is not None and (Path(home) / KEY_FILE).exists():
        return read_key_file(Path(home) / KEY_FILE)
    if required:
        raise UnusableInputError(f"{home}: the history has no {KEY_FILE}, so child ids in other files cannot be "
                                 "matched to it. Give the key it was made with (--key-file or PLACECAST_KEY).")
    logger.info("No pseudonymisation key given: this run uses a key of its own, used once.")
    return new_key()


def _check_made_with(key: bytes, home: Path, given: str) -> None:
    """Refuse a key that is not the one the history in ``home`` was made with (its own key file, else the
    fingerprint its manifest records): with it, no child id in another file would match the history's, and
    every commitment would look like a placement with no child in care."""
    from placecast.ssda903.history_io import manifest_of

    own = home / KEY_FILE
    known = fingerprint(read_key_file(own)) if own.exists() else manifest_of(home).get("key_fingerprint")
    if known and known != fingerprint(key):
        raise KeyMismatchError(f"{given}: this is not the key {home} was made with, so no child id would match "
                               "the history's. Leave out --key-file (and PLACECAST_KEY) to use the history's own "
                               "key, or give the key it was made with.")


def key_for_ingest(out: Path, key_file: Path | None = None) -> tuple[bytes, Path | None]:
    """The key an ingest into ``out`` must use, and where to keep it when it is new (None when it exists):
    ``out``'s own key file, or the key file named for a first ingest. The caller writes it once the returns
    are read and checked, so a failed ingest leaves no key behind.

    An existing ingest folder keeps its key; a different key given for it is refused.
    """
    own = Path(out) / KEY_FILE
    named = _named(key_file)
    if named is not None and not os.environ.get(KEY_ENV) and not Path(named).exists():
        if own.exists():
            raise KeyMismatchError(f"{named}: no such key file, and {out} already has its own key ({own}). "
                                   "Leave out --key-file to use it.")
        from placecast.ssda903.history_io import manifest_of

        if made_with := manifest_of(out).get("key_fingerprint"):  # a typo for the key kept elsewhere
            raise KeyMismatchError(f"{named}: no such key file, and {out} holds a history pseudonymised with a key "
                                   f"(fingerprint {made_with}). Give the file of that key; nothing was written.")
        return new_key(), Path(named)  # a first ingest with a key file named for it: the key is kept there
    if os.environ.get(KEY_ENV) or named is not None:
        key = resolve_key(key_file)
        if own.exists() and fingerprint(read_key_file(own)) != fingerprint(key):
            raise KeyMismatchError(
                f"{out} holds a history pseudonymised with another key ({own}). Ingesting with the key given "
                "would give the same children different ids. Use the folder's own key (leave out --key-file "
                "and PLACECAST_KEY), or ingest into a new folder; see 'Privacy' in the README to rotate a key.")
        return key, None
    if own.exists():
        return read_key_file(own), None
    return new_key(), own


def pseudonymise_together(key: bytes, *child_ids: pd.Series) -> list[pd.Series]:
    """:func:`pseudonymise` for several columns of the same children, with one digest per child."""
    together = pseudonymise(pd.concat(child_ids, ignore_index=True), key)
    bounds = np.cumsum([0, *(len(ids) for ids in child_ids)])
    return [pd.Series(together.iloc[a:b].to_numpy(), index=ids.index, name=ids.name, dtype=together.dtype)
            for ids, a, b in zip(child_ids, bounds[:-1], bounds[1:], strict=True)]


def pseudonymise(child_ids: pd.Series, key: bytes) -> pd.Series:
    """Replace each CHILD id with ``C`` + 16 hex characters of HMAC-SHA256(key, id)."""
    text = child_ids.astype(str)
    codes, uniques = pd.factorize(text)  # one digest per child; the ids as Python strings, not Arrow scalars
    digests = ["C" + hmac.digest(key, cid.encode("utf-8"), "sha256").hex()[:16] for cid in uniques.tolist()]
    return pd.Series(pd.array(digests, dtype=text.dtype).take(codes), index=child_ids.index, name=child_ids.name)
