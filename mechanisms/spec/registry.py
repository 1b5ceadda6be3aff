"""Names a spec may use, with where their code lives, so that specs validate without importing
torch: tasks (data generators), metrics, head scores, head roles and check kinds.

Each entry points at ``module:function``; the function is imported only when a model is measured.
To add a measurement, write the function and add one entry here; the JSON Schema is generated from
these tables (``python -m mechanisms.spec.schema``; a test keeps the published copy current). A
new check kind is one module (its typed settings, a ``settings.CheckSettings`` dataclass whose
defaults are the only ones, and a function ``(run, settings) -> measure.checks.CheckResult``) and
one ``CHECK_KINDS`` entry whose ``fields`` is the JSON Schema of its settings, ``settings`` names
that class, ``threshold`` the settings its headline is judged against and ``tolerance`` how far a
fine-tune may move it (``tests/model/toy_kind.py`` is such a kind, added by a test). The
tables in docs/specs.md are written by hand, and ``tests/examples/test_docs.py`` fails when a
name registered here is missing from them.
"""

from dataclasses import dataclass, field
from importlib import import_module
from typing import Any


@dataclass(frozen=True)
class Entry:
    """A name a spec may use and the ``module:function`` that measures it (imported on use)."""

    target: str  # "module:function"
    doc: str

    def load(self) -> Any:
        return load(self.target)


@dataclass(frozen=True)
class Task(Entry):
    """A prompt generator: its parameters and the answer format its prompts have."""

    params: dict = field(default_factory=dict)  # name -> (type, default)
    answer: str = ""  # "pair", "group", "sequence": what its metrics read


@dataclass(frozen=True)
class Metric(Entry):
    """A task metric, read on the answer format it names."""

    answer: str = ""
    lower_is_better: bool = False  # a loss (damage is an increase)
    tolerance: float | str = 0.1  # how far a fine-tune may move it the bad way
    per_prompt: str = ""  # "module:function" giving a differentiable per-prompt tensor (circuits)


@dataclass(frozen=True)
class HeadScore(Entry):
    """A per-head score: the tasks whose data it needs, and where else it can be read."""

    tasks: tuple = ()  # empty: weights only
    portable: bool = False  # attention patterns, readable on prompts the spec names (``on``)
    any_prompts: bool = False  # portable: readable on any task's prompts (else repeated ones)
    tolerance: float | str = 0.1


@dataclass(frozen=True)
class Role(Entry):
    """Heads meeting every condition of ``rule``, measured on ``tasks``."""

    rule: tuple = ()  # (score, op, threshold) conditions (op: >= > <= <), all must hold
    tasks: tuple = ()


@dataclass(frozen=True)
class Claimed(Entry):
    """A kind of claim a spec writes with settings: the ``module:Class`` of its typed settings
    (``settings.py``), which states every default once."""

    settings: str = ""

    def __post_init__(self) -> None:
        if not self.settings:
            raise ValueError(f"{self.target}: name its typed settings class (settings=)")

    def settings_of(self, given: dict) -> Any:
        """Settings as a spec writes them (for one suite), typed, every default filled in."""
        return load(self.settings).from_spec(given)


@dataclass(frozen=True)
class CheckKind(Claimed):
    """A check: its settings' schema and how its headline is judged and gated."""

    fields: dict = field(default_factory=dict)  # JSON Schema of its settings (built-in kinds:
    # written in schema.py, where they share their parts)
    threshold: tuple = ()  # the settings its headline is judged against
    decides: bool = False  # the verdict is exactly the headline rule
    lower_is_better: bool = False  # the headline (a circuit's size)
    tolerance: float | str = 0.1  # how far a fine-tune may move the headline the bad way


@dataclass(frozen=True)
class SeriesKind(Claimed):
    """A claim over a series of cells: its function, words and typed settings."""


def load(target: str) -> Any:
    """The function a ``module:function`` target names (imported on first use)."""
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


