"""Check settings as the measurement reads them, from the mappings a spec would write: tests keep
their settings as short dicts and hand each check its typed settings (``spec/settings.py``)."""

from mechanisms.spec import registry
from mechanisms.spec.settings import CircuitSearch, Selector


def typed(kind: str, fields: dict):
    """``fields`` as a check of ``kind`` reads them, every default filled in."""
    return registry.CHECK_KINDS[kind].settings_of(fields)


def selector(fields: dict) -> Selector:
    return Selector.from_spec(fields)


def search(fields: dict) -> CircuitSearch:
    return CircuitSearch.from_spec(fields)
