"""Returns you can trust (issue 13, in part): no silent gaps, no empty years, duplicates that do not cascade."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from placecast.ssda903 import validate

from builders import BASE_EPISODES, mini_return, write_table


def _rules(result) -> list[str]:
    return [f.rule for f in result.findings.errors]


def test_a_missing_year_folder_is_an_error_naming_the_year_and_the_fix(clean_council, tmp_path):
    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    shutil.rmtree(returns / "2024")
    result = validate([returns])
    missing = [f for f in result.findings.errors if f.rule == "YEAR_MISSING"]
    assert len(missing) == 1 and missing[0].value == "2023/24"
    assert missing[0].file.endswith("2024") and "Add the 2024/ folder" in missing[0].message


def test_a_header_only_episodes_table_is_an_error_not_an_empty_year(tmp_path):
    root = mini_return(tmp_path / "r", 2024)
    write_table(root / "2024" / "episodes.csv", "Episodes", [])
    result = validate([root])
    assert "TABLE_EMPTY" in _rules(result)
    assert next(f for f in result.findings.errors if f.rule == "TABLE_EMPTY").value == "2023/24"


def test_an_exact_duplicate_row_is_one_finding_and_does_not_fault_the_row_it_copies(tmp_path):
    clean = validate([mini_return(tmp_path / "clean", 2024)])
    doubled = validate([mini_return(tmp_path / "dup", 2024, episodes=BASE_EPISODES + BASE_EPISODES[:3])])
    assert _rules(doubled).count("DUPLICATE_ROW") == 3
    assert sorted(r for r in _rules(doubled) if r != "DUPLICATE_ROW") == sorted(_rules(clean))


def test_an_output_folder_the_system_refuses_is_exit_2_with_what_to_do(tmp_path):
    """A file where a folder should be (the same refusal as a read-only folder, even for root)."""
    import subprocess
    import sys

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "placecast.cli", "synth", "--out", str(blocker / "x"),
                             "--children-in-care", "20", "--years", "1"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Internal error" not in result.stderr and "may write" in result.stderr


def test_a_database_address_that_is_not_a_url_says_how_to_write_one(tmp_path):
    from placecast.store import Store
    from placecast.store.db import StoreError

    with pytest.raises(StoreError, match="sqlite:///"):
        Store("plain/path.db")
    with pytest.raises(StoreError, match="Cannot open the database"):
        Store("postgresql://nobody@127.0.0.1:1/none")  # nothing listens on port 1


def test_the_cli_and_the_report_compute_an_indicator_on_the_same_data_alike(clean_council, tmp_path):
    """`placecast kpi compute` at a past date uses what was known then, as the report does."""
    from datetime import date

    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.kpi import compute_indicators
    from placecast.ssda903 import ingest
    from placecast.ssda903.assemble import known_at

    day = date(2024, 12, 31)
    history, _ = ingest([clean_council], b"k")
    expected = compute_indicators(known_at(history, day).episodes, day).set_index("id")
    result = CliRunner().invoke(app, ["kpi", "compute", str(clean_council), "--as-at", "2024-12-31", "--format",
                                      "csv"], env={"PLACECAST_KEY": "k" * 32})
    import io

    import pandas as pd

    got = pd.read_csv(io.StringIO(result.output)).set_index("id")
    assert got.loc["STAB_LONG", "value"] == pytest.approx(expected.loc["STAB_LONG", "value"])
    for population in ("-5", "0"):  # a rate of -970,000 per 10,000, or no rate without a word
        bad = CliRunner().invoke(app, ["kpi", "compute", str(clean_council), "--as-at", "2024-12-31",
                                       "--population", population], env={"PLACECAST_KEY": "k" * 32})
        assert bad.exit_code == 2 and "--population" in bad.output


def _run_cli(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """Run the command as a user does (through main, with its messages and exit codes)."""
    import signal
    import sys

    from placecast.cli import main

    monkeypatch.setattr(sys, "argv", ["placecast", *args])
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        with pytest.raises(SystemExit) as stop:
            main()
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    return int(stop.value.code or 0), capsys.readouterr().err


def test_the_key_lives_with_the_ingest_folder_not_the_folder_run_from(tmp_path, monkeypatch, capsys):
    import pandas as pd

    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    monkeypatch.delenv("PLACECAST_KEY_FILE", raising=False)
    root = mini_return(tmp_path / "returns", 2024)
    ids = []
    for where in ("here", "there"):
        (tmp_path / where).mkdir()
        monkeypatch.chdir(tmp_path / where)
        code, _ = _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out"))
        assert code == 0
        assert not (tmp_path / where / ".placecast").exists()
        ids.append(sorted(pd.read_parquet(tmp_path / "out" / "history.parquet")["child_id"].unique()))
    assert ids[0] == ids[1] and len(ids[0]) == 2
    assert (tmp_path / "out" / "pseudonym.key").stat().st_mode & 0o077 == 0


def test_an_ingest_with_another_key_into_an_existing_store_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("PLACECAST_KEY", raising=False)
    root = mini_return(tmp_path / "returns", 2024)
    assert _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out"))[0] == 0
    before = (tmp_path / "out" / "history.parquet").read_bytes()
    other = tmp_path / "other.key"
    other.write_text("a-different-key-of-at-least-32-characters\n", encoding="utf-8")
    code, err = _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out"),
                         "--key-file", str(other))
    assert code == 2 and "another key" in err and "Traceback" not in err
    assert (tmp_path / "out" / "history.parquet").read_bytes() == before
    monkeypatch.setenv("PLACECAST_KEY", "a-different-key-of-at-least-32-characters")
    code, err = _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out2"), "--db",
                         f"sqlite:///{tmp_path / 'out' / 'placecast.sqlite'}")
    assert code == 2 and "another key" in err and not (tmp_path / "out2").exists()


def test_a_ctrl_c_while_the_libraries_load_is_one_line_and_exit_130_not_a_traceback(monkeypatch, capsys):
    """The first half second of every command reads pandas and Arrow, before the command line's own handler
    of Ctrl-C is set: a Ctrl-C then printed a KeyboardInterrupt traceback through numpy's or Arrow's files."""
    import sys
    import types

    from placecast.__main__ import main

    loading = types.ModuleType("placecast.cli")

    def ctrl_c(name: str) -> object:
        raise KeyboardInterrupt

    loading.__getattr__ = ctrl_c  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "placecast.cli", loading)
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 130
    assert capsys.readouterr().err == "Interrupted before anything was done.\n"


@pytest.mark.parametrize(("signum", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_an_interrupted_ingest_leaves_the_previous_outputs_as_they_were(tmp_path, monkeypatch, capsys, signum, code):
    """Ctrl-C, or a request to stop (SIGTERM, which before ended the run where it was and left its
    half-written folder beside the outputs)."""
    import pandas as pd

    monkeypatch.setenv("PLACECAST_KEY", "k" * 32)
    root = mini_return(tmp_path / "returns", 2024)
    assert _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out"))[0] == 0
    def outputs() -> dict[str, bytes]:  # the store's files (with its write-ahead log) are compared by content
        return {f.name: f.read_bytes() for f in (tmp_path / "out").iterdir() if ".sqlite" not in f.name}

    def stored() -> list[tuple[str, int]]:
        from placecast.store import Store

        store = Store(f"sqlite:///{tmp_path / 'out' / 'placecast.sqlite'}")
        rows = [(d.content_hash, store.count("episodes")) for d in store.datasets()]
        store.engine.dispose()
        return rows

    before, datasets = outputs(), stored()
    root2 = mini_return(tmp_path / "returns2", 2024, episodes=BASE_EPISODES[:2])

    def interrupt(*args, **kwargs):  # Ctrl-C while the history is being written
        import os
        import signal

        os.kill(os.getpid(), getattr(signal, signum))

    monkeypatch.setattr(pd.DataFrame, "to_parquet", interrupt)
    exit_code, err = _run_cli(monkeypatch, capsys, "ingest", str(root2), "--out", str(tmp_path / "out"))
    assert exit_code == code and "Interrupted" in err and "as they were" in err
    assert outputs() == before and not [p for p in tmp_path.iterdir() if p.name.startswith(".placecast-")]
    assert stored() == datasets and len(datasets) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".placecast-")]


def test_a_database_that_cannot_be_reached_is_exit_2_and_leaves_no_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLACECAST_KEY", "k" * 32)
    root = mini_return(tmp_path / "returns", 2024)
    code, err = _run_cli(monkeypatch, capsys, "ingest", str(root), "--out", str(tmp_path / "out"), "--db",
                         "postgresql://nobody@127.0.0.1:1/none")
    assert code == 2 and "Cannot open the database" in err and "Internal error" not in err
    assert not (tmp_path / "out").exists()


def test_iso_dates_in_a_file_are_one_warning_naming_the_format_and_are_read(tmp_path):
    iso = [dict(r, DECOM="-".join(reversed(r["DECOM"].split("/"))),
                DEC="-".join(reversed(r["DEC"].split("/"))) if r["DEC"] else "") for r in BASE_EPISODES]
    clean = validate([mini_return(tmp_path / "dmy", 2024)])
    result = validate([mini_return(tmp_path / "iso", 2024, episodes=iso)])
    hints = [f for f in result.findings if f.rule == "DATE_FORMAT_FILE"]
    assert len(hints) == 1 and not result.findings.errors
    assert hints[0].line == 0 and hints[0].column == "DECOM, DEC" and "7 dates" in hints[0].message
    assert "yyyy-mm-dd" in hints[0].message and "dd/mm/yyyy" in hints[0].message
    assert list(result.episodes["DECOM"]) == list(clean.episodes["DECOM"])


def test_excel_day_numbers_are_read_with_one_warning(tmp_path):
    import pandas as pd

    def serial(text: str) -> str:
        day = pd.to_datetime(text, dayfirst=True) if text else None
        return str((day - pd.Timestamp(1899, 12, 30)).days) if day is not None else ""

    days = [dict(r, DECOM=serial(r["DECOM"]), DEC=serial(r["DEC"])) for r in BASE_EPISODES]
    result = validate([mini_return(tmp_path / "serial", 2024, episodes=days)])
    hints = [f for f in result.findings if f.rule == "DATE_FORMAT_FILE"]
    assert len(hints) == 1 and "Excel day numbers" in hints[0].message and not result.findings.errors
    assert result.episodes["DECOM"].min() == pd.Timestamp(2023, 4, 10)


def test_a_header_row_below_a_title_is_found_in_csv_and_xlsx(tmp_path):
    from openpyxl import Workbook

    from placecast.ssda903.tables import TABLE_COLUMNS

    root = mini_return(tmp_path / "csv", 2024)
    text = (root / "2024" / "episodes.csv").read_text(encoding="utf-8")
    (root / "2024" / "episodes.csv").write_text("Episodes 2023/24,,\nExported 01/04/2024,,\n" + text, encoding="utf-8")
    found = validate([root]).findings
    titles = [f for f in found if f.rule == "TITLE_ROWS"]
    assert [(t.line, t.severity) for t in titles] == [(3, "warning")] and not found.errors
    first = next(f for f in validate([mini_return(tmp_path / "bad", 2024,
                                                  episodes=[dict(BASE_EPISODES[0], CIN="")])]).findings
                 if f.rule == "VALUE_MISSING")
    assert first.line == 2  # lines stay the spreadsheet's own
    book = Workbook()
    sheet = book.active
    sheet.append(["Children looked after: episodes"])
    sheet.append([])
    cols = list(TABLE_COLUMNS["Episodes"])
    sheet.append(cols)
    for r in BASE_EPISODES:
        sheet.append([r.get(c, "") for c in cols])
    xlsx = tmp_path / "xlsx" / "2024"
    xlsx.mkdir(parents=True)
    book.save(xlsx / "episodes.xlsx")
    (xlsx / "header.csv").write_text((root / "2024" / "header.csv").read_text(encoding="utf-8"), encoding="utf-8")
    result = validate([tmp_path / "xlsx"])
    assert [(f.rule, f.line) for f in result.findings] == [("TITLE_ROWS", 3)]
    assert len(result.episodes) == 4


def test_the_excel_error_report_summarises_by_rule_and_lists_each_finding(planted_council, tmp_path):
    from openpyxl import load_workbook
    from typer.testing import CliRunner

    from placecast.cli import app

    result = validate([planted_council])
    out = tmp_path / "errors.xlsx"
    run = CliRunner().invoke(app, ["validate", str(planted_council), "--format", "xlsx", "--out", str(out)])
    assert run.exit_code == 1, run.output
    book = load_workbook(out)
    assert book.sheetnames == ["About", "Error summary", "Child summary"]
    summary = list(book["Error summary"].iter_rows(values_only=True))
    assert summary[0] == ("DfE rule", "Placecast rule", "severity", "count", "what it means", "fields")
    assert sum(r[3] for r in summary[1:]) == len(result.findings)
    children = list(book["Child summary"].iter_rows(values_only=True))
    assert len(children) == len(result.findings) + 1
    ids = set(result.episodes["CHILD"]) | set(result.header["CHILD"]) | set(result.uasc["CHILD"])
    cells = {str(c) for row in children[1:] for c in row if c is not None}
    assert not cells & ids, "child ids are withheld by default"
    assert any(str(r[0]).startswith("child ") for r in children[1:])
    shown = tmp_path / "owner.xlsx"
    CliRunner().invoke(app, ["validate", str(planted_council), "--format", "xlsx", "--out", str(shown),
                             "--show-child-ids"])
    owner = list(load_workbook(shown)["Child summary"].iter_rows(values_only=True))
    assert {str(r[0]) for r in owner[1:] if r[0]} <= ids and any(r[0] for r in owner[1:])


def test_date_options_take_the_dates_councils_write(clean_council, tmp_path):
    from typer.testing import CliRunner

    from placecast.cli import app

    runs = {}
    for text in ("31/03/2025", "2025-03-31"):
        out = tmp_path / text.replace("/", "-")
        result = CliRunner().invoke(app, ["forecast", str(clean_council), "--out", str(out), "--start", text,
                                          "--horizon-months", "3", "--runs", "20"], env={"PLACECAST_KEY": "k" * 32})
        assert result.exit_code == 0, result.output
        runs[text] = (out / "forecast.csv").read_text(encoding="utf-8")
    assert runs["31/03/2025"] == runs["2025-03-31"] and "2025-04-30" in runs["31/03/2025"]
    bad = CliRunner().invoke(app, ["forecast", str(clean_council), "--out", str(tmp_path / "x"), "--start",
                                   "31-13-2025"])
    assert bad.exit_code == 2 and "dd/mm/yyyy" in bad.output


def test_an_empty_episodes_file_is_an_error_for_its_year_not_only_a_warning(tmp_path):
    root = mini_return(tmp_path / "r", 2024)
    (root / "2024" / "episodes.csv").write_bytes(b"")
    result = validate([root])
    assert "FILE_EMPTY" in [f.rule for f in result.findings.warnings]
    assert "TABLE_EMPTY" in _rules(result)


def _placecast(*args: str):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "placecast.cli", *args], capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def gap_returns(clean_council, tmp_path_factory):
    """The clean council's returns with the 2023/24 folder taken out."""
    returns = tmp_path_factory.mktemp("gap") / "returns"
    shutil.copytree(clean_council, returns)
    shutil.rmtree(returns / "2024")
    return returns


