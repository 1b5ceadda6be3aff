"""The spec format as a JSON Schema, built from the registry so it never drifts from the code.

Editors use the published copy (``mechanisms/specs/spec.schema.json``; regenerate with
``python -m mechanisms.spec.schema > mechanisms/specs/spec.schema.json``) for completion and red squiggles; ``mechanisms.spec`` validates
every spec against the same dictionary with a small validator that reports file, line and field.
"""

import json
import sys

from ..catalogue.suites import SUITE_NAMES
from . import registry

FORMAT = 1
# marks that change how pytest runs an item: a spec's verdict comes from its expectation only
RESERVED_MARKS = (
    "skip",
    "skipif",
    "xfail",
    "parametrize",
    "usefixtures",
    "filterwarnings",
    "xdist_group",
    "mechanisms",
    "tryfirst",
    "trylast",
)
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
HEAD_ID_PATTERN = r"^L\d+H\d+$"

_NUMBER = {"type": "number"}
_SUITE_OVERRIDES = {
    "type": "object",
    "description": "per-suite overrides of the fields above, e.g. {smollm2: {min: 0.2}}",
    "propertyNames": {"enum": list(SUITE_NAMES)},
    "additionalProperties": {"type": "object"},
}


_AMOUNT = {
    "type": ["number", "string"],
    "minimum": 0,
    "pattern": r"^\d+(\.\d+)?%$",
    "description": "a number (absolute) or a percentage of the base's value, e.g. '20%'",
}
_TOLERANCE = {
    "type": "object",
    "description": "gating a fine-tune: how far this check's value may move from the base's "
    "(default: the registry's tolerance for its metric or score)",
    "additionalProperties": False,
    "minProperties": 1,
    "maxProperties": 1,
    "properties": {"may_fall": _AMOUNT, "may_rise": _AMOUNT},
}


def _selector() -> dict:
    return {
        "type": "object",
        "description": "which heads: by score (and threshold / top-k), by role, by fixed ids, or (none of those) every head in `layers`",
        "additionalProperties": False,
        "properties": {
            "score": {"enum": sorted(registry.HEAD_SCORES)},
            "role": {"enum": sorted(registry.ROLES)},
            "ids": {"type": "array", "minItems": 1, "items": {"type": "string", "pattern": HEAD_ID_PATTERN}},
            "min": _NUMBER,
            "top": {"type": "integer", "minimum": 1},
            "layers": {"type": "array", "items": {"type": "integer", "minimum": 0}},
            "on": {
                "type": ["string", "object"],
                "description": "the prompts attention-pattern scores are read on: 'task' (the "
                "spec's own) or a prompt set with its parameters, e.g. {repeated_tokens: {pool: "
                "'^w\\d+$'}}",
            },
        },
    }