_N = {"n_prompts": (int, 64), "seed": (int, 0)}
TASKS = {
    "repeated_tokens": Task(
        "mechanisms.measure.tasks:repeated_tokens",
        "EOS/BOS + a random token span + the same span (induction, previous-token, duplicate heads).",
        {"n_prompts": (int, 32), "seed": (int, 0), "span": (int, 15), "pool": (str, "all")},
        answer="sequence",
    ),
    "ioi": Task(
        "mechanisms.measure.tasks:ioi",
        "Indirect object identification, ABBA/BABA balanced; corrupted = S2 replaced by IO, or random names.",
        {**_N, "templates": (str, "train"), "corruption": (str, "s2_io")},
        answer="pair",
    ),
    "greater_than": Task(
        "mechanisms.measure.tasks:greater_than",
        "'The war lasted from the year 17YY to the year 17' -> a two-digit year > YY; corrupted YY = 01.",
        dict(_N),
        answer="group",
    ),
    "gendered_pronoun": Task(
        "mechanisms.measure.tasks:gendered_pronoun",
        "'So Mary is such a good cook, isn't' -> ' she'; corrupted = a name of the other gender.",
        dict(_N),
        answer="pair",
    ),
    "sva": Task(
        "mechanisms.measure.tasks:subject_verb_agreement",
        "Marvin & Linzen-style 'The author(s) that the guards like' -> a verb agreeing with the subject; corrupted = other number.",
        {**_N, "constructions": (str, "all")},
        answer="group",
    ),
    "successor": Task(
        "mechanisms.measure.tasks:successor",
        "Three consecutive items of an ordinal sequence (numbers, weekdays, months) -> the next one.",
        {**_N, "separator": (str, "")},
        answer="target",
    ),
}

METRICS = {
    "logit_diff": Metric(
        "mechanisms.measure.metrics:logit_diff",
        "mean logit(correct) - logit(wrong) at the answer position",
        answer="pair",
        tolerance="20%",
        per_prompt="mechanisms.measure.metrics:logit_diffs",
    ),
    "pair_accuracy": Metric(
        "mechanisms.measure.metrics:pair_accuracy",
        "fraction of prompts with logit(correct) > logit(wrong)",
        answer="pair",
        tolerance=0.05,
    ),
    "prob_diff": Metric(
        "mechanisms.measure.metrics:prob_diff",
        "mean sum p(correct group) - sum p(wrong group) (the paper's group-sum prob diff)",
        answer="group",
        tolerance="20%",
        per_prompt="mechanisms.measure.metrics:prob_diffs",
    ),
    "group_accuracy": Metric(
        "mechanisms.measure.metrics:group_accuracy",
        "fraction of prompts where the correct group has more probability mass",
        answer="group",
        tolerance=0.05,
    ),
    "top1_accuracy": Metric(
        "mechanisms.measure.metrics:top1_accuracy",
        "fraction of prompts whose argmax over the vocabulary is the answer",
        answer="target",
        tolerance=0.05,
    ),
    "repeat_loss": Metric(
        "mechanisms.measure.metrics:repeat_loss",
        "mean next-token loss (nats) on the second copy of the span",
        answer="sequence",
        lower_is_better=True,
        tolerance=0.25,  # nats: a trained model's repeat loss is near 0, so no relative rule
    ),
    "loss_drop": Metric(
        "mechanisms.measure.metrics:loss_drop",
        "loss on the first copy minus loss on the second copy (nats)",
        answer="sequence",
        tolerance="20%",
    ),
}