def test_a_missing_year_stops_the_forecast_from_returns_with_what_to_do(gap_returns, tmp_path):
    """Validation calls the gap an error; a command that assembles the returns itself must not forecast from
    the history it would make (children in care at the gap closed as if they had left) with exit 0."""
    result = _placecast("forecast", str(gap_returns), "--out", str(tmp_path / "out"), "--runs", "10",
                        "--backtest-runs", "0")
    assert result.returncode == 2, result.stderr[-500:]
    assert "cannot be used" in result.stderr and "Add the 2024/ folder" in result.stderr
    assert not (tmp_path / "out").exists()


def test_a_missing_year_stops_the_forecast_from_an_ingest_folder(gap_returns, tmp_path):
    ingested = _placecast("ingest", str(gap_returns), "--out", str(tmp_path / "history"))
    assert ingested.returncode == 1  # written, with the error reported (no --strict)
    result = _placecast("forecast", str(tmp_path / "history"), "--out", str(tmp_path / "out"), "--runs", "10",
                        "--backtest-runs", "0")
    assert result.returncode == 2 and "YEAR" not in result.stdout and "Add the 2024/ folder" in result.stderr


def test_a_missing_year_stops_the_quarter(gap_returns):
    from placecast.demo import demo_config
    from placecast.errors import UnusableInputError
    from placecast.quarter.inputs import read_data

    with pytest.raises(UnusableInputError, match="Add the 2024/ folder"):
        read_data(demo_config(gap_returns, None, runs=10, seed=1))


