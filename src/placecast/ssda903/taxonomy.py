"""Placement taxonomy: map (PLACE, PLACE_PROVIDER) to an analytical category.

The default lives in ``codes/taxonomy.yaml``; a council can copy and edit it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from pydantic import Field

from placecast.errors import LocatedInputError, LocatedProblem
from placecast.schema import StrictModel, load_text, located, read_text


class TaxonomyFileError(LocatedInputError):
    """The taxonomy file has problems; ``problems`` lists every one, located."""

    what = "the taxonomy file"


class TaxonomyRule(StrictModel):
    """PLACE codes (and, optionally, PLACE_PROVIDER codes) that make a placement category."""

    category: str = Field(min_length=1)
    label: str = ""
    place: list[str] = Field(min_length=1)
    provider: list[str] | None = None


class TaxonomyFile(StrictModel):
    """The placement taxonomy: ordered rules, temporary placement codes and the fallback category."""

    description: str = ""
    reference: str = ""
    categories: list[TaxonomyRule] = Field(min_length=1)
    temporary: list[str]
    fallback: str


_Rule = TaxonomyRule


@dataclass(frozen=True)
class Taxonomy:
    """Ordered rules from placement codes to categories."""

    rules: tuple[_Rule, ...]
    temporary: frozenset[str]
    fallback: str

    @property
    def categories(self) -> list[str]:
        """The categories in rule order, the fallback last."""
        seen: list[str] = []
        for rule in self.rules:
            if rule.category not in seen:
                seen.append(rule.category)
        if self.fallback not in seen:
            seen.append(self.fallback)
        return seen

    def labels(self) -> dict[str, str]:
        """Each category's label."""
        out: dict[str, str] = {}
        for rule in self.rules:
            out.setdefault(rule.category, rule.label or rule.category)
        return out

    def category_of(self, place: str, provider: str) -> str | None:
        """Category of a placement; ``None`` for a temporary placement (T0-T4)."""
        place = (place or "").strip().upper()
        provider = (provider or "").strip().upper()
        if place in self.temporary:
            return None
        for rule in self.rules:
            if place in rule.place and (rule.provider is None or provider in rule.provider):
                return rule.category
        return self.fallback


def _unknown_codes(parsed: TaxonomyFile, source: str, lines: dict) -> list[LocatedProblem]:
    """Codes no SSDA903 code list has (PR01 for PR1 sent every in-house foster placement to the fallback,
    without a word), and a fallback that is not one of the categories (it made a category of its own)."""
    from difflib import get_close_matches

    from placecast.ssda903.codelists import load_code_lists

    fields = load_code_lists().fields
    built_in = {code for rule in _default_taxonomy().rules for code in rule.place}  # with older codes (M1-M3)
    known = {"PLACE": {*fields["PLACE"].codes, *fields["PLACE"].legacy, *built_in},
             "PLACE_PROVIDER": {*fields["PLACE_PROVIDER"].codes, ""}}

    def check(loc: tuple, code: str, field: str) -> list[LocatedProblem]:
        if code.strip().upper() in known[field]:
            return []
        near = get_close_matches(code.strip().upper(), sorted(known[field]), n=1)
        return [located(source, lines, loc, code, f"not a {field} code of any year" +
                        (f"; did you mean {near[0]}?" if near else "."))]

    problems = []
    for i, rule in enumerate(parsed.categories):
        for j, code in enumerate(rule.place):
            problems += check(("categories", i, "place", j), code, "PLACE")
        for j, code in enumerate(rule.provider or []):
            problems += check(("categories", i, "provider", j), code, "PLACE_PROVIDER")
    for j, code in enumerate(parsed.temporary):
        problems += check(("temporary", j), code, "PLACE")
    providers = known["PLACE_PROVIDER"]
    taken: dict[tuple[str, str], str] = {}  # (place, provider) -> the category of the first rule that takes it
    for i, rule in enumerate(parsed.categories):
        for j, code in enumerate(rule.place):
            pairs = {(code.strip().upper(), p.strip().upper()) for p in (rule.provider or providers)}
            earlier = sorted({taken[pair] for pair in pairs if pair in taken})
            if pairs and all(pair in taken for pair in pairs):  # rules are tried in order: never reached
                problems.append(located(source, lines, ("categories", i, "place", j), code, "every such placement "
                                        f"is already taken by an earlier rule ({', '.join(earlier)}); remove it "
                                        "there or here."))
            for pair in pairs:
                taken.setdefault(pair, rule.category)
    problems += _uncovered(parsed, source, lines, fields["PLACE"].codes, sorted(providers))
    names = list(dict.fromkeys(r.category for r in parsed.categories))
    if parsed.fallback not in names:
        problems.append(located(source, lines, ("fallback",), parsed.fallback, "the fallback must be one of the "
                                f"categories above: {', '.join(names)}."))
    return problems


def _uncovered(parsed: TaxonomyFile, source: str, lines: dict, codes: Iterable[str],
               providers: list[str]) -> list[LocatedProblem]:
    """Current PLACE codes that no rule takes for some providers: a council's copy without K2 for external
    providers counted every external residential placement as the fallback ('other') without a word. The
    fallback is for codes of later years, not for today's; a council that wants a code there lists it in
    the fallback's rule."""
    temporary = {code.strip().upper() for code in parsed.temporary}
    rules = [({c.strip().upper() for c in r.place}, None if r.provider is None else
              {p.strip().upper() for p in r.provider}) for r in parsed.categories]
    problems = []
    for code in sorted(set(codes) - temporary):
        missing = [p for p in providers if not any(code in place and (given is None or p in given)
                                                   for place, given in rules)]
        if missing:
            named = [p for p in missing if p] + (["blank"] if "" in missing else [])
            who = "any provider" if len(missing) == len(providers) else \
                "PLACE_PROVIDER " + ", ".join(named[:-1]) + (" or " if len(named) > 1 else "") + named[-1]
            problems.append(located(source, lines, ("categories",), code, f"no rule takes {code} with {who}: such "
                                    f"placements would be counted as '{parsed.fallback}' (the fallback) without a "
                                    f"word. Add {code} to the rule of the category it belongs to (or to the "
                                    f"rule of '{parsed.fallback}' to count it there)."))
    return problems


def _from_text(text: str, source: str, check_codes: bool = True) -> Taxonomy:
    parsed, lines = load_text(text, source, TaxonomyFile, TaxonomyFileError)
    problems = _unknown_codes(parsed, source, lines) if check_codes else []
    if problems:
        raise TaxonomyFileError(problems)
    rules = tuple(
        TaxonomyRule(
            category=r.category,
            label=r.label,
            place=[p.upper() for p in r.place],
            provider=None if r.provider is None else [p.upper() for p in r.provider],
        )
        for r in parsed.categories
    )
    return Taxonomy(rules, frozenset(p.upper() for p in parsed.temporary), parsed.fallback)


def default_taxonomy_text() -> str:
    """The built-in taxonomy file's text."""
    return resources.files("placecast.ssda903.codes").joinpath("taxonomy.yaml").read_text(encoding="utf-8")


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the packaged default when ``path`` is None."""
    if path is None:
        return _default_taxonomy()
    return _from_text(read_text(path), str(path))


@cache
def _default_taxonomy() -> Taxonomy:
    """The packaged taxonomy, parsed once (it is immutable; each fit of a backtest asks for it)."""
    return _from_text(default_taxonomy_text(), "taxonomy.yaml (default)", check_codes=False)
