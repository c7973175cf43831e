"""Random bytes and garbled CSVs end in a clear error (exit 2), never a traceback or a hang."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from placecast.errors import UnusableInputError
from placecast.ssda903 import read_returns, validate_returns
from placecast.ssda903.tables import TABLE_COLUMNS

from builders import mini_return

fuzz = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _read(content: bytes, suffix: str = ".csv") -> str:
    folder = Path(tempfile.mkdtemp())
    (folder / "2024").mkdir()
    (folder / "2024" / f"input{suffix}").write_bytes(content)
    try:
        validate_returns(read_returns([folder]))
        return "read"
    except UnusableInputError as exc:
        assert "input" in str(exc)
        return "unusable"


@fuzz
@given(st.binary(max_size=2000))
def test_random_bytes_are_unusable_or_read_never_crash(content):
    assert _read(content) in {"read", "unusable"}


@fuzz
@given(st.binary(max_size=2000))
def test_random_bytes_named_xlsx_are_unusable(content):
    assert _read(content, ".xlsx") == "unusable"


header_line = ",".join(TABLE_COLUMNS["Episodes"])
cell = st.text(alphabet=st.sampled_from(list('0123456789/,"\n\r ;ABCDEPSUXé\t')), max_size=40)


@fuzz
@given(st.lists(cell, max_size=30))
def test_garbled_rows_under_a_real_header_are_reported_not_crashed(rows):
    content = (header_line + "\n" + "\n".join(rows)).encode("utf-8")
    assert _read(content) in {"read", "unusable"}


COLUMNS = [(table, column) for table in ("Header", "Episodes", "UASC") for column in TABLE_COLUMNS[table]]


@pytest.mark.parametrize("how", ["dropped", "misspelt"])
@pytest.mark.parametrize(("table", "column"), COLUMNS)
def test_any_column_dropped_or_misspelt_is_located_and_the_history_still_assembles(tmp_path, table, column, how):
    """Each column of the tables the history is made from, left out or misspelt: a finding naming it, and
    validation and assembly run to the end (a Header without CHILD stopped them with an internal error)."""
    from placecast.ssda903 import assemble

    from builders import BASE_EPISODES, BASE_HEADER, write_table

    rows = {"Header": BASE_HEADER, "Episodes": BASE_EPISODES, "UASC": [{"CHILD": "1002", "SEX": "2",
                                                                         "DOB": "15/06/2008", "DUC": ""}]}
    for name, file in (("Header", "header.csv"), ("Episodes", "episodes.csv"), ("UASC", "uasc.csv")):
        columns = list(TABLE_COLUMNS[name])
        if name == table:
            columns = [c for c in columns if c != column] if how == "dropped" else [
                f"{c}X" if c == column else c for c in columns]
        write_table(tmp_path / "2024" / file, name, [{**r, f"{column}X": r.get(column, "")} for r in rows[name]],
                    columns)
    validated = validate_returns(read_returns([tmp_path]))
    missing = [f for f in validated.findings if f.rule == "COLUMN_MISSING"]
    assert [(f.file.endswith(table.lower() + ".csv"), f.column, f.is_error) for f in missing] == [
        (True, column, True)]
    assemble(validated, b"a key kept with the data")


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PLACECAST_KEY="fuzz-key-long-enough-for-placecast-0001")
    return subprocess.run([sys.executable, "-m", "placecast.cli", *args], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=120)


def test_cli_exit_codes_for_binary_garbled_and_missing_input(tmp_path):
    (tmp_path / "bin" / "2024").mkdir(parents=True)
    (tmp_path / "bin" / "2024" / "episodes.csv").write_bytes(os.urandom(4096))
    (tmp_path / "garbled" / "2024").mkdir(parents=True)
    (tmp_path / "garbled" / "2024" / "episodes.csv").write_text('CHILD,DE"COM\n"1,2\n,,,\n', encoding="utf-8")
    started = time.perf_counter()
    for target in ("bin", "garbled", "missing"):
        result = _cli("validate", str(tmp_path / target), cwd=tmp_path)
        assert result.returncode == 2, (target, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
        assert "Error:" in result.stderr
    assert time.perf_counter() - started < 60


def test_cli_validate_exit_codes_and_formats(tmp_path):
    import csv
    import io
    import json

    clean = mini_return(tmp_path / "clean")
    ok = _cli("validate", str(clean), cwd=tmp_path)
    assert ok.returncode == 0 and "0 error(s)" in ok.stdout
    broken = mini_return(tmp_path / "broken", episodes=[{"CHILD": "1001", "DECOM": "1 May 2023", "RNE": "S",
                                                          "LS": "C1", "CIN": "N1", "PLACE": "U4",
                                                          "PLACE_PROVIDER": "PR1"}])
    as_json = _cli("validate", str(broken), "--format", "json", cwd=tmp_path)
    assert as_json.returncode == 1
    data = json.loads(as_json.stdout)
    assert data["errors"] >= 1
    assert {"file", "line", "column", "value", "rule", "severity", "message"} <= set(data["findings"][0])
    as_csv = _cli("validate", str(broken), "--format", "csv", cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert ("2", "DECOM", "DATE_FORMAT") in {(r["line"], r["column"], r["rule"]) for r in rows}
    bad_option = _cli("validate", str(clean), "--format", "pdf", cwd=tmp_path)
    assert bad_option.returncode == 2 and "Traceback" not in bad_option.stderr