def test_check_usable_passes_a_history_with_only_row_errors(planted_council):
    from placecast.ssda903 import check_usable

    result = validate([planted_council])
    assert result.findings.errors  # planted row errors, repaired or left out by assembly
    check_usable(result.findings, planted_council)


@pytest.mark.parametrize(("day", "ok"), [("2019-01-01", False), ("2022-04-01", True), ("2025-03-31", True),
                                         ("2031-01-01", False)])
def test_indicators_at_a_date_outside_the_returns_are_refused(day, ok):
    """Before the returns only the children still in care at their start are seen (169 of about 400 children
    looked after); after them every placement open at their end looked open still (400 in 2031)."""
    from datetime import date

    from placecast.errors import UnusableInputError
    from placecast.testing import small_history

    history = small_history()
    if ok:
        history.check_covers(date.fromisoformat(day), "--as-at")
    else:
        with pytest.raises(UnusableInputError, match="outside the returns, which cover 01/04/2022 to 31/03/2025"):
            history.check_covers(date.fromisoformat(day), "--as-at")


def test_a_year_without_its_header_table_stops_the_forecast(clean_council, tmp_path):
    """Its new children had no date of birth: the forecast fell from 390 to 355 children with exit 0."""
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import load_history

    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    from placecast.ssda903 import read_returns

    (header,) = [t.source for t in read_returns([returns / "2025"], 2025).of("Header")]
    Path(header).unlink()
    result = validate([returns])
    assert [f.value for f in result.findings.errors if f.rule == "HEADER_MISSING"] == [""]
    with pytest.raises(UnusableInputError, match="2024/25 return has no Header table"):
        load_history(returns)


