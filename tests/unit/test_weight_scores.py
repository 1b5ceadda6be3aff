"""Weight-based head scores (copy, negative copy, successor) on hand-set weights."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from mechanisms.measure import heads
from mechanisms.measure.tasks import successor_pairs
from mechanisms.spec.schema import spec_schema


def identity(x):
    return x


class FinalNorm:
    """A final layer norm that only scales each dimension by ``weight`` (no centring)."""

    def __init__(self, weight):
        self.weight = weight

    def __call__(self, x):
        return x * self.weight


def fake_bridge(d, w_o, w_e=None, gqa=False, final_weight=None):
    """One layer, two heads; head 0 copies (OV = I), head 1 uses ``w_o``. LayerNorms are identity
    unless ``final_weight`` scales the final one."""
    n_heads = 2
    w_v = torch.eye(d).expand(1 if gqa else n_heads, d, d)[None]
    return SimpleNamespace(
        cfg=SimpleNamespace(n_heads=n_heads, n_key_value_heads=1 if gqa else None),
        W_V=w_v,
        b_V=None,
        W_O=torch.stack([torch.eye(d), w_o])[None],
        W_U=torch.eye(d),
        W_E=w_e if w_e is not None else torch.eye(d),
        blocks=[SimpleNamespace(ln1=identity, ln2=identity, mlp=identity)],
        ln_final=FinalNorm(torch.ones(d) if final_weight is None else final_weight),
    )


@pytest.mark.parametrize("gqa", [False, True])
def test_copy_scores_on_a_copying_and_a_suppressing_head(gqa):
    d, names = 8, [3, 5]
    resid = torch.zeros(2, 6, d)
    for b, name in enumerate(names):
        resid[b, 1, name] = resid[b, 2, names[1 - b]] = resid[b, 4, names[1 - b]] = 1.0
    data = SimpleNamespace(
        correct=names, wrong=names[::-1], positions={"io": [1, 1], "s1": [2, 2], "s2": [4, 4]}
    )
    run = SimpleNamespace(
        model=SimpleNamespace(bridge=fake_bridge(d, -torch.eye(d), gqa=gqa), n_layers=1, n_heads=2),
        clean=(None, {"blocks.0.hook_resid_post": resid}),
        data=_Sized(data, 2),
        scores={},
    )
    assert heads.copy_score(run).tolist() == [[1.0, 0.0]]
    assert heads.negative_copy_score(run).tolist() == [[0.0, 1.0]]


def test_copy_score_folds_the_final_layer_norm_weight_into_the_unembedding():
    """The paper's copy score reads logits through ``diag(w_ln_final) W_U``: a final norm that
    silences the name dimensions makes the copying head miss every name, as it would in the model."""
    d, names = 8, [3, 5]
    resid = torch.zeros(2, 6, d)
    for b, name in enumerate(names):
        resid[b, 1, name] = resid[b, 2, names[1 - b]] = resid[b, 4, names[1 - b]] = 1.0
    resid += 0.1 * torch.arange(d)  # every other dimension carries a little signal
    data = SimpleNamespace(
        correct=names, wrong=names[::-1], positions={"io": [1, 1], "s1": [2, 2], "s2": [4, 4]}
    )
    weight = torch.ones(d)
    weight[names] = 0.0
    bridge = fake_bridge(d, -torch.eye(d), final_weight=weight)
    run = SimpleNamespace(
        model=SimpleNamespace(bridge=bridge, n_layers=1, n_heads=2),
        clean=(None, {"blocks.0.hook_resid_post": resid}),
        data=_Sized(data, 2),
        scores={},
    )
    assert heads.copy_score(run)[0, 0] == 0.0  # folded: the names' logits are zeroed
    bridge.ln_final.weight = torch.ones(d)
    run.scores.clear()
    run.model.stacked_weights_cache = None  # weights are read once per model
    assert heads.copy_score(run)[0, 0] == 1.0  # negative control: a neutral norm lets them through


def test_copy_score_reads_a_head_through_its_post_attention_norm():
    """Gemma-3 normalises the attention output before the residual stream (``ln1_post``): a norm
    whose weight silences the name dimensions hides the copying, in the model and in the score."""
    d, names = 8, [3, 5]
    resid = torch.zeros(2, 6, d)
    for b, name in enumerate(names):
        resid[b, 1, name] = resid[b, 2, names[1 - b]] = resid[b, 4, names[1 - b]] = 1.0
    resid += 0.1 * torch.arange(d)
    data = SimpleNamespace(
        correct=names, wrong=names[::-1], positions={"io": [1, 1], "s1": [2, 2], "s2": [4, 4]}
    )
    weight = torch.ones(d)
    weight[names] = 0.0
    bridge = fake_bridge(d, -torch.eye(d))
    bridge.blocks[0].ln1_post = FinalNorm(weight)
    run = SimpleNamespace(
        model=SimpleNamespace(bridge=bridge, n_layers=1, n_heads=2),
        clean=(None, {"blocks.0.hook_resid_post": resid}),
        data=_Sized(data, 2),
        scores={},
    )
    assert heads.copy_score(run)[0, 0] == 0.0
    assert heads.copy_score_final_ln(run)[0, 0] == 0.0
    bridge.blocks[0].ln1_post.weight = torch.ones(d)  # negative control: a neutral norm
    run.scores.clear()
    assert heads.copy_score(run)[0, 0] == 1.0


class _Sized:
    def __init__(self, inner, n):
        self.__dict__.update(inner.__dict__)
        self._n = n

    def __len__(self):
        return self._n


def test_successor_score_finds_the_head_that_maps_each_item_to_the_next(zoo_vocab):
    """Head 1's OV maps every item to its successor (MLP0 is the identity here, so the effective
    embedding is the token's own one-hot row); head 0 copies, and never names the next item."""
    d = zoo_vocab.size
    shift = torch.zeros(d, d)
    sequences = successor_pairs(zoo_vocab)
    for seq in sequences:
        for source, target in zip(seq.sources, seq.targets):
            shift[source, seq.members[target]] = 1.0
    run = SimpleNamespace(
        model=SimpleNamespace(bridge=fake_bridge(d, shift), n_layers=1, n_heads=2), vocab=zoo_vocab
    )
    scores = heads.successor_score(run)
    assert {s.name.split(",")[0] for s in sequences} >= {"numbers", "days", "months"}
    assert scores[0, 1] == pytest.approx(1.0) and scores[0, 0] == pytest.approx(0.0)


def test_successor_pairs_keep_only_single_token_items_in_every_spelling(zoo_vocab):
    by_name = {s.name: s for s in successor_pairs(zoo_vocab)}
    days = by_name["days"]
    assert len(days.sources) == 7  # cyclic: Sunday -> Monday counts
    assert days.members[days.targets[-1]] == zoo_vocab.single("Monday")
    assert "letters, inverted case" not in by_name or all(by_name["letters, inverted case"].members)


def test_published_schema_is_current():
    published = Path(__file__).parents[2] / "mechanisms" / "specs" / "spec.schema.json"
    assert json.loads(published.read_text()) == json.loads(json.dumps(spec_schema()))