def _check_fields() -> dict:
    """The fields of each check kind; which kinds exist, and what they mean, is the registry's."""
    metric = {"enum": sorted(registry.METRICS)}
    return {
        "behaviour": {
            "type": "object",
            "additionalProperties": False,
            "required": ["metric"],
            "description": "the task metric on clean prompts against a threshold (give min or max)",
            "properties": {
                "metric": metric,
                "min": _NUMBER,
                "max": _NUMBER,
                "on": {"enum": ["clean", "corrupted"]},
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "heads": {
            "type": "object",
            "additionalProperties": False,
            "description": "at least k heads whose score >= min (or that play a role)",
            "properties": {
                **_selector()["properties"],
                "at_least": {"type": "integer", "minimum": 1},
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "ablation": {
            "type": "object",
            "additionalProperties": False,
            "required": ["heads", "metric", "min_drop"],
            "description": "ablating the selected heads lowers the metric by at least min_drop (a fraction)",
            "properties": {
                "heads": _selector(),
                "metric": metric,
                "method": {"enum": list(registry.ABLATIONS)},
                "min_drop": _NUMBER,
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "path": {
            "type": "object",
            "additionalProperties": False,
            "required": ["senders", "receivers", "metric", "min_damage"],
            "description": "path patching senders -> receivers' queries/keys/values: at least k senders "
            "whose path damages the metric by >= min_damage (a fraction of the clean-corrupted gap)",
            "properties": {
                "senders": _selector(),
                "receivers": _selector(),
                "into": {"enum": ["q", "k", "v"]},
                "metric": metric,
                "min_damage": _NUMBER,
                "normalise": {"enum": ["gap", "clean"]},
                "attention_shift": {"type": "boolean"},
                "screen": {
                    "type": "number",
                    "minimum": 0,
                    "description": "the paper's S-inhibition candidate screen: keep only senders whose "
                    "path, patched from S2=IO prompts, erases more than this fraction of that set's "
                    "gap (the paper: 0.001), then judge them with the spec's corruption (IOI only)",
                },
                "at_least": {"type": "integer", "minimum": 1},
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "circuit": {
            "type": "object",
            "additionalProperties": False,
            "required": ["metric"],
            "properties": {
                **_circuit_settings(),
                "max_edges": {"type": "integer", "minimum": 1},
                "max_nodes": {"type": "integer", "minimum": 1},
                "base_overlap": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "when gating a fine-tune: the least edge Jaccard similarity between "
                    "its circuit and its base's (always reported; required only where set)",
                },
                "contains": {
                    **_selector(),
                    "description": "heads the circuit must contain (all selected, or at_least of them)",
                    "properties": {
                        **_selector()["properties"],
                        "at_least": {"type": "integer", "minimum": 1},
                    },
                },
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "share": {
            "type": "object",
            "additionalProperties": False,
            "required": ["heads", "score", "min"],
            "description": "the selected heads carry at least min of the score's total over all heads",
            "properties": {
                "heads": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": 8,
                    "items": _selector(),
                    "description": "selectors whose heads together (their union) carry the share",
                },
                "score": {"enum": sorted(registry.HEAD_SCORES)},
                "min": _NUMBER,
                "in_circuit": {
                    **_circuit(),
                    "description": "count only the heads of this circuit (numerator and total), "
                    "as the paper's Fig. 4B-D; the check fails where no faithful circuit exists",
                },
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
        "greater_than_algorithm": {
            "type": "object",
            "additionalProperties": False,
            "required": ["circuit", "min_mlp_boost"],
            "description": "the greater-than circuit's MLPs that write to the logits raise the years "
            "above YY (logit lens), and heads feeding them attend to YY (arXiv 2407.10827, 4.7)",
            "properties": {
                "circuit": {**_circuit(), "description": "the circuit whose MLPs and heads are read"},
                "min_mlp_boost": {
                    "type": "number",
                    "description": "the mean, over the MLPs with a circuit edge to the logits, of "
                    "(mean logit of years > YY) - (mean logit of years <= YY) at the answer position",
                },
                "min_yy_attention": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "description": "a head feeding those MLPs attends most to YY on at least this "
                    "fraction of prompts",
                },
                "at_least": {
                    "type": "integer",
                    "minimum": 1,
                    "description": "heads that must reach min_yy_attention (default 1)",
                },
                "tolerance": _TOLERANCE,
                "by_suite": _SUITE_OVERRIDES,
            },
        },
    }


def _circuit_settings() -> dict:
    """How a circuit is found: the fields of a ``circuit`` check, and of the circuit another
    check reads (``share``'s ``in_circuit``); equal settings share one circuit per model."""
    return {
        "metric": {"enum": sorted(m for m, e in registry.METRICS.items() if e.per_prompt)},
        "method": {"enum": list(registry.CIRCUIT_METHODS)},
        "ig_steps": {"type": "integer", "minimum": 1, "maximum": 200},
        "faithfulness": {"enum": list(registry.FAITHFULNESS_MEASURES)},
        "threshold": {"type": "number", "minimum": 0, "maximum": 2},
        "min_metric": {
            "type": "number",
            "description": "the model's own metric below which no circuit is claimed "
            "(faithfulness divides by it; the paper's notes gate IOI at a logit difference of 1)",
        },
        "cap": {"type": "integer", "minimum": 1, "maximum": 100000},
        "batch_size": {"type": "integer", "minimum": 1},
    }


def _circuit() -> dict:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["metric"],
        "properties": _circuit_settings(),
    }


def _with_defaults(schema: dict, settings: type) -> dict:
    """``schema`` with each setting's default (from its typed settings, the one place defaults
    are stated) shown to editors and spec authors, nested settings included."""
    defaults, nested = settings.defaults(), settings.nested  # type: ignore[attr-defined]
    properties = {}
    for name, prop in schema.get("properties", {}).items():
        kind = nested.get(name)
        if isinstance(kind, type):
            prop = _with_defaults(prop, kind)
        if name in defaults:
            prop = {**prop, "default": defaults[name]}
        properties[name] = prop
    return {**schema, "properties": properties} if properties else schema


def spec_schema() -> dict:
    fields = _check_fields()
    kinds = {
        name: _with_defaults(
            {**(entry.fields or fields[name]), "description": entry.doc}, registry.load(entry.settings)
        )
        for name, entry in registry.CHECK_KINDS.items()
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://pytest-mechanisms.invalid/mechanism-spec.schema.json",
        "title": "pytest-mechanisms mechanism spec",
        "type": "object",
        "additionalProperties": False,
        "required": ["format", "id", "version", "claim", "task", "checks"],
        "properties": {
            "format": {"const": FORMAT, "description": "spec format version"},
            "id": {
                "type": "string",
                "pattern": ID_PATTERN,
                "maxLength": 80,
                "description": "the claim's name in node ids: lower-case letters, digits, - _ .",
            },
            "version": {"type": "integer", "minimum": 1, "description": "bump when the claim changes"},
            "claim": {
                "type": "string",
                "minLength": 1,
                "maxLength": 4000,
                "description": "the claim, in words",
            },
            "marks": {
                "type": "array",
                "maxItems": 16,
                "items": {
                    "type": "string",
                    "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$",
                    "maxLength": 64,
                    "not": {"enum": list(RESERVED_MARKS)},
                },
                "description": "your own marks for -m selection; pytest's and xdist's marks are refused",
            },
            "task": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name"],
                "properties": {
                    "name": {"enum": sorted(registry.TASKS)},
                    "params": {"type": "object"},
                    "tolerance": _TOLERANCE,
                    "by_suite": _SUITE_OVERRIDES,
                },
            },
            "checks": {
                "type": "array",
                "minItems": 1,
                "maxItems": 64,
                "items": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": False,
                    "properties": kinds,
                },
            },
            "applies_to": {
                "type": "array",
                "minItems": 1,
                "items": {"type": "string", "pattern": rf"^({'|'.join(SUITE_NAMES)})(:[A-Za-z0-9_.-]+)?$"},
                "description": "suites (zoo), or single sizes of a suite (zoo:zoo-890k); default: all",
            },
            "expect": _expect(),
            "across": {
                "type": "array",
                "maxItems": 16,
                "description": "claims over a series of cells: stability across checkpoints, emergence across sizes",
                "items": {
                    "type": "object",
                    "minProperties": 1,
                    "maxProperties": 1,
                    "additionalProperties": False,
                    "properties": _series_kinds(),
                },
            },
        },
    }


def _expect() -> dict:
    """Where a claim should hold, per suite (cells, or a series claim's sizes)."""
    return {
        "type": "object",
        "propertyNames": {"enum": list(SUITE_NAMES)},
        "description": "a suite not named here is measured and reported, never asserted",
        "additionalProperties": {
            "type": ["object", "string"],
            "pattern": "^all$",
            "description": "'all' (holds at every cell of the suite) or where it holds",
            "additionalProperties": False,
            "properties": {
                "sizes": {
                    "type": ["string", "array", "object"],
                    "items": {"type": "string"},
                    "additionalProperties": {"type": "integer", "minimum": 0},
                    "description": "'all', the sizes where the claim holds, or a mapping "
                    "size -> the step from which it holds",
                },
                "from_step": {"type": "integer", "minimum": 0},
                "holds": {"type": "boolean"},
                "unstable": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^.+@(step\d+|final)$"},
                    "description": "cells (size@stepN) that flip between neighbouring "
                    "checkpoints: measured and reported, not asserted",
                },
                "not_covered": {
                    "type": "array",
                    "items": {"type": "string", "pattern": r"^[^@]+(@<step\d+)?$"},
                    "description": "sizes, or a size's steps before N (size@<stepN), that the "
                    "expectation's source does not cover: measured and reported, not asserted",
                },
            },
        },
    }


def _series_kinds() -> dict:
    name = {
        "type": "string",
        "pattern": ID_PATTERN,
        "maxLength": 80,
        "description": "the item's name in node ids (default: <spec id>-stable / -emerges)",
    }
    checkpoints = {
        "type": "string",
        "minLength": 1,
        "maxLength": 2000,
        "description": "the checkpoints the claim is judged on, as --checkpoints names them (default, "
        "step1000,step2000, step256..step2048); a run without all of them skips the item",
    }
    check = {
        "type": "integer",
        "minimum": 0,
        "maximum": 63,
        "description": "index of the spec's check it reads (stability: its circuit check)",
    }
    fields: dict[str, dict] = {
        "stability": {
            "required": ["min"],
            "properties": {
                "name": name,
                "check": check,
                "checkpoints": checkpoints,
                "of": {"enum": list(registry.STABILITY_OF)},
                "weighted": {"type": "boolean", "description": "weighted Jaccard: |score| / sum |score|"},
                "compare": {"enum": list(registry.STABILITY_COMPARE)},
                "ewma": {
                    "type": "number",
                    "exclusiveMinimum": 0,
                    "maximum": 1,
                    "description": f"smoothing alpha (the paper: {registry.EWMA_ALPHA})",
                },
                "from_step": {"type": "integer", "minimum": 0},
                "min": {"type": "number", "minimum": 0, "maximum": 1},
                "expect": _expect(),
            },
        },
        "emergence": {
            "properties": {
                "name": name,
                "check": check,
                "checkpoints": checkpoints,
                "within": {
                    "type": "number",
                    "minimum": 1,
                    "description": f"largest onset / smallest onset, in tokens (default {registry.EMERGENCE_WITHIN:g})",
                },
                "sizes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "maxItems": 64,
                    "description": "sizes that must show an onset (others are reported)",
                },
                "expect": _expect(),
            },
        },
    }
    return {
        kind: _with_defaults(
            {"type": "object", "additionalProperties": False, "description": entry.doc, **fields[kind]},
            registry.load(entry.settings),
        )
        for kind, entry in registry.SERIES_KINDS.items()
    }


def main() -> None:
    json.dump(spec_schema(), sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