def test_a_forecast_from_returns_with_errors_says_how_many_and_where_to_see_them(planted_council, tmp_path):
    """A command that assembles returns itself said nothing of their errors: its figures rest on the repairs."""
    result = _placecast("forecast", str(planted_council), "--out", str(tmp_path / "out"), "--runs", "10",
                        "--backtest-runs", "0")
    assert result.returncode == 0, result.stderr[-500:]
    said = " ".join(result.stderr.split())
    assert f"placecast validate {planted_council}' lists them" in said and "error(s)" in said


def test_a_value_from_a_return_beginning_with_equals_is_text_in_the_error_report(tmp_path):
    # openpyxl stores any text beginning with '=' as a formula, which Excel would run on opening.
    from openpyxl import load_workbook

    from placecast.ssda903.error_report import write_error_report
    from placecast.ssda903.findings import Findings, finding

    typed = '=HYPERLINK("http://example.invalid","x")'
    found = Findings([finding("2025/episodes.csv", 2, "PLACE", typed, "CODE_INVALID", "not a placement code")])
    out = write_error_report(found, tmp_path / "errors.xlsx")
    cells = [c for row in load_workbook(out)["Child summary"].iter_rows() for c in row if c.value == typed]
    assert cells and all(c.data_type == "s" for c in cells)


