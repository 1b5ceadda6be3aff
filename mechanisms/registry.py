"""Names a spec may use, with where their code lives, so that specs validate without importing
torch: tasks (data generators), metrics, head scores, head roles and check kinds.

Each entry points at ``module:function``; the function is imported only when a model is measured.
To add a measurement, write the function and add one line here; the JSON Schema and the docs'
tables are generated from these tables.
"""

from dataclasses import dataclass, field
from importlib import import_module


@dataclass(frozen=True)
class Entry:
    target: str  # "module:function"
    doc: str
    params: dict = field(default_factory=dict)  # name -> (type, default)
    answer: str = ""  # tasks: the answer format they produce; metrics: the format they read
    tasks: tuple = ()  # scores and roles: tasks whose data they need (empty: weights only)

    def load(self):
        module, _, name = self.target.partition(":")
        return getattr(import_module(module), name)


_N = {"n_prompts": (int, 64), "seed": (int, 0)}
TASKS = {
    "repeated_tokens": Entry(
        "mechanisms.tasks:repeated_tokens",
        "EOS/BOS + a random token span + the same span (induction, previous-token, duplicate heads).",
        {"n_prompts": (int, 32), "seed": (int, 0), "span": (int, 15), "pool": (str, "all")},
        answer="sequence",
    ),
    "ioi": Entry(
        "mechanisms.tasks:ioi",
        "Indirect object identification, ABBA/BABA balanced; corrupted = S2 replaced by IO, or random names.",
        {**_N, "templates": (str, "train"), "corruption": (str, "s2_io")},
        answer="pair",
    ),
    "greater_than": Entry(
        "mechanisms.tasks:greater_than",
        "'The war lasted from the year 17YY to the year 17' -> a two-digit year > YY; corrupted YY = 01.",
        dict(_N),
        answer="group",
    ),
    "gendered_pronoun": Entry(
        "mechanisms.tasks:gendered_pronoun",
        "'So Mary is such a good cook, isn't' -> ' she'; corrupted = a name of the other gender.",
        dict(_N),
        answer="pair",
    ),
    "sva": Entry(
        "mechanisms.tasks:subject_verb_agreement",
        "Marvin & Linzen-style 'The author(s) that the guards like' -> a verb agreeing with the subject; corrupted = other number.",
        {**_N, "constructions": (str, "all")},
        answer="group",
    ),
    "successor": Entry(
        "mechanisms.tasks:successor",
        "Three consecutive items of an ordinal sequence (numbers, weekdays, months) -> the next one.",
        {**_N, "separator": (str, "")},
        answer="target",
    ),
}

METRICS = {
    "logit_diff": Entry("mechanisms.metrics:logit_diff", "mean logit(correct) - logit(wrong) at the answer position", answer="pair"),
    "pair_accuracy": Entry("mechanisms.metrics:pair_accuracy", "fraction of prompts with logit(correct) > logit(wrong)", answer="pair"),
    "prob_diff": Entry("mechanisms.metrics:prob_diff", "mean sum p(correct group) - sum p(wrong group) (the paper's group-sum prob diff)", answer="group"),
    "group_accuracy": Entry("mechanisms.metrics:group_accuracy", "fraction of prompts where the correct group has more probability mass", answer="group"),
    "top1_accuracy": Entry("mechanisms.metrics:top1_accuracy", "fraction of prompts whose argmax over the vocabulary is the answer", answer="target"),
    "repeat_loss": Entry("mechanisms.metrics:repeat_loss", "mean next-token loss (nats) on the second copy of the span", answer="sequence"),
    "loss_drop": Entry("mechanisms.metrics:loss_drop", "loss on the first copy minus loss on the second copy (nats)", answer="sequence"),
}

HEAD_SCORES = {
    "previous_token": Entry("mechanisms.heads:previous_token_score", "mean attention from each position to the one before", tasks=("repeated_tokens",)),
    "duplicate_token": Entry("mechanisms.heads:duplicate_token_score", "mean attention from a repeated token to its earlier copy", tasks=("repeated_tokens",)),
    "induction": Entry("mechanisms.heads:induction_score", "mean attention from a repeated token to the token after its earlier copy", tasks=("repeated_tokens",)),
    "copy": Entry("mechanisms.heads:copy_score", "fraction of names whose token is in the top-5 of the head's OV output (Wang et al.)", tasks=("ioi",)),
    "negative_copy": Entry("mechanisms.heads:negative_copy_score", "copy score of the negated OV output (copy suppression / negative name movers)", tasks=("ioi",)),
    "end_to_io": Entry("mechanisms.heads:end_to_io_attention", "attention from END to IO minus the larger of END to S1 / S2", tasks=("ioi",)),
    "successor": Entry("mechanisms.heads:successor_score", "fraction of ordinal tokens whose successor tops the head's OV output (Gould et al.)"),
}

ROLES = {
    "induction_heads": Entry("mechanisms.roles:induction_heads", "induction score >= 0.4", tasks=("repeated_tokens",)),
    "previous_token_heads": Entry("mechanisms.roles:previous_token_heads", "previous-token score >= 0.5", tasks=("repeated_tokens",)),
    "name_movers": Entry("mechanisms.roles:name_movers", "copy score > 10% and END attends to IO more than to S1 and S2", tasks=("ioi",)),
    "negative_name_movers": Entry("mechanisms.roles:negative_name_movers", "negative copy score > 10% and END attends to IO more than to S1 and S2", tasks=("ioi",)),
    "successor_heads": Entry("mechanisms.roles:successor_heads", "successor score >= 0.5"),
}

# Bounds on every count a spec may set, checked when the spec loads (a spec asking for a billion
# prompts is an error, not a hung run), and the closed choices of string parameters.
PARAM_BOUNDS = {"n_prompts": (1, 4096), "span": (2, 1024), "seed": (0, 2**32 - 1)}
PARAM_CHOICES = {
    "templates": ("train", "held_out"),
    "corruption": ("s2_io", "random_names"),
    "constructions": ("all", "simple", "prep", "subj_rel", "obj_rel", "sent_comp"),  # comma lists allowed
}
# Tasks without corrupted prompts cannot back interchange ablations, path patching or `on: corrupted`.
CLEAN_ONLY_TASKS = ("repeated_tokens", "successor")

CHECK_KINDS = ("behaviour", "heads", "ablation", "path")
ABLATIONS = ("zero", "mean", "resample")
