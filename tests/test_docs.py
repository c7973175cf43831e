"""Every CLI command is documented in the README, and the built-in files can be printed."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.main import get_command
from typer.testing import CliRunner

from placecast.cli import DEFAULT_FILES, app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def _commands(group, prefix="placecast"):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


@pytest.mark.parametrize("command", sorted(_commands(get_command(app))))
def test_every_command_is_in_the_readme(command):
    assert f"`{command}" in README, f"{command} is not documented in README.md"


@pytest.mark.parametrize("name", sorted(DEFAULT_FILES))
def test_built_in_files_print_and_read_back(name):
    result = CliRunner().invoke(app, ["defaults", name])
    assert result.exit_code == 0
    if DEFAULT_FILES[name][1].endswith(".csv"):
        import csv
        import io

        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert rows and {"id", "polarity", "target"} <= set(rows[0])
    else:
        assert isinstance(yaml.safe_load(result.stdout), dict)