HEAD_SCORES = {
    "previous_token": HeadScore(
        "mechanisms.measure.heads:previous_token_score",
        "mean attention from each position to the one before",
        tasks=("repeated_tokens",),
        portable=True,
        any_prompts=True,
    ),
    "duplicate_token": HeadScore(
        "mechanisms.measure.heads:duplicate_token_score",
        "mean attention from a repeated token to its earlier copy",
        tasks=("repeated_tokens",),
        portable=True,
    ),
    "induction": HeadScore(
        "mechanisms.measure.heads:induction_score",
        "mean attention from a repeated token to the token after its earlier copy",
        tasks=("repeated_tokens",),
        portable=True,
    ),
    "copy": HeadScore(
        "mechanisms.measure.heads:copy_score",
        "fraction of names whose token is in the top-5 of the head's OV output, final-LN weight folded into W_U (the paper)",
        tasks=("ioi",),
    ),
    "copy_final_ln": HeadScore(
        "mechanisms.measure.heads:copy_score_final_ln",
        "the copy score with the whole final layer norm applied before unembedding (Wang et al.)",
        tasks=("ioi",),
    ),
    "negative_copy": HeadScore(
        "mechanisms.measure.heads:negative_copy_score",
        "copy score of the negated OV output (copy suppression / negative name movers)",
        tasks=("ioi",),
    ),
    "end_to_io": HeadScore(
        "mechanisms.measure.heads:end_to_io_attention",
        "attention from END to IO minus the larger of END to S1 / S2",
        tasks=("ioi",),
    ),
    "direct_effect": HeadScore(
        "mechanisms.measure.direct:direct_effect",
        "path patching the head -> logits from S2=IO prompts: (LD_patched - LD) / (LD - LD_corrupted), -1 = gap erased",
        tasks=("ioi", "gendered_pronoun"),
    ),
    "s_suppression": HeadScore(
        "mechanisms.measure.suppression:s_suppression",
        "part of the head's direct IO - S logit write at END made by lowering S (direct logit attribution, 0-1)",
        tasks=("ioi",),
    ),
    # Upstream of the name movers, by path patching (measure/inhibition.py; the paper's Fig. 4C-D).
    "name_mover_query_effect": HeadScore(
        "mechanisms.measure.inhibition:name_mover_query_effect",
        "path patching the head -> name movers' queries from S2=IO prompts (noising effect; < -0.001: S-inhibition candidate)",
        tasks=("ioi",),
    ),
    "abb_bab_query_effect": HeadScore(
        "mechanisms.measure.inhibition:abb_bab_query_effect",
        "candidates only: path patching the head -> name movers' queries from ABB->BAB prompts, (LD_patched - LD) / |LD|",
        tasks=("ioi",),
    ),
    "name_mover_io_shift": HeadScore(
        "mechanisms.measure.inhibition:name_mover_io_shift",
        "candidates only: the name movers' mean END->IO attention change under that ABB->BAB patch",
        tasks=("ioi",),
    ),
    "name_mover_s1_shift": HeadScore(
        "mechanisms.measure.inhibition:name_mover_s1_shift",
        "candidates only: the name movers' mean END->S1 attention change under that ABB->BAB patch",
        tasks=("ioi",),
    ),
    "s_inhibition_value_effect": HeadScore(
        "mechanisms.measure.inhibition:s_inhibition_value_effect",
        "path patching the head -> values of the S-inhibition heads that are not negative name movers, from S2=IO prompts (noising effect)",
        tasks=("ioi",),
    ),
    "successor": HeadScore(
        "mechanisms.measure.heads:successor_score",
        "fraction of ordinal tokens whose successor tops the head's OV output (Gould et al.)",
    ),
}


# Attention-pattern scores (``portable``) are read on the prompts a selector names with ``on``:
# ``task`` (the spec's own prompts) or a named prompt set with its parameters. The one named set
# is the repeated-token task; a score that needs repeated spans (induction, duplicate-token) reads
# it by default in a spec of another task, a score readable on any prompts reads the spec's own.
PROMPT_SETS = ("repeated_tokens",)


def default_on(score: str, task: str) -> str | dict:
    """The prompts a portable score is read on when its selector gives no ``on``."""
    if HEAD_SCORES[score].any_prompts or task == "repeated_tokens":
        return "task"
    return {"repeated_tokens": {}}


