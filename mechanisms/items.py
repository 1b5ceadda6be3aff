"""pytest collection nodes: a spec file yields one item per spec x model x checkpoint.

Node ids read ``mechanisms/specs/induction.yaml::induction-heads[zoo-890k@step1024]``, so
``-k``, ``--lf``, ``-m`` and IDEs work. Each item carries its ``xdist_group`` mark from the
moment it is built (marks added later in collection hooks are not reliably seen by xdist).

Outcomes follow the spec's expectation for the cell: a claim that holds where expected passes;
a claim that is absent where the spec says it should be absent is an ``xfail``; any
disagreement fails, so the bundled suite is green exactly when the zoo matches its emergence
table. A spec that does not parse becomes one failing item; the other specs still run.
"""

import re

import pytest

from .spec import SpecError, load_spec

RECORD_KEY = "mechanisms.cell"  # the user_properties key that carries a cell's record
PLAN_KEY = pytest.StashKey()  # the run's cells (mechanisms.plugin.Plan)
OPTIONS_KEY = pytest.StashKey()  # measuring options: threads, device, allow_download
_SPEC_MARKER = re.compile(r"^(claim|checks)\s*:", re.M)


def looks_like_spec(path) -> bool:
    if path.suffix not in (".yaml", ".yml"):
        return False
    try:
        return bool(_SPEC_MARKER.search(path.read_text(errors="replace")))
    except OSError:
        return False


class ClaimMismatch(Exception):
    """The measured claim disagrees with what the spec expects for this cell."""


class SpecFile(pytest.File):
    def collect(self):
        try:
            spec = load_spec(self.path)
        except SpecError as error:
            yield InvalidSpecItem.from_parent(self, name="<invalid spec>", error=error)
            return
        plan = self.config.stash[PLAN_KEY]
        cells = plan.cells  # built once per run; a bad option value becomes plan.error
        if plan.error:
            yield InvalidSpecItem.from_parent(self, name="<invalid options>", error=plan.error)
            return
        for cell in cells:
            if cell.suite in spec.applies_to:
                yield SpecItem.from_parent(self, name=f"{spec.id}[{cell.label}]", spec=spec, cell=cell)


class InvalidSpecItem(pytest.Item):
    def __init__(self, *, error, **kwargs):
        super().__init__(**kwargs)
        self.error = error

    def runtest(self):
        raise self.error

    def repr_failure(self, excinfo):
        return str(self.error)

    def reportinfo(self):
        return self.path, getattr(self.error, "line", 1) - 1, self.name


class SpecItem(pytest.Item):
    def __init__(self, *, spec, cell, **kwargs):
        super().__init__(**kwargs)
        self.spec, self.cell = spec, cell
        self.add_marker(pytest.mark.xdist_group(name=cell.group))
        self.add_marker(pytest.mark.mechanisms)
        for mark in spec.marks:
            self.add_marker(getattr(pytest.mark, mark))

    def runtest(self):
        from .evaluation import base_record, measure

        record = base_record(self.spec, self.cell)
        record["group"] = self.cell.group
        try:
            record.update(measure(self.spec, self.cell, self.config.stash[OPTIONS_KEY]))
        except Exception as exc:
            record.update(holds=None, outcome="error", error=f"{type(exc).__name__}: {exc}")
            self.user_properties.append((RECORD_KEY, record))
            raise
        record["outcome"] = "holds" if record["holds"] else "absent"
        self.user_properties.append((RECORD_KEY, record))
        self._judge(record)

    def _judge(self, record):
        if record["expected"] is None:  # unstable cell: reported, not asserted
            if not record["holds"]:
                pytest.xfail(f"absent at an unstable cell: {self._failing(record)}")
            return
        if record["holds"] == record["expected"]:
            if not record["holds"]:
                pytest.xfail(f"absent, as expected: {self._failing(record)}")
            return
        raise ClaimMismatch(record)

    @staticmethod
    def _failing(record) -> str:
        return "; ".join(c["summary"] for c in record["checks"] if not c["holds"])

    def repr_failure(self, excinfo):
        if not isinstance(excinfo.value, ClaimMismatch):
            return super().repr_failure(excinfo)
        r = excinfo.value.args[0]
        head = ("claim holds where the spec expects it absent (emerged earlier or in another size?)"
                if r["holds"] else "claim does not hold where the spec expects it")
        lines = [f"{self.spec.id} v{self.spec.version} @ {self.cell.label}: {head}", f"  claim: {self.spec.claim}"]
        lines += [f"  [{'ok' if c['holds'] else 'FAIL'}] {c['check']}: {c['summary']}" for c in r["checks"]]
        return "\n".join(lines)

    def reportinfo(self):
        return self.path, None, f"{self.spec.id}[{self.cell.label}]"