def test_a_table_an_earlier_run_wrote_is_not_left_beside_figures_it_does_not_match(tmp_path):
    """'placecast forecast --by-age' and then the same forecast with another seed left the first run's
    forecast_by_age.csv beside the second's forecast.csv. A file the command never wrote stays."""
    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.outputs import write_tables
    from placecast.testing import example_returns

    out = tmp_path / "forecast"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    args = ["-q", "forecast", str(example_returns()), "--out", str(out), "--runs", "10", "--backtest-runs", "0"]
    assert CliRunner().invoke(app, [*args, "--by-age"]).exit_code == 0
    assert (out / "forecast_by_age.csv").exists()
    assert CliRunner().invoke(app, [*args, "--seed", "4"]).exit_code == 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "forecast.csv", "forecast_settings.json", "model_card.md", "notes.txt", "placement_days.csv",
        "placement_days_runs.parquet"]
    # two commands' tables in one folder: each removes only its own
    import pandas as pd

    frame = pd.DataFrame({"a": [1]})
    write_tables(out, {"a.csv": frame, "b.csv": frame}, owner="costs")
    write_tables(out, {"b.csv": frame}, owner="costs")
    write_tables(out, {"c.csv": frame})  # no owner: nothing removed, nothing recorded
    assert not (out / "a.csv").exists() and (out / "b.csv").exists() and (out / "c.csv").exists()
    assert (out / "forecast.csv").exists() and (out / ".placecast-costs.files").read_text() == "b.csv\n"


