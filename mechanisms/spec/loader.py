"""Load and validate mechanism specs (YAML) strictly, reporting file, line and field.

Validation has two layers: the JSON Schema from ``mechanisms.schema`` (unknown keys, wrong
types, unknown names), then the rules a schema cannot say (exactly one of ``min``/``max``, a
metric that reads the task's answer format, a score that needs another task's data, task
parameters). A spec that asserts nothing cannot be written: ``checks`` needs one entry.
"""

import difflib
import hashlib
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..catalogue.checkpoints import SelectionError, select_steps, step_label
from ..catalogue.suites import SUITE_NAMES, get_suite
from . import registry
from .schema import spec_schema

ALL = "all"  # `expect: {SUITE: all}`: the claim holds at every cell of that suite
MAX_ERRORS = 20  # problems reported per spec; a file that breaks more is mostly not a spec


class SpecError(Exception):
    """A spec that cannot be used; ``str()`` is one ``file:line: field: message`` line per
    problem found (every problem, up to ``MAX_ERRORS``, so one edit fixes them all)."""

    def __init__(self, path, line: int, where: str, message: str, more: tuple = ()):
        self.path, self.line, self.where, self.message = Path(path), line, where, message
        self.problems = ((line, where, message), *more)  # (line, field, message), in file order
        lines = [f"{path}:{l}: {w}: {m}" for l, w, m in self.problems]
        super().__init__("\n".join(lines))

    @classmethod
    def of(cls, path, problems: list[tuple[int, str, str]]) -> "SpecError":
        """One error for several problems: sorted by line, at most ``MAX_ERRORS`` (and a count)."""
        problems = sorted(dict.fromkeys(problems), key=lambda p: p[0])
        shown = problems[:MAX_ERRORS]
        if len(problems) > MAX_ERRORS:
            shown.append((shown[-1][0], "(spec)", f"more problems not shown (at most {MAX_ERRORS} are)"))
        return cls(path, *shown[0], more=tuple(shown[1:]))


@dataclass(frozen=True)
class Check:
    kind: str
    fields: dict
    by_suite: dict
    line: int
    index: int

    def for_suite(self, suite: str | None) -> dict:
        """The settings as the spec writes them for ``suite`` (what its digest hashes)."""
        return {**self.fields, **self.by_suite.get(suite, {})}

    def settings(self, suite: str | None) -> Any:
        """The settings for ``suite``, typed, every default filled in (``settings.py``): what
        the measurement, the gate and the reports read."""
        return registry.CHECK_KINDS[self.kind].settings_of(self.for_suite(suite))

    def label(self) -> str:
        return f"{self.kind}[{self.index}]"


@dataclass(frozen=True)
class Expectation:
    """Where a claim should hold in one suite: ``sizes`` is "all", a list of sizes, or a mapping
    size -> first step (each size's own emergence point); other sizes are expected absent."""

    sizes: Any = "all"  # "all", a tuple of sizes, or {size: onset step}
    from_step: int = 0
    holds: bool = True
    unstable: tuple = ()  # "size@stepN" cells that flip either way: measured, reported, not asserted
    not_covered: tuple = ()  # "all", "size" or "size@<stepN": cells the expectation's source lacks

    def expected(self, size: str, step: int | None) -> bool | None:
        if f"{size}@{step_label(step)}" in self.unstable or self._uncovered(size, step):
            return None
        if not self.holds:
            return False
        if isinstance(self.sizes, dict):
            if size not in self.sizes:
                return False
            onset = self.sizes[size]
        elif self.sizes != "all" and size not in self.sizes:
            return False
        else:
            onset = self.from_step
        return step is None or step >= onset

    def _uncovered(self, size: str, step: int | None) -> bool:
        for entry in self.not_covered:
            name, _, before = entry.partition("@<step")
            if name in (size, "all") and (not before or (step is not None and step < int(before))):
                return True
        return False


@dataclass(frozen=True)
class SeriesClaim:
    """A claim over a series of the spec's cells (``across:``): ``stability`` is one test item per
    size (its checkpoints), ``emergence`` one per suite (its sizes)."""

    kind: str
    name: str
    settings: Any  # settings.Stability or settings.Emergence, defaults filled
    expect: dict  # suite -> Expectation (for stability: which sizes; for emergence: holds)
    line: int

    def expected(self, suite: str, size: str = "") -> bool | None:
        """None (reported, not asserted) in a suite that neither this claim's ``expect`` nor
        its spec's names."""
        expectation = self.expect.get(suite)
        return None if expectation is None else expectation.expected(size, None)


