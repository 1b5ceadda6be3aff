"""A check kind written outside the package, as a contributor would add one: this module (its
function and its typed settings) and one ``registry.CHECK_KINDS`` entry (``TOY_ENTRY``), nothing
else. ``test_toy_kind.py`` registers it and measures a spec that uses it.

``first_token_attention``: the largest mean attention, over the heads of one layer, that the
task's query positions pay to the first position (the attention sink).
"""

from dataclasses import dataclass

from mechanisms.measure.checks import CheckResult, head_name, headline
from mechanisms.spec.registry import CheckKind
from mechanisms.spec.settings import CheckSettings


@dataclass(frozen=True, kw_only=True)
class Sink(CheckSettings):
    """Its settings, typed: what the spec writes (the schema below checks it first)."""

    layer: int
    min: float


def first_token_attention(run, s: Sink) -> CheckResult:
    layer, threshold = s.layer, s.min
    if layer >= run.model.n_layers:
        return CheckResult(False, f"the model has no layer {layer}", {}, headline("sink", None, threshold))

    def to_first(patterns, prompts):  # [layers, batch, heads, q, k] -> [layers, heads], summed
        return patterns[..., 0].sum(dim=(1, 3))

    totals = run.pattern_sum(to_first)[layer]
    per_head = totals / (len(run.data.tokens) * max(len(t) for t in run.data.tokens))
    best = int(per_head.argmax())
    value = float(per_head[best])
    return CheckResult(
        value >= threshold,
        f"{head_name(layer, best)} pays {value:.3f} of its attention to the first position (needs >= {threshold})",
        {"sink": {head_name(layer, h): round(float(v), 4) for h, v in enumerate(per_head)}},
        headline("sink", value, threshold),
    )


TOY_ENTRY = CheckKind(
    f"{__name__}:first_token_attention",
    "a head of `layer` pays at least min of its attention to the first position",
    fields={
        "type": "object",
        "additionalProperties": False,
        "required": ["layer", "min"],
        "properties": {
            "layer": {"type": "integer", "minimum": 0},
            "min": {"type": "number", "minimum": 0, "maximum": 1},
        },
    },
    threshold=("min",),
    decides=True,
    settings=f"{__name__}:Sink",
)