@pytest.mark.parametrize("command", [["forecast", "{returns}", "--runs", "10"], ["backtest", "{returns}"],
                                     ["region", "{region}"]])
def test_tables_written_among_the_returns_a_command_reads_are_refused(tmp_path, command):
    """'placecast forecast returns --out returns/2025/forecast' put its tables where the next read took them
    for a year's return (or, in a region's folder, for a council)."""
    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.testing import example_returns

    returns = tmp_path / "region" / "north"
    shutil.copytree(example_returns(), returns)
    out = returns / "2025" / "out"
    args = [a.format(returns=returns, region=tmp_path / "region") for a in command]
    result = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 2 and "is among the returns in" in " ".join(result.output.replace("│", " ").split())
    assert not out.exists()


def test_a_history_ingested_beside_its_returns_is_refused_so_later_returns_are_not_passed_over(tmp_path):
    """'placecast ingest returns --out returns' wrote the history among the year folders; every command then read
    the history, so next year's returns added to the folder were passed over without a word."""
    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import load_history
    from placecast.testing import example_returns

    returns = tmp_path / "returns"
    shutil.copytree(example_returns(), returns)
    same = CliRunner().invoke(app, ["ingest", str(returns), "--out", str(returns)])
    assert same.exit_code == 2 and not (returns / "history.parquet").exists()
    assert "is among the returns" in " ".join(same.output.replace("│", " ").split())
    inside = CliRunner().invoke(app, ["ingest", str(returns), "--out", str(returns / "2025")])  # read as tables
    assert inside.exit_code == 2 and not (returns / "2025" / "findings.csv").exists()
    beside = CliRunner().invoke(app, ["-q", "ingest", str(returns), "--out", str(tmp_path / "h")])
    assert beside.exit_code in (0, 1), beside.output
    for name in ("history.parquet", "manifest.json"):  # as an older Placecast, or a hand, left them
        shutil.copy(tmp_path / "h" / name, returns / name)
    with pytest.raises(UnusableInputError, match=r"returns in year folders \(2023, 2024, 2025\)"):
        load_history(returns)
    assert load_history(tmp_path / "h").years == [2023, 2024, 2025]


def test_next_years_return_ingested_alone_into_the_folder_is_refused_rather_than_losing_the_earlier_years(tmp_path):
    """An ingest replaces the folder's history: 2025's return ingested alone into a folder holding 2023-2025 left a
    history of 2025 only, with exit 0 (the README said to ingest the new returns into the same folder)."""
    from typer.testing import CliRunner

    from placecast.cli import app
    from placecast.errors import UnusableInputError
    from placecast.ssda903 import load_history
    from placecast.testing import example_returns

    runner = CliRunner()
    first = runner.invoke(app, ["-q", "ingest", str(example_returns()), "--out", str(tmp_path / "h")])
    assert first.exit_code in (0, 1), first.output
    alone = tmp_path / "new"
    shutil.copytree(example_returns() / "2025", alone / "2025")
    again = runner.invoke(app, ["-q", "ingest", str(alone), "--out", str(tmp_path / "h")])
    assert isinstance(again.exception, UnusableInputError)  # exit 2 at the command
    assert "2023, 2024 would be lost" in str(again.exception)
    assert load_history(tmp_path / "h").years == [2023, 2024, 2025]  # as it was


