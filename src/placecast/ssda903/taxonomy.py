"""Placement taxonomy: map (PLACE, PLACE_PROVIDER) to an analytical category.

The default lives in ``codes/taxonomy.yaml``; a council can copy and edit it.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from placecast.errors import ConfigError


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    category: str
    label: str = ""
    place: list[str]
    provider: list[str] | None = None


class _TaxonomyFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    categories: list[_Rule]
    temporary: list[str]
    fallback: str


@dataclass(frozen=True)
class Taxonomy:
    """Ordered rules from placement codes to categories."""

    rules: tuple[_Rule, ...]
    temporary: frozenset[str]
    fallback: str

    @property
    def categories(self) -> list[str]:
        seen: list[str] = []
        for rule in self.rules:
            if rule.category not in seen:
                seen.append(rule.category)
        if self.fallback not in seen:
            seen.append(self.fallback)
        return seen

    def labels(self) -> dict[str, str]:
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


def _from_text(text: str, source: str) -> Taxonomy:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML ({exc}). Fix the file or copy the default again.") from exc
    try:
        parsed = _TaxonomyFile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{source}: {problems}. Compare with the default taxonomy.yaml.") from exc
    rules = tuple(
        _Rule(
            category=r.category,
            label=r.label,
            place=[p.upper() for p in r.place],
            provider=None if r.provider is None else [p.upper() for p in r.provider],
        )
        for r in parsed.categories
    )
    return Taxonomy(rules, frozenset(p.upper() for p in parsed.temporary), parsed.fallback)


def default_taxonomy_text() -> str:
    return resources.files("placecast.ssda903.codes").joinpath("taxonomy.yaml").read_text(encoding="utf-8")


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    """Load a taxonomy file, or the packaged default when ``path`` is None."""
    if path is None:
        return _from_text(default_taxonomy_text(), "taxonomy.yaml (default)")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the taxonomy file ({exc.strerror}).") from exc
    return _from_text(text, str(path))