def _threshold_words(threshold: float | str) -> str:
    if isinstance(threshold, str):
        return (
            "the mean over all heads"
            if threshold == "mean"
            else threshold.replace("*max", " x the best head's")
        )
    return f"{threshold:g}"


def _role(*rule: tuple) -> Role:
    """A role: heads meeting every ``(score, op, threshold)``; measured on the tasks its scores
    need (a portable score needs none)."""
    doc = " and ".join(f"{score} score {op} {_threshold_words(threshold)}" for score, op, threshold in rule)
    needs = [set(HEAD_SCORES[s].tasks) for s, _, _ in rule if not HEAD_SCORES[s].portable]
    tasks = tuple(t for t in HEAD_SCORES[rule[0][0]].tasks if all(t in n for n in needs)) if needs else ()
    return Role("mechanisms.measure.roles:role_mask", doc, tasks=tasks, rule=rule)


# Roles are rules over head scores (the one place their thresholds live; the docs' wording and
# roles.role_mask both read them). The first condition's score orders and reports the heads.
# IOI roles follow the paper's classification (section 4.6): copy score > 10% and a direct effect
# that lowers the logit difference when the head is patched; negative name movers raise it.
ROLES = {
    "induction_heads": _role(("induction", ">=", 0.4)),
    "previous_token_heads": _role(("previous_token", ">=", 0.5)),
    "name_movers": _role(("copy", ">", 0.10), ("direct_effect", "<", 0.0)),
    "negative_name_movers": _role(("negative_copy", ">", 0.10), ("direct_effect", ">", 0.0)),
    "direct_effect_heads": _role(("direct_effect", "<=", -0.01)),
    # Heads that write the answer mostly by lowering S, not by copying IO (measure/suppression.py).
    "s_suppression_heads": _role(("direct_effect", "<=", -0.01), ("s_suppression", ">", 0.5)),
    "successor_heads": _role(("successor", ">=", 0.5)),
    # S-inhibition heads (section 4.5): candidates by the S2=IO screen, confirmed with ABB->BAB.
    "s_inhibition_heads": _role(
        ("name_mover_query_effect", "<", -0.001),
        ("abb_bab_query_effect", "<", 0.0),
        ("name_mover_io_shift", "<", 0.0),
        ("name_mover_s1_shift", ">", 0.0),
    ),
    # Fig. 4D: induction / duplicate-token heads (above the mean) feeding S-inhibition values.
    "induction_into_s_inhibition": _role(
        ("s_inhibition_value_effect", "<", -0.001), ("induction", ">", "mean")
    ),
    "duplicate_into_s_inhibition": _role(
        ("s_inhibition_value_effect", "<", -0.001), ("duplicate_token", ">", "mean")
    ),
    # The paper's relative rules: filters that pick the strongest heads of *this* model, so any
    # model with a non-zero score has some (use them to select heads, not to claim existence).
    "above_mean_induction_heads": _role(("induction", ">", "mean")),
    "above_mean_duplicate_heads": _role(("duplicate_token", ">", "mean")),
    "relative_successor_heads": _role(("successor", ">=", "0.33*max")),
}

# Bounds on every count a spec may set, checked when the spec loads (a spec asking for a billion
# prompts is an error, not a hung run), and the closed choices of string parameters.
PARAM_BOUNDS = {"n_prompts": (1, 4096), "span": (2, 1024), "seed": (0, 2**32 - 1)}
PARAM_CHOICES = {
    "templates": ("train", "held_out", "paper"),
    "corruption": ("s2_io", "random_names", "abb_bab"),
    "constructions": (  # comma lists allowed
        "all",
        "simple",
        "sent_comp",
        "vp_coord",
        "long_vp_coord",
        "prep_anim",
        "prep_inanim",
        "subj_rel",
        "obj_rel_across_anim",
        "obj_rel_across_inanim",
        "obj_rel_within_anim",
        "obj_rel_within_inanim",
        "obj_rel_no_comp_across_anim",
        "obj_rel_no_comp_within_anim",
    ),
}
# Tasks without corrupted prompts cannot back interchange ablations, path patching or `on: corrupted`.
CLEAN_ONLY_TASKS = ("repeated_tokens", "successor")

