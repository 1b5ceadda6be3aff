"""Check settings as typed objects, every default filled in: what a spec's check says, read by
attribute.

A spec writes only the settings it needs; the loader has already checked their names and types
against the schema (``schema.py``), so building these never fails on a loaded spec. Each class
below is the one place its defaults are stated: the registry names the class of every check kind
(``CheckKind.settings``), the schema shows the defaults to spec authors, and no reader supplies a
default of its own. A spec's digest is taken from what the spec wrote (``loader.Spec.digest``),
so making a default explicit here never invalidates a stored baseline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any, ClassVar

from . import registry


def _plain(value: Any) -> Any:
    """Lists (as YAML gives them) become tuples, so that settings compare and hash by value."""
    return tuple(_plain(v) for v in value) if isinstance(value, list) else value


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Built from a spec's mapping by ``from_spec``; ``nested`` names the settings that are themselves
    settings objects (a selector, a circuit), a one-element tuple for a list of them."""

    nested: ClassVar[dict[str, Any]] = {}

    @classmethod
    def from_spec(cls, given: Mapping[str, Any]) -> Any:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValueError(f"{cls.__name__} has no setting {', '.join(unknown)}")
        return cls(**{name: cls._build(name, value) for name, value in given.items()})

    @classmethod
    def _build(cls, name: str, value: Any) -> Any:
        kind = cls.nested.get(name)
        if isinstance(kind, tuple):
            return tuple(kind[0].from_spec(v) for v in value)
        return kind.from_spec(value) if kind is not None else _plain(value)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Each optional setting's default where it has one (``None`` means "not asked for")."""
        return {f.name: f.default for f in fields(cls) if f.default not in (MISSING, None)}


@dataclass(frozen=True, kw_only=True)
class Selector(Settings):
    """Which heads: by ``score`` (with ``min`` and / or ``top``), by ``role``, by fixed ``ids``,
    or (none of those) every head in ``layers``; attention scores read on ``on``'s prompts."""

    score: str | None = None
    role: str | None = None
    ids: tuple[str, ...] | None = None
    min: float | None = None
    top: int | None = None
    layers: tuple[int, ...] | None = None
    on: str | dict | None = None  # None: the score's default prompts (``registry.default_on``)
    at_least: int | None = None  # a circuit's ``contains``: how many must be in it (None: all)

    @property
    def what(self) -> str:
        """How the selector is named in summaries."""
        return self.score or self.role or ("ids" if self.ids is not None else "all")


@dataclass(frozen=True, kw_only=True)
class CheckSettings(Settings):
    """Every check kind's settings: its own, and how far a fine-tune may move its headline."""

    tolerance: dict[str, float | str] | None = None  # {may_fall|may_rise: amount}; None: the registry's


@dataclass(frozen=True, kw_only=True)
class Behaviour(CheckSettings):
    metric: str
    min: float | None = None  # exactly one of min and max (the loader checks)
    max: float | None = None
    on: str = "clean"  # or "corrupted"


@dataclass(frozen=True, kw_only=True)
class Heads(CheckSettings, Selector):
    at_least: int = 1


@dataclass(frozen=True, kw_only=True)
class Ablation(CheckSettings):
    nested: ClassVar[dict[str, Any]] = {"heads": Selector}
    heads: Selector
    metric: str
    min_drop: float
    method: str = "mean"


@dataclass(frozen=True, kw_only=True)
class Path(CheckSettings):
    nested: ClassVar[dict[str, Any]] = {"senders": Selector, "receivers": Selector}
    senders: Selector
    receivers: Selector
    metric: str
    min_damage: float
    into: str = "q"
    normalise: str = "gap"  # or "clean"
    attention_shift: bool = False
    screen: float | None = None
    at_least: int = 1


@dataclass(frozen=True, kw_only=True)
class CircuitSearch(Settings):
    """How a circuit is found (a ``circuit`` check's, or the circuit another check reads)."""

    metric: str
    method: str = "eap-ig"
    ig_steps: int = registry.IG_STEPS  # EAP integrates in one step whatever this says
    faithfulness: str = "ratio"
    threshold: float = registry.FAITHFULNESS_THRESHOLD
    min_metric: float = registry.MIN_BASELINE
    cap: int = registry.CIRCUIT_CAP
    batch_size: int | None = None


@dataclass(frozen=True, kw_only=True)
class Circuit(CheckSettings, CircuitSearch):
    nested: ClassVar[dict[str, Any]] = {"contains": Selector}
    max_edges: int | None = None
    max_nodes: int | None = None
    base_overlap: float | None = None
    contains: Selector | None = None

    def search(self) -> CircuitSearch:
        """Only how the circuit is found, so that checks judging one circuit share it."""
        return CircuitSearch(**{f.name: getattr(self, f.name) for f in fields(CircuitSearch)})


@dataclass(frozen=True, kw_only=True)
class Share(CheckSettings):
    nested: ClassVar[dict[str, Any]] = {"heads": (Selector,), "in_circuit": CircuitSearch}
    heads: tuple[Selector, ...]
    score: str
    min: float
    in_circuit: CircuitSearch | None = None


@dataclass(frozen=True, kw_only=True)
class GreaterThanAlgorithm(CheckSettings):
    nested: ClassVar[dict[str, Any]] = {"circuit": CircuitSearch}
    circuit: CircuitSearch
    min_mlp_boost: float
    min_yy_attention: float | None = None
    at_least: int = 1


@dataclass(frozen=True, kw_only=True)
class SeriesSettings(Settings):
    """A claim over a series of cells (``across:``): which check it reads and on which
    checkpoints it is judged."""

    check: int | None = None  # stability: the loader fills in the spec's first circuit check
    checkpoints: str | None = None  # None: the run's checkpoints

    def rule(self) -> dict[str, Any]:
        """The settings a series record keeps (those given or defaulted; lists as JSON has them)."""
        given = {f.name: getattr(self, f.name) for f in fields(self)}
        return {k: list(v) if isinstance(v, tuple) else v for k, v in given.items() if v is not None}


@dataclass(frozen=True, kw_only=True)
class Stability(SeriesSettings):
    min: float
    of: str = "edges"  # or "nodes"
    weighted: bool = False
    compare: str = "consecutive"  # or "final"
    ewma: float | None = None  # None: no smoothing
    from_step: int = 0


@dataclass(frozen=True, kw_only=True)
class Emergence(SeriesSettings):
    within: float = registry.EMERGENCE_WITHIN
    sizes: tuple[str, ...] | None = None  # sizes that must show an onset (None: none required)
