"""docs/suites.md: its example spec validates, asserts the suite it names and nothing else."""

import re
from pathlib import Path

from mechanisms.spec.loader import parse_spec

DOC = Path(__file__).parents[2] / "docs" / "suites.md"


def test_the_example_asserts_only_the_suite_it_names():
    (text,) = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), re.S)
    spec = parse_spec(text, str(DOC))
    assert spec.expected("zoo", "zoo-40k", 0) is True  # `zoo: all`: every cell
    assert spec.expected("pythia", "pythia-70m", 143000) is None  # not named: reported only


def test_the_page_names_the_places_a_suite_is_added():
    text = DOC.read_text()
    for name in ("catalogue/suites.py", "get_suite", "SUITE_NAMES", "--mech-update-expect"):
        assert name in text
    from mechanisms.catalogue import suites

    assert hasattr(suites, "get_suite") and hasattr(suites, "SUITE_NAMES")