# A relative damage (ablation, path) needs a behaviour to damage: a higher-is-better metric must
# be at least this on clean prompts (a loss is always positive). Damage is a fraction of the clean
# value in the metric's good direction, positive = harmful, for every check kind that reports it.
MIN_BASELINE = 0.05

# Circuits (arXiv 2407.10827, section 3): EAP-IG integration steps, the faithfulness a circuit
# must reach, and the most edges the size search tries (the paper's values). A circuit's edge
# count is better low; a fine-tune may grow it by this much before the gate calls it worse
# (circuit sizes jump 2-5x between adjacent Pythia checkpoints, the paper's repository shows).
IG_STEPS = 30
FAITHFULNESS_THRESHOLD = 0.8
CIRCUIT_CAP = 1600
CIRCUIT_METHODS = ("eap-ig", "eap")
FAITHFULNESS_MEASURES = ("ratio", "normalised")
CIRCUIT_TOLERANCE = "50%"
# The greater-than algorithm's headline is a logit-lens boost (logits, unbounded): relative.
MLP_BOOST_TOLERANCE = "20%"

# The gate (a fine-tune against its base): how far a check's headline may move the bad way when
# the spec gives no ``tolerance``. Metrics and head scores carry their own (above: relative for
# unbounded metrics such as the logit difference, absolute for accuracies and scores in [0, 1]);
# damages, path damages and shares are fractions and may move by this much.
FRACTION_TOLERANCE = 0.1

# A check's headline (the one value it is judged on) is compared with the setting named in
# ``threshold``; where ``decides``, the verdict is exactly that rule (value op threshold), else
# holding implies it. A stored baseline's verdicts are re-derived from these (gate/baseline.py:
# a tampered verdict is refused).
_SETTINGS = "mechanisms.spec.settings"
CHECK_KINDS = {
    "behaviour": CheckKind(
        "mechanisms.measure.checks:behaviour",
        "the task metric against min or max",
        settings=f"{_SETTINGS}:Behaviour",
        threshold=("min", "max"),
        decides=True,
    ),
    "heads": CheckKind(
        "mechanisms.measure.checks:heads",
        "at least k heads with score >= min (or a role, or fixed ids)",
        settings=f"{_SETTINGS}:Heads",
        threshold=("min",),
    ),
    "ablation": CheckKind(
        "mechanisms.measure.checks:ablation",
        "ablating the selected heads damages the metric by >= min_drop",
        settings=f"{_SETTINGS}:Ablation",
        threshold=("min_drop",),
        decides=True,
        tolerance=FRACTION_TOLERANCE,
    ),
    "path": CheckKind(
        "mechanisms.measure.checks:path",
        "path patching a sender into the receivers' q/k/v damages the metric by >= min_damage",
        settings=f"{_SETTINGS}:Path",
        threshold=("min_damage",),
        tolerance=FRACTION_TOLERANCE,
    ),
    "share": CheckKind(
        "mechanisms.measure.checks:share",
        "the selected heads carry >= min of a head score's total (|.|) over all heads, or over a circuit's heads",
        settings=f"{_SETTINGS}:Share",
        threshold=("min",),
        decides=True,
        tolerance=FRACTION_TOLERANCE,
    ),
    "circuit": CheckKind(
        "mechanisms.measure.checks:circuit",
        "EAP-IG finds a circuit recovering >= threshold of the metric within max_edges / max_nodes, containing the selected heads",
        settings=f"{_SETTINGS}:Circuit",
        lower_is_better=True,  # its headline is its size
        tolerance=CIRCUIT_TOLERANCE,
    ),
    "greater_than_algorithm": CheckKind(
        "mechanisms.measure.algorithms:greater_than_algorithm",
        "the greater-than circuit's MLPs into the logits raise years above YY (mean boost >= "
        "min_mlp_boost) and a head feeding them attends to YY (arXiv 2407.10827, section 4.7)",
        settings=f"{_SETTINGS}:GreaterThanAlgorithm",
        tolerance=MLP_BOOST_TOLERANCE,
    ),
}