def test_a_return_missing_most_of_the_children_in_care_at_its_start_makes_the_history_unusable(clean_council,
                                                                                                tmp_path):
    """Half of a year's episodes file (an export cut short) closed half the children in care at the previous
    31 March: the forecast started from 222 children instead of about 470, with only warnings."""
    import csv

    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable

    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    assert "RETURN_INCOMPLETE" not in _rules(validate([returns]))
    episodes = next((returns / "2025").glob("*pisode*"))
    rows = list(csv.reader(episodes.open(encoding="utf-8-sig")))
    with episodes.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(rows[: len(rows) // 2])
    found = validate([returns]).findings
    incomplete = {f.column: f for f in found.errors if f.rule == "RETURN_INCOMPLETE"}
    assert set(incomplete) == {"Episodes", "Header, Episodes"}  # carried from 2024, and the 2025 Header's children
    assert all(f.file.endswith(episodes.name) for f in incomplete.values())
    assert "are not in the 2025 return at all" in incomplete["Episodes"].message
    assert "children in the 2025 Header" in incomplete["Header, Episodes"].message
    with pytest.raises(UnusableInputError, match="cut short or filtered"):
        check_usable(found, returns)


def test_ids_whose_leading_zeros_a_spreadsheet_dropped_in_one_return_make_the_history_unusable(clean_council,
                                                                                                tmp_path):
    """Ids exported as 001234 in 2023 and 2024 but 1234 in the other years (their files saved from Excel): each
    child in care at 31/03/2024 with such an id was two children, one closed then and one in care from its first
    episode, so the history counted 27 children too many at 31/03/2023, with only 'not carried forward' warnings.
    The change is found both ways: zeros added in 2023, dropped in 2025."""
    import csv

    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable

    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    for table in sorted(returns.glob("202[34]/*.csv")):
        rows = list(csv.DictReader(table.open(encoding="utf-8-sig")))
        if not rows or "CHILD" not in rows[0]:
            continue
        for row in rows:
            if row["CHILD"][-1] in "05":  # about one child in five
                row["CHILD"] = "00" + row["CHILD"]
        with table.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    found = validate([returns]).findings
    zeros = {f.file: f for f in found.errors if f.rule == "CHILD_ID_ZEROS"}
    assert set(zeros) == {str(next((returns / year).glob("*pisode*"))) for year in ("2023", "2025")}
    for finding in zeros.values():
        changed, in_care = (int(n) for n in finding.value.split(" of "))
        assert 0 < changed < 0.25 * in_care  # too few for RETURN_INCOMPLETE
    assert "RETURN_INCOMPLETE" not in _rules(validate([returns]))
    with pytest.raises(UnusableInputError, match="leading zeros dropped or added"):
        check_usable(found, returns)
    assert "CHILD_ID_ZEROS" not in _rules(validate([clean_council]))


def test_ids_a_spreadsheet_rounded_to_scientific_notation_make_the_history_unusable(clean_council, tmp_path):
    """Twelve-digit ids saved from Excel as 9.10361E+11: children who share the rounded id were merged, with a
    handful of overlap errors that did not say why."""
    import csv

    from placecast.errors import UnusableInputError
    from placecast.ssda903 import check_usable

    returns = tmp_path / "returns"
    shutil.copytree(clean_council, returns)
    for table in sorted((returns / "2026").glob("*.csv")):
        rows = list(csv.DictReader(table.open(encoding="utf-8-sig")))
        if not rows or "CHILD" not in rows[0]:
            continue
        for row in rows:
            row["CHILD"] = f"{float('9' + row['CHILD'] + '0000'):.5E}"
        with table.open("w", newline="", encoding="utf-8") as out:
            writer = csv.DictWriter(out, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    found = validate([returns]).findings
    rounded = [f for f in found.errors if f.rule == "CHILD_ID_ROUNDED"]
    assert {Path(f.file).parent.name for f in rounded} == {"2026"} and len(rounded) >= 2  # Episodes, Header
    assert all(f.line == 0 and f.value.endswith(" ids") for f in rounded)
    with pytest.raises(UnusableInputError, match="rounded them"):
        check_usable(found, returns)
    assert "CHILD_ID_ROUNDED" not in _rules(validate([clean_council]))
