"""Pseudonymisation: keyed, stable across years, key never written out."""

from __future__ import annotations

import pandas as pd
from typer.testing import CliRunner

from placecast.cli import app
from placecast.ssda903.pseudonym import pseudonymise, resolve_key

from builders import mini_return


def test_same_key_same_ids_different_key_different_ids():
    ids = pd.Series(["1001", "1002", "1001"])
    a = pseudonymise(ids, b"k1")
    assert a.iloc[0] == a.iloc[2] and a.iloc[0] != a.iloc[1]
    assert list(a) == list(pseudonymise(ids, b"k1"))
    assert not set(a) & set(pseudonymise(ids, b"k2"))
    assert not set(a) & {"1001", "1002"}


def test_a_key_file_named_for_a_first_ingest_is_created_once_and_reused(tmp_path, monkeypatch):
    """Made when the ingest is written, not before: a failed first ingest left a new key file behind."""
    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    path = tmp_path / "k" / "pseudonym.key"
    failed = CliRunner().invoke(app, ["ingest", str(tmp_path / "nothing"), "--out", str(tmp_path / "out"),
                                      "--key-file", str(path)])
    assert failed.exit_code != 0 and not path.exists() and not (tmp_path / "out").exists()
    returns = mini_return(tmp_path / "returns")
    first = CliRunner().invoke(app, ["ingest", str(returns), "--out", str(tmp_path / "out"), "--key-file", str(path)])
    assert first.exit_code in (0, 1), first.output
    key = resolve_key(path)
    assert "Created the pseudonymisation key" in first.output and not (tmp_path / "out" / "pseudonym.key").exists()
    again = CliRunner().invoke(app, ["ingest", str(returns), "--out", str(tmp_path / "out"), "--key-file", str(path)])
    assert again.exit_code in (0, 1) and resolve_key(path) == key and "Created" not in again.output


def test_a_key_file_that_is_not_there_is_an_error_when_reading(tmp_path, monkeypatch):
    import pytest

    from placecast.errors import UnusableInputError

    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    with pytest.raises(UnusableInputError, match="cannot be read"):
        resolve_key(tmp_path / "missing.key")
    with pytest.raises(UnusableInputError, match="has no pseudonym.key"):
        resolve_key(home=tmp_path, required=True)


def test_ingest_outputs_contain_neither_raw_ids_nor_the_key(tmp_path, monkeypatch):
    secret = "a-very-secret-pseudonymisation-key"
    monkeypatch.setenv("PLACECAST_KEY", secret)
    root = mini_return(tmp_path / "r", header=[{"CHILD": "1001", "SEX": "1", "DOB": "01/01/2015",
                                                "ETHNIC": "WBRI"}])
    result = CliRunner().invoke(app, ["ingest", str(root), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1  # child 1002 has no Header row
    for f in (tmp_path / "out").iterdir():
        data = f.read_bytes()
        assert secret.encode() not in data
        if f.suffix == ".csv":
            text = data.decode()
            assert "1001" not in text and "1002" not in text


def test_a_key_that_is_not_the_historys_own_is_refused_and_a_binary_file_is_not_a_key(tmp_path, monkeypatch):
    # With another key no commitment's child id matches the history: 450 placements "without commitment"
    # and the register's children "not in care", with exit 0. A file of random bytes was an internal error.
    import json

    import pytest

    from placecast.errors import UnusableInputError
    from placecast.ssda903.pseudonym import KeyMismatchError, fingerprint, write_key_file

    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    home, other = tmp_path / "history", tmp_path / "other.key"
    home.mkdir()
    write_key_file(home / "pseudonym.key", b"the-historys-own-key-of-32-characters")
    write_key_file(other, b"some-other-key-of-at-least-32-chars")
    assert resolve_key(home / "pseudonym.key", home=home, required=True) == b"the-historys-own-key-of-32-characters"
    with pytest.raises(KeyMismatchError, match="not the key .* was made with"):
        resolve_key(other, home=home, required=True)
    monkeypatch.setenv("PLACECAST_KEY", "some-other-key-of-at-least-32-chars")
    with pytest.raises(KeyMismatchError):
        resolve_key(home=home, required=True)
    monkeypatch.delenv("PLACECAST_KEY")
    (home / "pseudonym.key").unlink()  # the key kept elsewhere: the manifest's fingerprint still tells
    own = b"the-historys-own-key-of-32-characters"
    (home / "manifest.json").write_text(json.dumps({"key_fingerprint": fingerprint(own)}))
    with pytest.raises(KeyMismatchError):
        resolve_key(other, home=home, required=True)
    binary = tmp_path / "random.key"
    binary.write_bytes(bytes(range(128, 160)))
    with pytest.raises(UnusableInputError, match="not a Placecast key file"):
        resolve_key(binary)


def test_a_key_short_enough_to_guess_is_refused(tmp_path, monkeypatch):
    """PLACECAST_KEY=abc was taken: with a guessed key and a child's id anyone can recognise the child's
    pseudonym."""
    import pytest

    from placecast.errors import UnusableInputError

    monkeypatch.setenv("PLACECAST_KEY", "council2024")
    with pytest.raises(UnusableInputError, match="is 11 characters, short enough to be guessed"):
        resolve_key()
    monkeypatch.delenv("PLACECAST_KEY")
    short = tmp_path / "short.key"
    short.write_text("abc\n", encoding="utf-8")
    with pytest.raises(UnusableInputError, match="is 3 characters"):
        resolve_key(short)
    assert len(resolve_key()) == 64  # a key of its own, for a run that keeps nothing


def test_a_mistyped_key_file_for_a_history_made_with_a_key_kept_elsewhere_is_refused_and_not_created(
        tmp_path, monkeypatch):
    """A typo in --key-file made a new key there ('Created the pseudonymisation key ...') before the run was
    refused for holding another key."""
    import json

    import pytest

    from placecast.ssda903.pseudonym import KeyMismatchError, key_for_ingest

    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"key_fingerprint": "5123c0a70d3f1fe8"}), encoding="utf-8")
    with pytest.raises(KeyMismatchError, match="no such key file.*fingerprint 5123c0a70d3f1fe8"):
        key_for_ingest(out, tmp_path / "typo.key")
    assert not (tmp_path / "typo.key").exists()