@dataclass(frozen=True)
class Spec:
    path: Path
    id: str
    version: int
    claim: str
    task: str
    task_params: dict
    task_by_suite: dict
    checks: tuple
    applies_to: tuple
    expect: dict
    marks: tuple = ()
    id_line: int = 1
    sizes_only: dict = field(default_factory=dict)  # suite -> the only sizes it applies to
    series: tuple = ()  # SeriesClaims (``across:``)

    def applies(self, cell: Any) -> bool:
        """Whether the spec has a cell here (``applies_to: [zoo:zoo-890k]`` limits sizes)."""
        only = self.sizes_only.get(cell.suite)
        return cell.suite in self.applies_to and (only is None or cell.extra or cell.size in only)

    def params_for(self, suite: str | None) -> dict:
        return {**self.task_params, **self.task_by_suite.get(suite, {})}

    def digest(self, suite: str) -> str:
        """What in the spec changes its numbers in ``suite``: the task, its parameters (the
        prompts' seed among them) and the checks with their thresholds (a baseline keeps it)."""
        body = {
            "task": self.task,
            "params": self.params_for(suite),
            "checks": [[c.kind, c.for_suite(suite)] for c in self.checks],
        }
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]

    def expected(self, suite: str, size: str, step: int | None) -> bool | None:
        """Whether the claim should hold at this cell; ``None``: measured and reported, not
        asserted (a suite the spec's ``expect`` does not name, an unstable or not-covered cell).
        A new suite asserts nothing until a spec names it (``expect: {SUITE: all}``)."""
        expectation = self.expect.get(suite)
        return None if expectation is None else expectation.expected(size, step)


# --- YAML with line numbers -------------------------------------------------------------


class SpecLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` with YAML 1.2's booleans: only true/false. Under YAML 1.1 the keys
    ``on``, ``off``, ``yes`` and ``no`` become booleans, so ``on: task`` would be ``True: task``."""


SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first_char in "tTfF":
    SpecLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list(_first_char)
    )

MAX_SPEC_BYTES = 256 * 1024  # the largest bundled spec is under 3 KiB
MAX_NODES = 20_000  # YAML nodes after alias expansion (an alias bomb expands to billions)
MAX_DEPTH = 32


def _lines(node, path=(), out=None) -> dict:
    """``{field path: line}`` for every node, refusing duplicate keys, alias bombs and deep nests."""
    out = {} if out is None else out
    if len(out) >= MAX_NODES or len(path) > MAX_DEPTH:
        why = (
            f"more than {MAX_NODES} YAML nodes once aliases are expanded"
            if len(out) >= MAX_NODES
            else f"nested deeper than {MAX_DEPTH} levels"
        )
        raise ValueError((node.start_mark.line + 1, path, f"too large: {why}"))
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen = set()
        for key, value in node.value:
            name = key.value
            if name in seen:
                raise ValueError((key.start_mark.line + 1, path + (name,), "duplicate key"))
            seen.add(name)
            out[path + (name,)] = key.start_mark.line + 1
            _lines(value, path + (name,), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, path + (i,), out)
    return out


def _line_of(lines: dict, path: tuple) -> int:
    while path not in lines and path:
        path = path[:-1]
    return lines.get(path, 1)


def _where(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


# --- a small JSON Schema validator (the subset the spec schema uses) ------------------------

_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
}


def _type_ok(value, names) -> bool:
    for name in [names] if isinstance(names, str) else names:
        if isinstance(value, bool) and name != "boolean":
            continue
        if isinstance(value, _TYPES[name]):
            return True
    return False


def _did_you_mean(value: Any, choices: list) -> str:
    """`` (did you mean 'x'?)`` for a misspelt name, else nothing."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1, cutoff=0.8)
    return f" (did you mean {close[0]!r}?)" if close else ""


def schema_errors(value: Any, schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """Yield ``(path, message)`` for every way ``value`` breaks ``schema``."""
    if "const" in schema and value != schema["const"]:
        yield path, f"must be {schema['const']!r}, got {value!r}"
        return
    if "enum" in schema and value not in schema["enum"]:
        yield (
            path,
            f"unknown value {value!r}{_did_you_mean(value, schema['enum'])}; expected one of: {', '.join(map(str, schema['enum']))}",
        )
        return
    if "not" in schema and value in schema["not"].get("enum", ()):
        yield path, f"{value!r} is reserved (pytest's or this plugin's own mark); use a name of your own"
        return
    if "type" in schema and not _type_ok(value, schema["type"]):
        yield (
            path,
            f"must be {schema['type'] if isinstance(schema['type'], str) else ' or '.join(schema['type'])}, got {type(value).__name__} {value!r}",
        )
        return
    if isinstance(value, float) and not math.isfinite(value):
        yield path, f"must be a finite number, got {value}"
        return
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            yield path, "must not be empty"
        if len(value) > schema.get("maxLength", len(value)):
            yield path, f"is {len(value)} characters long; at most {schema['maxLength']}"
        if "pattern" in schema and not re.match(schema["pattern"], value):
            yield path, f"{value!r} does not match {schema['pattern']}"
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value < schema.get("minimum", value)
    ):
        yield path, f"must be >= {schema['minimum']}, got {value}"
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and "exclusiveMinimum" in schema
        and value <= schema["exclusiveMinimum"]
    ):
        yield path, f"must be > {schema['exclusiveMinimum']}, got {value}"
    if (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and value > schema.get("maximum", value)
    ):
        yield path, f"must be <= {schema['maximum']}, got {value}"
    if isinstance(value, list):
        yield from _array_errors(value, schema, path)
    if isinstance(value, dict):
        yield from _object_errors(value, schema, path)


def _array_errors(value: list, schema: dict, path: tuple):
    if len(value) < schema.get("minItems", 0):
        yield path, f"needs at least {schema['minItems']} item(s)"
    if len(value) > schema.get("maxItems", len(value)):
        yield path, f"has {len(value)} items; at most {schema['maxItems']}"
        return
    for i, item in enumerate(value):
        if "items" in schema:
            yield from schema_errors(item, schema["items"], path + (i,))


def _object_errors(value: dict, schema: dict, path: tuple):
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            yield path, f"missing required field {name!r}"
    if len(value) < schema.get("minProperties", 0):
        yield path, f"needs one of: {', '.join(props)}"
    if len(value) > schema.get("maxProperties", len(value)):
        yield (
            path,
            f"has {len(value)} keys ({', '.join(value)}); exactly one of {', '.join(props)} is allowed",
        )
    for key, item in value.items():
        if "propertyNames" in schema:
            errs = list(schema_errors(key, schema["propertyNames"], path + (key,)))
            if errs:
                yield errs[0]
                continue
        if key in props:
            yield from schema_errors(item, props[key], path + (key,))
        elif schema.get("additionalProperties") is False:
            hint = f"; known: {', '.join(props)}" if props else ""
            yield path + (key,), f"unknown field {key!r}{hint}"
        elif isinstance(schema.get("additionalProperties"), dict):
            yield from schema_errors(item, schema["additionalProperties"], path + (key,))


# --- semantic rules ------------------------------------------------------------------------


def _semantic_errors(data: dict):
    task = data["task"]["name"]
    yield from _param_errors(task, data["task"].get("params", {}), ("task", "params"))
    for suite, params in data["task"].get("by_suite", {}).items():
        yield from _param_errors(task, params, ("task", "by_suite", suite))
    kinds = spec_schema()["properties"]["checks"]["items"]["properties"]
    yield from _expect_errors(data.get("expect", {}))
    yield from _applies_to_errors(data.get("applies_to", ()))
    yield from _layer_errors(data)
    yield from _series_errors(data)
    for i, check in enumerate(data["checks"]):
        kind, body = next(iter(check.items()))
        yield from _check_errors(task, kind, body, ("checks", i, kind))
        for suite, override in body.get("by_suite", {}).items():
            where = ("checks", i, kind, "by_suite", suite)
            props = {k: v for k, v in kinds[kind]["properties"].items() if k != "by_suite"}
            yield from schema_errors(
                override, {"type": "object", "properties": props, "additionalProperties": False}, where
            )
            yield from _check_errors(task, kind, {**body, **override}, where)


def _series_errors(data: dict) -> Iterator[tuple[tuple, str]]:
    """A series claim reads a check of its spec (stability: a circuit check) and names sizes
    that exist; item names are unique in the spec."""
    kinds = [next(iter(c)) for c in data["checks"]]
    names = {data["id"]}
    for i, entry in enumerate(data.get("across", ())):
        kind, body = next(iter(entry.items()))
        where = ("across", i, kind)
        name = body.get("name", f"{data['id']}-{SERIES_SUFFIX[kind]}")
        if name in names:
            yield (
                (*where, "name") if "name" in body else where,
                (f"{name!r} names another item of this spec; give each a distinct name"),
            )
        names.add(name)
        yield from _expect_errors(body.get("expect", {}), (*where, "expect"))
        if "checkpoints" in body:
            for suite in sorted(_suites(data) & set(SUITE_NAMES)):
                message = _grid_error(suite, body["checkpoints"])
                if message:
                    yield (*where, "checkpoints"), message
                    break
        if "check" in body and body["check"] >= len(kinds):
            yield (*where, "check"), f"the spec has {len(kinds)} check(s): index 0..{len(kinds) - 1}"
        if kind == "stability":
            circuits = [j for j, k in enumerate(kinds) if k == "circuit"]
            index = body.get("check", circuits[0] if circuits else None)
            if index is None or index >= len(kinds) or kinds[index] != "circuit":
                yield (
                    (*where, "check") if "check" in body else where,
                    (
                        "stability compares circuits: it reads a `circuit` check of this spec, "
                        + ("which has none" if not circuits else f"e.g. check {circuits[0]}")
                    ),
                )
            if body.get("weighted") and body.get("of") == "nodes":
                yield (*where, "weighted"), "weights are edge scores: weighted applies to `of: edges`"
        else:
            for suite, e in body.get("expect", {}).items():
                if e != ALL and set(e) & {"sizes", "from_step", "unstable"}:
                    yield (
                        (*where, "expect", suite),
                        ("an emergence claim is one item per suite: expect `holds` or `not_covered` only"),
                    )
            known = {s for suite in SUITE_NAMES if suite in _suites(data) for s in _suite_sizes(suite)}
            for j, size in enumerate(body.get("sizes", ())):
                if size not in known:
                    yield (*where, "sizes", j), f"no suite this spec applies to has a size {size!r}"


SERIES_SUFFIX = {"stability": "stable", "emergence": "emerges"}


def _grid_error(suite_name: str, selection: str) -> str | None:
    """A series claim's checkpoints must exist in every suite with checkpoints it applies to."""
    try:
        suite = get_suite(suite_name)
    except (KeyError, FileNotFoundError):
        return None
    for size in suite.sizes.values():
        if size.steps:
            try:
                select_steps(selection, list(size.steps), list(suite.default_steps))
            except SelectionError as exc:
                return f"{suite_name}: {exc}".replace("--checkpoints=", "")
    return None


def _suites(data: dict) -> set[str]:
    return {a.partition(":")[0] for a in data.get("applies_to", SUITE_NAMES)}


def _suite_sizes(name: str) -> tuple:
    try:
        return tuple(get_suite(name).sizes)
    except (KeyError, FileNotFoundError):
        return ()


def _param_errors(task: str, params: dict, path: tuple):
    table = registry.TASKS[task].params
    for name, value in params.items():
        if name not in table:
            yield path + (name,), f"unknown parameter {name!r} for task {task!r}; known: {', '.join(table)}"
        elif not _type_ok(value, {int: "integer", str: "string", float: "number"}[table[name][0]]):
            yield path + (name,), f"must be {table[name][0].__name__}, got {value!r}"
        else:
            message = _param_value_error(name, value)
            if message:
                yield path + (name,), message


def _param_value_error(name: str, value) -> str | None:
    if name in registry.PARAM_BOUNDS:
        low, high = registry.PARAM_BOUNDS[name]
        if not low <= value <= high:
            return f"must be between {low} and {high}, got {value}"
    if name in registry.PARAM_CHOICES:
        known = registry.PARAM_CHOICES[name]
        unknown = [v.strip() for v in value.split(",")] if name == "constructions" else [value]
        unknown = [v for v in unknown if v not in known]
        if unknown:
            hint = _did_you_mean(unknown[0], list(known)) if len(unknown) == 1 else ""
            return f"unknown value {', '.join(map(repr, unknown))}{hint}; known: {', '.join(known)}"
    if name == "pool" and value != "all":
        try:
            re.compile(value)
        except re.error as exc:
            return f"not a valid regular expression ({exc})"
    return None


# checks that read a circuit found by these settings (besides the ``circuit`` check itself)
CIRCUIT_FIELDS = {"share": "in_circuit", "greater_than_algorithm": "circuit"}


def _check_errors(task: str, kind: str, body: dict, path: tuple):
    circuit_at = CIRCUIT_FIELDS.get(kind)
    if circuit_at in body:
        yield from _check_errors(task, "circuit", body[circuit_at], path + (circuit_at,))
    if kind == "greater_than_algorithm" and task != "greater_than":
        yield (
            path,
            "greater_than_algorithm reads the years of the greater-than task: task 'greater_than' only",
        )
    if task in registry.CLEAN_ONLY_TASKS:
        needs_corrupted = (
            kind in ("path", "circuit")
            or (kind == "ablation" and body.get("method") == "interchange")
            or body.get("on") == "corrupted"
        )
        if needs_corrupted:
            yield (
                path,
                (
                    f"task {task!r} has no corrupted prompts, which this check needs; tasks with "
                    f"them: {', '.join(t for t in registry.TASKS if t not in registry.CLEAN_ONLY_TASKS)}"
                ),
            )
    if "metric" in body:
        answer = registry.TASKS[task].answer
        if registry.METRICS[body["metric"]].answer != answer:
            fitting = [m for m, e in registry.METRICS.items() if e.answer == answer]
            yield (
                path + ("metric",),
                f"{body['metric']!r} does not apply to task {task!r}; use one of: {', '.join(fitting)}",
            )
    if "screen" in body and task != "ioi":
        yield path + ("screen",), "screen patches from IOI's S2=IO prompts: task 'ioi' only"
    if body.get("attention_shift") and task != "ioi":
        yield (
            path + ("attention_shift",),
            "attention_shift reads IOI's END, IO and S1 positions: task 'ioi' only",
        )
    settings = _settings(kind, body)
    if settings is not None and isinstance(settings.tolerance, dict):
        direction = registry.bad_direction(kind, settings)
        for given in settings.tolerance:
            if given != direction:
                yield (
                    path + ("tolerance", given),
                    f"this check's value is better {'high' if direction == 'may_fall' else 'low'}: "
                    f"give how far it {direction.replace('_', ' ')} ({direction}: ...)",
                )
    if kind == "behaviour" and ("min" in body) == ("max" in body):
        yield path, "give exactly one threshold: min (holds when metric >= min) or max (metric <= max)"
    selectors: dict[tuple, dict]
    if kind == "heads":
        selectors = {(): body}
    elif kind == "share":
        selectors = {("heads", i): sel for i, sel in enumerate(body["heads"])}
    else:
        selectors = {(k,): body[k] for k in ("heads", "senders", "receivers", "contains") if k in body}
    for where, sel in selectors.items():
        yield from _selector_errors(task, sel, path + where)
    if kind == "share":
        yield from _score_task_errors(task, body["score"], path + ("score",))


def _settings(kind: str, body: dict) -> Any:
    """The check's typed settings, or None where the schema has already refused them (a
    suite's override with an unknown field)."""
    try:
        return registry.CHECK_KINDS[kind].settings_of({k: v for k, v in body.items() if k != "by_suite"})
    except (TypeError, ValueError):
        return None


def _score_task_errors(task: str, name: str, path: tuple):
    score, role = registry.HEAD_SCORES.get(name), registry.ROLES.get(name)
    tasks = score.tasks if score else role.tasks if role else ()
    if tasks and not (score and score.portable) and task not in tasks:
        yield path, f"{name!r} is measured on task {tasks[0]!r}, not on {task!r}"


def _selector_errors(task: str, sel: dict, path: tuple):
    chosen = [k for k in ("score", "role", "ids") if k in sel]
    if len(chosen) > 1 and set(chosen) != {"ids", "score"}:
        yield (
            path,
            (
                "select heads with one of: score, role, ids (ids may add a score to check); "
                "none of them: every head, or every head in `layers`"
            ),
        )
        return
    if "on" in sel:
        yield from _on_errors(task, sel, path + ("on",))
    if not chosen:
        if "min" in sel:
            yield path + ("min",), "min thresholds a score: give score (or role) with it"
        return
    if chosen == ["score"] and "min" not in sel and "top" not in sel:
        yield path, "a score selector needs a threshold (min) or a count (top)"
    if chosen == ["ids"] and "min" in sel:
        yield path + ("min",), "min thresholds a score: give the score the ids must reach"
    for name in ("top", "layers"):
        if "ids" in chosen and name in sel:
            yield path + (name,), f"{name} narrows heads chosen by score or role; ids names its heads"
    if chosen == ["role"] and "min" in sel and not registry.role_higher_is_stronger(sel["role"]):
        first = registry.ROLES[sel["role"]].rule[0]
        yield (
            path + ("min",),
            f"min keeps a role's heads whose {first[0]} score is >= min, but {sel['role']!r} ranks "
            f"its heads lowest first ({first[0]} {first[1]} {first[2]}); select with score: "
            f"{first[0]} and ids or top instead",
        )
    yield from _score_task_errors(task, sel[chosen[0]], path + (chosen[0],)) if chosen[0] != "ids" else ()


def _on_errors(task: str, sel: dict, path: tuple):
    """``on`` names the prompts attention-pattern scores are read on (``registry.PROMPT_SETS``)."""
    scores = (
        [s for s, _, _ in registry.ROLES[sel["role"]].rule]
        if sel.get("role") in registry.ROLES
        else [sel["score"]]
        if sel.get("score") in registry.HEAD_SCORES
        else []
    )
    portable = [s for s in scores if registry.HEAD_SCORES[s].portable]
    if not portable:
        yield (
            path,
            (
                "on names the prompts attention-pattern scores are read on "
                f"({', '.join(s for s, e in registry.HEAD_SCORES.items() if e.portable)}); "
                + (
                    f"{', '.join(scores)} reads the spec's own data"
                    if scores
                    else "this selector reads no score"
                )
            ),
        )
        return
    on = sel["on"]
    if isinstance(on, str):
        if on != "task":
            yield (
                path,
                f"unknown value {on!r}; expected 'task' or a prompt set: {', '.join(registry.PROMPT_SETS)}",
            )
            return
        repeated = [s for s in portable if not registry.HEAD_SCORES[s].any_prompts]
        if repeated and task not in registry.PROMPT_SETS:
            yield (
                path,
                (
                    f"{', '.join(repeated)} reads repeated spans, which task {task!r} does not have: "
                    "read it on: {repeated_tokens: {...}}"
                ),
            )
        return
    if len(on) != 1 or next(iter(on)) not in registry.PROMPT_SETS:
        yield path, f"a prompt set is one of: {', '.join(registry.PROMPT_SETS)}, with its parameters"
        return
    ((name, params),) = on.items()
    if not isinstance(params, dict):
        yield path + (name,), f"must be a mapping of {name}'s parameters, got {params!r}"
        return
    yield from _param_errors(name, params, path + (name,))


def _expect_errors(expect: dict, at: tuple = ("expect",)) -> Iterator[tuple[tuple, str]]:
    """Sizes, steps and cells named in ``expect`` must exist in the suite's catalogue."""
    for suite_name, e in expect.items():
        try:
            suite = get_suite(suite_name)
        except (KeyError, FileNotFoundError) as exc:
            yield (*at, suite_name), str(exc).strip("'\"")
            continue
        if e == ALL:
            continue
        where = (*at, suite_name)
        sizes = e.get("sizes", "all")
        named = [] if sizes == "all" else [sizes] if isinstance(sizes, str) else list(sizes)
        for name in named:
            if name not in suite.sizes:
                yield (
                    (*where, "sizes", name),
                    f"suite {suite_name!r} has no size {name!r}; sizes: {', '.join(suite.sizes)}",
                )
        onsets: list[tuple[tuple, str, int]] = (
            [((*where, "sizes", n), n, step) for n, step in sizes.items()] if isinstance(sizes, dict) else []
        )
        if "from_step" in e:
            onsets += [((*where, "from_step"), n, e["from_step"]) for n in (named or list(suite.sizes))]
        for path, name, step in onsets:
            message = _step_error(suite, name, step)
            if message:
                yield path, message
                break
        for i, cell in enumerate(e.get("unstable", ())):
            message = _cell_error(suite, cell)
            if message:
                yield (*where, "unstable", i), message
        for i, entry in enumerate(e.get("not_covered", ())):
            name = entry.partition("@")[0]
            if name != "all" and name not in suite.sizes:
                yield (*where, "not_covered", i), f"suite {suite_name!r} has no size {name!r}"


def _step_error(suite, size_name: str, step: int) -> str | None:
    known = suite.size(size_name).steps if size_name in suite.sizes else ()
    if not known or step in known:
        return None
    return f"{size_name} has no checkpoint step{step}; {_nearest(step, known)}"


def _layer_errors(data: dict) -> Iterator[tuple[tuple, str]]:
    """A selector's ``layers`` must exist in some size the spec applies to (sizes of known depth)."""
    only = _sizes_only(data.get("applies_to", ()))
    depths = {}
    for suite_name in sorted(_suites(data) & set(SUITE_NAMES)):
        try:
            sizes = get_suite(suite_name).sizes
        except (KeyError, FileNotFoundError):
            continue
        for name, size in sizes.items():
            if size.layers and (suite_name not in only or name in only[suite_name]):
                depths[f"{suite_name}:{name}"] = size.layers
    if not depths:
        return
    deepest = max(depths, key=lambda k: depths[k])
    for path, layers in _selector_layers(data.get("checks", ())):
        beyond = [l for l in layers if l >= depths[deepest]]
        if beyond:
            yield (
                path,
                (
                    f"layer(s) {beyond} exist in no size this spec applies to (the deepest, {deepest}, "
                    f"has {depths[deepest]} layer(s): 0-{depths[deepest] - 1})"
                ),
            )


def _selector_layers(checks: list) -> Iterator[tuple[tuple, list]]:
    """``(field path, layers)`` of every head selector with ``layers`` in ``checks``."""
    for i, check in enumerate(checks):
        kind, body = next(iter(check.items()))
        where = ("checks", i, kind)
        selectors: dict[tuple, dict] = {(): body} if kind == "heads" else {}
        for key in ("heads", "senders", "receivers", "contains"):
            value = body.get(key) if kind != "heads" else None
            if isinstance(value, dict):
                selectors[(key,)] = value
            elif isinstance(value, list):
                selectors.update({(key, j): v for j, v in enumerate(value) if isinstance(v, dict)})
        for sub, sel in selectors.items():
            if isinstance(sel.get("layers"), list):
                yield (*where, *sub, "layers"), sel["layers"]


def _applies_to_errors(applies_to: list[str]) -> Iterator[tuple[tuple, str]]:
    for i, entry in enumerate(applies_to):
        suite_name, _, size = entry.partition(":")
        if size:
            try:
                sizes = get_suite(suite_name).sizes
            except (KeyError, FileNotFoundError) as exc:
                yield ("applies_to", i), str(exc).strip("'\"")
                continue
            if size not in sizes:
                yield (
                    ("applies_to", i),
                    f"suite {suite_name!r} has no size {size!r}; sizes: {', '.join(sizes)}",
                )


def _nearest(step: int, known) -> str:
    return f"nearest: step{min(known, key=lambda s: abs(s - step))}"


def _cell_error(suite, cell: str) -> str | None:
    size_name, _, step_text = cell.rpartition("@")
    if size_name not in suite.sizes:
        return f"{cell}: suite {suite.name!r} has no size {size_name!r}"
    known = suite.size(size_name).steps
    if step_text == "final" or not known:
        return None if step_text == "final" else f"{cell}: {size_name} has only its final weights"
    step = int(step_text[4:])
    return (
        None
        if step in known
        else f"{cell}: {size_name} has no checkpoint step{step}; {_nearest(step, known)}"
    )


# --- building the Spec ---------------------------------------------------------------------


def parse_spec(text: str, path: str | Path) -> Spec:
    try:
        node = yaml.compose(text, Loader=SpecLoader)
        data = yaml.load(text, Loader=SpecLoader)  # a SafeLoader subclass: safe_load semantics
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SpecError(path, mark.line + 1 if mark else 1, "(yaml)", str(exc).replace("\n", " ")) from None
    except RecursionError:
        raise SpecError(path, 1, "(yaml)", "nested too deeply") from None
    if node is None or not isinstance(data, dict):
        raise SpecError(path, 1, "(top level)", "a spec must be a YAML mapping")
    try:
        lines = _lines(node)
    except ValueError as exc:
        line, where, message = exc.args[0]
        raise SpecError(path, line, _where(where), message) from None
    # the semantic rules read a schema-valid spec: they run once the schema holds
    for errors in (schema_errors(data, spec_schema()), _semantic_errors(data)):
        problems = [(_line_of(lines, w), _where(w), m) for w, m in _first(errors, MAX_ERRORS + 1)]
        if problems:
            raise SpecError.of(path, problems)
    return _build(data, path, lines)


def _first(errors: Iterator, n: int) -> list:
    out = []
    for error in errors:
        out.append(error)
        if len(out) >= n:
            break
    return out


def _build(data: dict, path, lines: dict) -> Spec:
    task = data["task"]
    defaults = {k: v[1] for k, v in registry.TASKS[task["name"]].params.items()}
    checks = []
    for i, item in enumerate(data["checks"]):
        kind, body = next(iter(item.items()))
        fields = {k: v for k, v in body.items() if k != "by_suite"}
        checks.append(Check(kind, fields, body.get("by_suite", {}), _line_of(lines, ("checks", i)), i))
    series = []
    for i, item in enumerate(data.get("across", ())):
        kind, body = next(iter(item.items()))
        settings = registry.SERIES_KINDS[kind].settings_of(
            {k: v for k, v in body.items() if k not in ("name", "expect")}
        )
        if kind == "stability" and settings.check is None:
            settings = replace(settings, check=next(c.index for c in checks if c.kind == "circuit"))
        name = body.get("name", f"{data['id']}-{SERIES_SUFFIX[kind]}")
        named = {suite: ALL for suite in data.get("expect", {})}  # the spec's suites, unless it says
        expect = _expectations({**named, **body.get("expect", {})})
        series.append(SeriesClaim(kind, name, settings, expect, _line_of(lines, ("across", i))))
    return Spec(
        path=Path(path),
        id=data["id"],
        version=data["version"],
        claim=data["claim"].strip(),
        task=task["name"],
        task_params={**defaults, **task.get("params", {})},
        task_by_suite=task.get("by_suite", {}),
        checks=tuple(checks),
        applies_to=tuple(dict.fromkeys(a.partition(":")[0] for a in data.get("applies_to", SUITE_NAMES))),
        sizes_only=_sizes_only(data.get("applies_to", ())),
        expect=_expectations(data.get("expect", {})),
        marks=tuple(data.get("marks", ())),
        id_line=_line_of(lines, ("id",)),
        series=tuple(series),
    )


def _expectations(expect: dict) -> dict:
    """Suite -> Expectation; ``all`` is the claim holding at every cell of the suite."""
    return {
        suite: Expectation()
        if e == ALL
        else Expectation(
            sizes=_sizes(e.get("sizes", "all")),
            from_step=e.get("from_step", 0),
            holds=e.get("holds", True),
            unstable=tuple(e.get("unstable", ())),
            not_covered=tuple(e.get("not_covered", ())),
        )
        for suite, e in expect.items()
    }


def _sizes_only(applies_to: list[str]) -> dict:
    only: dict = {}
    for entry in applies_to:
        suite, _, size = entry.partition(":")
        if size:
            only[suite] = only.get(suite, ()) + (size,)
    return only


def _sizes(value: Any) -> Any:
    if isinstance(value, dict):
        return dict(value)
    return value if value == "all" else tuple(value)


def load_spec(path: str | Path) -> Spec:
    """Read and parse one spec file; every way it can be unusable is a ``SpecError``."""
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as exc:
        raise SpecError(path, 1, "(file)", f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            path, 1, "(file)", f"larger than {MAX_SPEC_BYTES // 1024} KiB; a spec is a short text"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SpecError(
            path, line, "(file)", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return parse_spec(text, path)
