"""Input schemas: every file a user writes is a strict pydantic model, read with located errors.

A file model subclasses :class:`StrictModel` (unknown keys are errors). :func:`read_model` reads a
YAML file keeping each key's line, validates it and turns every validation error into one
:class:`~placecast.errors.LocatedProblem`: file, line, key path, value found, what is expected and,
for a near-miss key, "did you mean". The same models are built in Python without any file, and
``placecast schema NAME`` prints their JSON Schema for editors.

Examples
--------
>>> from placecast.schema import StrictModel, validate_data
>>> class Example(StrictModel):
...     runs: int = 10
>>> validate_data(Example, {"rnus": 5}, "example.yaml", {("rnus",): 3}).problems[0].message
"unknown key 'rnus'; did you mean 'runs'? Expected one of: runs."
"""

from __future__ import annotations

import difflib
import re
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import import_module
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from placecast.errors import LocatedInputError, LocatedProblem

M = TypeVar("M", bound=BaseModel)
Loc = tuple[str | int, ...]


class StrictModel(BaseModel):
    """Base of every input-file model: unknown keys are errors; values are validated on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class InputFileError(LocatedInputError):
    """An input file does not match its schema; ``problems`` lists every problem."""

    what = "the input file"


class _Loader(yaml.SafeLoader):
    """Safe YAML: dates stay text (so a bad date is reported with its key) and decimals stay exact."""


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


GROUPED_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def number_text(text: str, symbols: str = "£") -> str:
    """A number as typed, its ``symbols`` (£, %) taken off, brackets read as a minus as accounts write
    it ((1,200) is -1200), and its commas taken out where they group thousands (£1,234.50). A comma anywhere
    else is kept, so that the text does not parse and the cell is reported: a decimal comma (87,7) is never
    read as 877, nor 1,5 as 15.

    >>> number_text("£1,234.50"), number_text("87,7"), number_text("45.5%", "%"), number_text("(1,200)")
    ('1234.50', '87,7', '45.5', '-1200')
    """
    for symbol in symbols:
        text = text.replace(symbol, "")
    text = text.strip()
    if (bracketed := re.fullmatch(r"\(\s*([0-9][0-9,.]*)\s*\)", text)) is not None:  # (1,200): accounts' negative
        text = "-" + bracketed[1]
    return text.replace(",", "") if GROUPED_THOUSANDS.fullmatch(text) else text


def folded(text: str) -> str:
    """A name as people may write it twice: case and spacing aside.

    >>> folded("  Plan   A "), folded("plan a")
    ('plan a', 'plan a')
    """
    return " ".join(text.casefold().split())


def spelled_as(words: dict[str, str]) -> Callable[[object], object]:
    """A validator that reads a word the ways people write it (case and spacing aside) as the one ``words``
    maps it to; any other value is left for the field's own type to judge (and report).

    >>> spelled_as({"on track": "on track", "on-track": "on track"})("  On-Track ")
    'on track'
    """
    def read(value: object) -> object:
        return words.get(" ".join(value.strip().lower().split()), value) if isinstance(value, str) else value

    return read


def _as_written(value: object) -> tuple[Decimal | None, bool]:
    """The number a value writes (None when it writes none; never a bool) and whether it ends with '%'."""
    text = str(value).strip()
    signed = isinstance(value, str) and text.endswith("%")
    if isinstance(value, bool):
        return None, False
    try:
        return Decimal(text[:-1].strip() if signed else text), signed
    except ArithmeticError:
        return None, signed


def fraction_text(value: object, what: str, per: str = "") -> object:
    """A fraction of 1 as written: 0.03, or a percentage with its sign ('3%', read as 0.03). A number beyond
    1 is a percentage written without its sign (3 for 3%): a ValueError saying how to write it, where the
    bound alone would say "at most 1". Anything else is left for the field's own type to judge.

    >>> fraction_text("80%", "a share"), fraction_text(0.8, "a share")
    (Decimal('0.8'), 0.8)
    """
    number, signed = _as_written(value)
    if number is not None and signed:
        return number / 100
    if number is not None and number.is_finite() and abs(number) > 1:
        text = str(value).strip()
        raise ValueError(f"{what} is a fraction of 1: write {number / 100} (or {text}%) for {text}%{per}")
    return value


def percent_text(value: object) -> object:
    """A percentage as written: 10, or '10%' (read as 10). A number strictly between 0 and 1 is a fraction
    written where a percentage is asked (0.1 for 10%, which would be read as a tenth of one per cent): a
    ValueError saying how to write it. Anything else is left for the field's own type to judge.

    >>> percent_text("15%"), percent_text(15)
    (Decimal('15'), 15)
    """
    number, signed = _as_written(value)
    if number is not None and signed:
        return number
    if number is not None and number.is_finite() and 0 < number < 1:
        text, per_cent = str(value).strip(), f"{float(number * 100):g}"
        raise ValueError(f"in per cent: write {per_cent} for {per_cent}% ({text} would be read as {text}%, under one "
                         "per cent)")
    return value


def _exact_float(loader: yaml.SafeLoader, node: yaml.Node) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")  # type: ignore[arg-type]
    try:
        return Decimal(text)
    except ArithmeticError:  # .inf and .nan
        return float(loader.construct_yaml_float(node))  # type: ignore[arg-type]


_Loader.add_constructor("tag:yaml.org,2002:float", _exact_float)


# marks, in a file's line map, a key written with nothing after it ('plan:'), as against 'plan: null'
WRITTEN_EMPTY = "\x00written empty"


def _line_map(node: yaml.Node, loc: Loc, out: dict[Loc, int]) -> None:
    out[loc] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value)
            out[(*loc, name)] = key.start_mark.line + 1
            _line_map(value, (*loc, name), out)
            out[(*loc, name)] = key.start_mark.line + 1
            if isinstance(value, yaml.ScalarNode) and value.value == "" and value.style is None:
                out[(*loc, name, WRITTEN_EMPTY)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_map(item, (*loc, i), out)


def parse_yaml(text: str, file: str) -> tuple[Any, dict[Loc, int]]:
    """The parsed document and the line of every key path (``("lines", 3, "name")`` -> 14).

    Raises :class:`InputFileError` for text that is not YAML, naming the line.
    """
    try:
        node = yaml.compose(text, Loader=_Loader)  # noqa: S506 (a safe loader)
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = str(mark.line + 1) if mark is not None else "-"
        raise InputFileError([LocatedProblem(file, line, "", "", f"not valid YAML ({exc}).")]) from exc
    lines: dict[Loc, int] = {}
    if node is not None:
        _line_map(node, (), lines)
        repeated = _repeated_keys(node, (), file)
        if repeated:
            raise InputFileError(repeated)
    return data, lines


def _repeated_keys(node: yaml.Node, loc: Loc, file: str) -> list[LocatedProblem]:
    """A key given twice in one mapping: YAML keeps the last silently, so the first would be read as never
    written (a cost line, a budget line's key)."""
    out: list[LocatedProblem] = []
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key, value in node.value:
            name, line = str(key.value), key.start_mark.line + 1
            if name in first and name != "<<":
                out.append(LocatedProblem(file, str(line), _key_path((*loc, name)), name, f"'{name}' is given "
                                          f"twice (lines {first[name]} and {line}); YAML would keep only the "
                                          "second: give it once."))
            first.setdefault(name, line)
            out += _repeated_keys(value, (*loc, name), file)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            out += _repeated_keys(item, (*loc, i), file)
    return out


def read_text(path: Path | str) -> str:
    """The file's text (UTF-8, with or without BOM); :class:`InputFileError` when it cannot be read."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError as exc:
        raise InputFileError([LocatedProblem(str(path), "-", "", "", "no such file; check the path.")]) from exc
    except IsADirectoryError as exc:
        raise InputFileError([LocatedProblem(str(path), "-", "", "", "a folder, not a file; give the file in it."
                                             )]) from exc
    except OSError as exc:
        raise InputFileError([LocatedProblem(str(path), "-", "", "", f"cannot be read ({exc.strerror}).")]) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:  # saved in Windows' own encoding (a £ or an é), or as UTF-16
        line = str(raw[:exc.start].count(b"\n") + 1)
        raise InputFileError([LocatedProblem(str(path), line, "", "", f"byte {raw[exc.start]:#04x} is not UTF-8 "
                                             "text; save the file as UTF-8.")]) from exc


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (``Model``, ``list[Model]``, ``A | B | None``, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]


def _is_mapping(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is dict:
        return True
    return any(_is_mapping(a) for a in typing.get_args(annotation)) if origin is not None else False


def _tag(model: type[BaseModel]) -> object:
    """The ``type`` literal that tells a member of a discriminated union apart (None if it has none)."""
    info = model.model_fields.get("type")
    args = typing.get_args(info.annotation) if info is not None else ()
    return args[0] if len(args) == 1 else None


def _field(models: list[type[BaseModel]], part: str) -> Any:
    for m in models:
        for name, info in m.model_fields.items():
            if part in (name, info.alias):
                return info
    return None


def _walk(model: type[BaseModel], loc: Sequence[Any]) -> tuple[Loc, list[type[BaseModel]]]:
    """Pydantic's error location as the user's key path (without union-member and validator names),
    and the models that could hold the keys at its end."""
    clean: list[str | int] = []
    models = [model]
    mapping_key = False
    for part in loc:
        if isinstance(part, int) or mapping_key:
            clean.append(part)
            mapping_key = False
            continue
        text = str(part)
        if "[" in text or text.startswith("function-"):
            continue
        tagged = [m for m in models if _tag(m) == text]
        if len(models) > 1 and tagged:
            models = tagged
            continue
        clean.append(text)
        info = _field(models, text)
        models = [] if info is None else _models_in(info.annotation)
        mapping_key = info is not None and _is_mapping(info.annotation)
    return tuple(clean), models


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str]:
    """The keys the schema allows at ``loc`` (a key path inside ``model``)."""
    _, models = _walk(model, loc)
    if len(models) != 1:
        return []
    return [f.alias or name for name, f in models[0].model_fields.items()]


def _key_path(loc: Sequence[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(lines: dict[Loc, int], loc: Loc) -> str:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return str(lines[loc[:end]])
    return "-"


def _description(model: type[BaseModel], error: Any, loc: Loc) -> str | None:
    """What the schema says the erring key holds, when it says."""
    _, models = _walk(model, error["loc"][:-1])
    field = models[0].model_fields.get(str(loc[-1])) if len(models) == 1 else None
    return field.description if field and field.description else None


def _message(error: Any, model: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        _, models = _walk(model, error["loc"][:-1])
        allowed = [f.alias or n for n, f in models[0].model_fields.items()] if len(models) == 1 else []
        near = difflib.get_close_matches(str(loc[-1]), allowed, n=1, cutoff=0.6)
        hint = f"; did you mean '{near[0]}'?" if near else "."
        return f"unknown key '{loc[-1]}'{hint} Expected one of: {', '.join(allowed) or 'see the schema'}."
    if kind == "missing":  # with what the key holds, when the schema says
        return f"this key is required: {said}" if (said := _description(model, error, loc)) else "this key is required."
    if kind == "union_tag_invalid":
        tags = [t.strip(" '") for t in str(error["ctx"]["expected_tags"]).split(",")]
        near = difflib.get_close_matches(str(error["ctx"]["tag"]), tags, n=1, cutoff=0.6)
        hint = f"; did you mean '{near[0]}'?" if near else "."
        return f"unknown {error['ctx']['discriminator'].strip(chr(39))} '{error['ctx']['tag']}'{hint} Expected one " \
               f"of: {', '.join(tags)}."
    if kind == "greater_than_equal" and (error.get("ctx") or {}).get("ge") == 0:  # '(1,400)' as accounts write
        what = f" ({said.rstrip('.')})" if (said := _description(model, error, loc)) else ""
        return f"may not be negative{what}: write it as a positive amount, without a minus sign or brackets."
    if "input" in error and error["input"] is None and loc:
        return "has no value: write it after the key, or remove the key if it may be left out."  # 'seed:' alone
    if kind in ("literal_error", "enum"):
        return error["msg"].replace("Input should be", "expected") + "."
    if kind == "too_short":  # an empty list or table
        needed = (error.get("ctx") or {}).get("min_length", 1)
        return f"needs at least {needed} entr{'y' if needed == 1 else 'ies'}; none were given."
    if kind.startswith(("date_", "datetime_")) and kind.endswith("_parsing"):  # 01/04/2025 and the like
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(error.get("input", "")).strip()):
            return "not a day in the calendar; check the month and the day."
        return "expected a date written as YYYY-MM-DD, for example 2025-04-01 for 1 April 2025."
    return error["msg"].removeprefix("Value error, ").replace("Input should be", "expected").rstrip(".") + "."


def _shown(value: object) -> str:
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value)[:60]


def problems_from(exc: ValidationError, model: type[BaseModel], file: str, lines: dict[Loc, int],
                  base: Loc = ()) -> list[LocatedProblem]:
    """Every pydantic error as a located problem (file, line, key path, value, what is expected)."""
    out = []
    for error in exc.errors():
        loc = (*base, *_walk(model, error["loc"])[0])
        value = "" if error["type"] == "missing" else _shown(error.get("input"))
        if error["type"] == "extra_forbidden":
            value = str(loc[-1])
        elif error["type"] == "union_tag_invalid":
            value = str(error["ctx"]["tag"])
            loc = (*loc, "type")
        out.append(LocatedProblem(file, _line_of(lines, loc), _key_path(loc), value, _message(error, model, loc)))
    return out


@dataclass
class Validated:
    """A model validated from data: the model, or every problem found."""

    model: Any = None
    problems: list[LocatedProblem] = field(default_factory=list)


def validate_data(model: type[M], data: Any, file: str, lines: dict[Loc, int] | None = None) -> Validated:
    """Validate parsed data against ``model``; problems are located with ``lines``."""
    if data is None:
        data = {}
    try:
        return Validated(model.model_validate(data))
    except ValidationError as exc:
        return Validated(None, problems_from(exc, model, file, lines or {}))


def load_file(path: Path | str, model: type[M], error: type[LocatedInputError] = InputFileError
              ) -> tuple[M, dict[Loc, int]]:
    """Read a YAML file into ``model`` and return it with the line of every key path; raise ``error``
    listing every located problem."""
    return load_text(read_text(path), str(path), model, error)


def load_text(text: str, file: str, model: type[M], error: type[LocatedInputError] = InputFileError
              ) -> tuple[M, dict[Loc, int]]:
    """Read YAML ``text`` (from ``file``) into ``model`` as :func:`load_file` does."""
    try:
        data, lines = parse_yaml(text, file)
    except InputFileError as exc:
        raise error(exc.problems) from exc
    if data is None:  # nothing but blank lines and comments: a file saved empty, which every default would pass
        raise error([LocatedProblem(file, "1", "", "", "the file is empty (or only comments): give its keys"
                                    f"{_how_to_write(model)}, or leave the file out.")])
    if not isinstance(data, dict):
        raise error([LocatedProblem(file, "1", "", _shown(data), "the file must be YAML keys and values, one "
                                    f"'key: value' a line{_how_to_write(model)}.")])
    result = validate_data(model, data, file, lines)
    if result.problems:
        raise error(result.problems)
    return typing.cast(M, result.model), lines


def read_model(path: Path | str, model: type[M], error: type[LocatedInputError] = InputFileError) -> M:
    """Read a YAML file into ``model``; raise ``error`` listing every located problem."""
    return load_file(path, model, error)[0]


def located(file: str, lines: dict[Loc, int], loc: Loc, value: object, message: str) -> LocatedProblem:
    """A problem at the key path ``loc`` of a file read by :func:`load_file`."""
    return LocatedProblem(file, _line_of(lines, loc), _key_path(loc), _shown(value), message)


def empty_keys(file: str, lines: dict[Loc, int], loc: Loc, item: BaseModel,
               fixes: dict[str, str]) -> list[LocatedProblem]:
    """Keys of ``item`` (read at ``loc``) written with nothing after them (``forecast_net_expenditure:``), each a
    problem: a key left empty is a figure forgotten, which must not be read as the key left out (a line shown at
    budget, a report with no programme); ``key: null`` says "none" on purpose and is not one. ``fixes`` says, by
    key, what leaving it out means."""
    fields = type(item).model_fields

    def message(key: str) -> str:
        number = "Decimal" in str(fields[key].annotation)  # money: 0 is a value
        then = f": {fixes[key]}" if key in fixes else ""
        return f"{key} has no value. Write it{' (0 for none)' if number else ''}, or remove the key{then}."

    return [located(file, lines, (*loc, key), "", message(key))
            for key in sorted(item.model_fields_set, key=list(fields).index)
            if getattr(item, key) is None and (*loc, key, WRITTEN_EMPTY) in lines]


def unknown_among(file: str, lines: dict[Loc, int], loc: Loc, name: str, allowed: Sequence[str], what: str
                  ) -> LocatedProblem:
    """A name at ``loc`` that is none of ``allowed``: located, with the nearest one and the list to choose from."""
    near = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    hint = f"did you mean '{near[0]}'? " if near else ""
    return located(file, lines, loc, name, f"unknown {what}; {hint}use one of {', '.join(allowed)}.")


def check_columns(header: Sequence[str], model: type[BaseModel], file: str, line: str = "1"
                  ) -> list[LocatedProblem]:
    """Unknown column names in a CSV or sheet header, each with "did you mean"."""
    allowed = [f.alias or n for n, f in model.model_fields.items()]
    problems = []
    for name in header:
        if name and name not in allowed:
            near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
            hint = f"; did you mean '{near[0]}'?" if near else "."
            problems.append(LocatedProblem(file, line, name, name, f"unknown column '{name}'{hint} Expected "
                                           f"columns: {', '.join(allowed)}."))
    return problems


def unnamed_cells(table: Sequence[Sequence[object]], columns: type[BaseModel] | Sequence[str], file: str,
                  prefix: str = "") -> list[LocatedProblem]:
    """Values under no column name in a table whose first row is its header: below a blank header cell, or
    beyond the header's last cell. Each such column is a problem at its first value (read by name, its values
    were dropped without a word: a target column whose header was deleted rated nothing); a column blank all
    the way down, as spreadsheets save, is no problem. Lines are numbered from 1 at the header, after
    ``prefix`` ("line " or "sheet Lines, row " where the file's other problems say so); ``columns``, the
    columns the table may have (or the model of its rows), are named in the message."""
    from openpyxl.utils import get_column_letter

    if not table:
        return []
    def text(value: object) -> str:  # 0 is a value
        return "" if value is None else str(value).strip()

    header = [text(h) for h in table[0]]
    names = columns if isinstance(columns, Sequence) else [f.alias or n for n, f in columns.model_fields.items()]
    allowed = ", ".join(names)
    found: dict[int, LocatedProblem] = {}
    for n, row in enumerate(table[1:], start=2):
        for i, value in enumerate(row):
            if (i >= len(header) or not header[i]) and text(value) and i not in found:
                found[i] = LocatedProblem(file, f"{prefix}{n}", get_column_letter(i + 1), str(value)[:60],
                                          f"a value in a column with no name in the header row: name the column "
                                          f"({allowed}) or delete it.")
    return [found[i] for i in sorted(found)]


# name -> (module, class, what the file is); printed by `placecast schema NAME`
SCHEMAS: dict[str, tuple[str, str, str]] = {
    "budget": ("placecast.finance.files", "BudgetFile", "budget lines, changes, reserves (YAML)"),
    "plan": ("placecast.programme.files", "PlanFile", "recovery programme plan (YAML)"),
    "scenario": ("placecast.programme.files", "ScenarioFile", "recovery scenario (YAML)"),
    "commitments": ("placecast.finance.files", "CommitmentRow", "one row of the commitments register (CSV/XLSX)"),
    "unit-costs": ("placecast.finance.files", "UnitCostsFile", "weekly unit costs (YAML)"),
    "unit-costs-row": ("placecast.finance.files", "UnitCostRow", "one row of unit costs (CSV)"),
    "indicators": ("placecast.kpi.files", "IndicatorRow", "one indicator definition (CSV row or YAML item)"),
    "indicator-values": ("placecast.kpi.files", "IndicatorValuesRow", "one row of indicator values"),
    "rag-rules": ("placecast.kpi.files", "RulesFile", "RAG and direction-of-travel thresholds (YAML)"),
    "taxonomy": ("placecast.ssda903.taxonomy", "TaxonomyFile", "placement taxonomy (YAML)"),
    "commentary": ("placecast.quarter.config", "CommentaryFile", "report commentary (YAML)"),
    "report-config": ("placecast.quarter.config", "ReportConfig", "report configuration (YAML)"),
    "forecast-settings": ("placecast.model.settings", "ForecastSettings", "demand forecast settings"),
    "capacity": ("placecast.regional.files", "CapacityFile", "a region's beds by placement category (YAML)"),
}


# the built-in file that shows how each YAML input is written (placecast defaults NAME)
EXAMPLES = {"budget": "demo-budget", "plan": "demo-plan", "scenario": "scenario", "unit-costs": "unit-costs",
            "rag-rules": "rag-rules", "taxonomy": "taxonomy", "commentary": "demo-commentary",
            "report-config": "report-config"}


def _how_to_write(model: type[BaseModel]) -> str:
    """Where to see how a file of ``model`` is written: its schema, and a built-in example if there is one."""
    name = next((k for k, (_, cls, _) in SCHEMAS.items() if cls == model.__name__), None)
    if name is None:
        return ""
    example = f"; an example: 'placecast defaults {EXAMPLES[name]}'" if name in EXAMPLES else ""
    return f" (its keys: 'placecast schema {name}'{example})"


def schema_model(name: str) -> type[BaseModel]:
    """The model class registered as ``name`` (see :data:`SCHEMAS`)."""
    module, cls, _ = SCHEMAS[name]
    return typing.cast(type[BaseModel], getattr(import_module(module), cls))


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of the input file ``name``, for an editor to validate YAML as it is typed."""
    model = schema_model(name)
    schema = model.model_json_schema(by_alias=True)
    schema.setdefault("title", model.__name__)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
