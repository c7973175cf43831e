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


def _command_objects(group):
    for cmd in group.commands.values():
        yield cmd
        if hasattr(cmd, "commands"):
            yield from _command_objects(cmd)


def test_every_command_help_reads_as_sentences():
    """`placecast --help` lists each command by the first paragraph of its help, and the help's formatter keeps
    a docstring's line breaks, which would break sentences at the source's width: every paragraph but a list
    is one line."""
    broken = [cmd.name for cmd in _command_objects(get_command(app))
              for paragraph in (cmd.help or "").strip().split("\n\n")
              if "\n" in paragraph and not paragraph.lstrip().startswith("-")]
    assert broken == []


def test_reflowed_joins_paragraph_lines_and_keeps_lists():
    from placecast.cli import _reflowed

    text = """First line
    goes on.

    Second paragraph
    here.

    - one item
    - another"""
    assert _reflowed(text) == "First line goes on.\n\nSecond paragraph here.\n\n- one item\n- another"


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


def _public_definitions():
    import ast

    root = Path(__file__).resolve().parents[1] / "src" / "placecast"
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
                yield f"{path.relative_to(root)}:{node.name}", node
                if isinstance(node, ast.ClassDef):
                    for member in node.body:
                        if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                            yield f"{path.relative_to(root)}:{node.name}.{member.name}", member


def test_every_public_class_and_function_has_a_docstring():
    import ast

    missing = [name for name, node in _public_definitions() if not ast.get_docstring(node)]
    assert missing == []


def test_every_notebook_entry_point_has_parameters_returns_and_an_example():
    import inspect

    import placecast

    for name in placecast.__all__:
        obj = getattr(placecast, name)
        doc = inspect.getdoc(obj) or ""
        assert "Examples" in doc, f"placecast.{name} has no Examples section"
        if inspect.isfunction(obj):
            assert "Returns" in doc, f"placecast.{name} has no Returns section"
            if inspect.signature(obj).parameters:
                assert "Parameters" in doc, f"placecast.{name} has no Parameters section"


def test_defaults_without_a_name_lists_every_built_in_file():
    from placecast.cli import DEFAULT_FILE_USES

    assert list(DEFAULT_FILE_USES) == [*DEFAULT_FILES, "budget-workbook"]
    result = CliRunner().invoke(app, ["defaults"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in DEFAULT_FILE_USES:
        assert name in result.output


def test_help_is_reflowed_when_run_as_a_module_too():
    """The reflow ran after the module's main guard, so 'python -m placecast.cli' kept the line breaks."""
    import os
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-m", "placecast.cli", "region", "--help"], capture_output=True,
                            text=True, timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert "the region is the sum of their runs: children in care by category" in result.stdout