def headline_threshold(kind: str) -> tuple:
    """The settings a check kind's headline is judged against (the first one the check gives)."""
    return CHECK_KINDS[kind].threshold


def headline_decides(kind: str, settings: Any) -> bool:
    """Whether a check's verdict is exactly its headline rule. A ``heads`` check by a score with
    ``min`` holds iff its ``at_least``-th best score is >= min (unless ``top`` keeps fewer)."""
    if kind == "heads":
        s = settings
        return (
            s.score is not None
            and s.min is not None
            and s.ids is None
            and (s.top is None or s.top >= s.at_least)
        )
    return CHECK_KINDS[kind].decides


ABLATIONS = ("zero", "mean", "interchange", "resample")

# Claims over a series of cells (``across:`` in a spec): each becomes a test item of its own,
# judged from the cells its spec measured in the run (``mechanisms/series.py``).
SERIES_KINDS = {
    "stability": SeriesKind(
        "mechanisms.measure.series:stability",
        "the circuit's edge (or node) Jaccard similarity between checkpoints, optionally weighted "
        "and EWMA-smoothed, is >= min at every checkpoint from from_step on (one item per size)",
        settings=f"{_SETTINGS}:Stability",
    ),
    "emergence": SeriesKind(
        "mechanisms.measure.series:emergence",
        "the claim's onsets (first checkpoint from which it holds at every later one) lie within a "
        "factor `within` in tokens across sizes (one item per suite)",
        settings=f"{_SETTINGS}:Emergence",
    ),
}
STABILITY_OF = ("edges", "nodes")
STABILITY_COMPARE = ("consecutive", "final")
EWMA_ALPHA = 0.5  # the paper's smoothing (plot_model_task_size.ipynb: ewm(alpha=0.5, adjust=False))
EMERGENCE_WITHIN = 2.0  # "within one octave" of tokens


def role_higher_is_stronger(role: str) -> bool:
    """Whether a role's heads are stronger the higher their first rule's score (a rule such as
    ``direct_effect <= -0.01`` ranks its heads lowest first)."""
    return ROLES[role].rule[0][1].startswith(">")


def bad_direction(kind: str, settings: Any) -> str:
    """``may_fall`` where a check's headline is better high (``min`` thresholds, scores,
    damages), ``may_rise`` where it is better low (``max`` thresholds, a role whose rule asks
    for low scores): the name of the tolerance a spec may give it."""
    if kind == "behaviour":
        return "may_rise" if settings.max is not None else "may_fall"
    if CHECK_KINDS[kind].lower_is_better:
        return "may_rise"
    if kind == "heads" and settings.role:
        return "may_fall" if role_higher_is_stronger(settings.role) else "may_rise"
    return "may_fall"


def default_tolerance(kind: str, settings: Any) -> float | str:
    """The tolerance a check of ``kind`` gets when its spec names none."""
    if kind == "behaviour":
        return METRICS[settings.metric].tolerance
    if kind == "heads" and settings.score:
        return HEAD_SCORES[settings.score].tolerance
    if kind == "heads" and settings.role:
        return HEAD_SCORES[ROLES[settings.role].rule[0][0]].tolerance
    return CHECK_KINDS[kind].tolerance


def roles_table() -> str:
    """The roles table of docs/specs.md, generated (``tests/examples/test_docs.py`` compares)."""
    rows = [f"| `{name}` | {entry.doc} |" for name, entry in ROLES.items()]
    return "\n".join(["| role | rule (all must hold) |", "|---|---|", *rows])
