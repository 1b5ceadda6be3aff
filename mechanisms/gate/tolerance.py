"""How far a candidate's value may move from its base's the bad way.

A spec writes ``tolerance: {may_fall: "20%"}`` (relative to the base's magnitude) or
``{may_fall: 0.1}`` (absolute) on a check, ``may_rise`` for values that are better low; without
one the registry's default for the check's metric or score applies (``registry.default_tolerance``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..spec import registry
from ..spec.settings import CheckSettings


@dataclass(frozen=True)
class Tolerance:
    direction: str  # "may_fall" or "may_rise"
    amount: float
    relative: bool
    source: str  # "spec" or "default"

    @classmethod
    def for_check(cls, kind: str, settings: CheckSettings) -> Tolerance:
        direction = registry.bad_direction(kind, settings)
        given = settings.tolerance
        if given:
            (direction, amount), source = next(iter(given.items())), "spec"
        else:
            amount, source = registry.default_tolerance(kind, settings), "default"
        if isinstance(amount, str):
            return cls(direction, float(amount.rstrip("%")) / 100, True, source)
        return cls(direction, float(amount), False, source)

    def allowed(self, base: float) -> float:
        return self.amount * abs(base) if self.relative else self.amount

    def within(self, base: float, candidate: float) -> bool:
        if self.direction == "may_fall":
            return candidate >= base - self.allowed(base) - 1e-12
        return candidate <= base + self.allowed(base) + 1e-12

    def text(self) -> str:
        amount = f"{self.amount:.0%}" if self.relative else f"{self.amount:g}"
        return f"may {self.direction.removeprefix('may_')} by at most {amount}"
