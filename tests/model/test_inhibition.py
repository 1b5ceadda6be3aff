"""The heads upstream of the name movers (measure/inhibition.py) on the trained zoo: what the
path-patching scores find where the answer is there to carry, and that they find nothing where it
is not (no name movers, no gap)."""

import pytest
from typed import typed  # a module beside these tests

from mechanisms.measure import inhibition
from mechanisms.measure.checks import share
from mechanisms.measure.runs import task_run

IOI = {"n_prompts": 32, "seed": 0, "templates": "train", "corruption": "s2_io"}
FIG_4D = {
    "heads": [{"role": "induction_into_s_inhibition"}, {"role": "duplicate_into_s_inhibition"}],
    "score": "s_inhibition_value_effect",
    "min": 0.3,
}


@pytest.fixture(scope="module")
def trained(zoo_model):
    return zoo_model("zoo-890k", 2048)


def test_without_name_movers_nothing_is_inhibited_or_fed(trained):
    """The zoo writes the IOI answer with heads that copy no names (docs/emergence.md): there
    are no name movers, so no candidates, no S-inhibition heads and no value path to measure."""
    run = task_run(trained, "ioi", IOI)
    assert not inhibition._role(run, "name_movers")
    for score in ("name_mover_query_effect", "abb_bab_query_effect", "s_inhibition_value_effect"):
        assert not run.head_scores(score).any(), score
    assert not share(run, typed("share", FIG_4D)).holds


def test_induction_heads_feed_the_values_of_the_heads_they_stand_for(trained, monkeypatch):
    """Fig. 4D's measurement with the zoo's answer writers (L2H1, L3H1) standing in as the
    S-inhibition heads: the heads feeding their values are the layer-1 induction heads (above the
    mean induction score), which carry most of the effect. Control: into a head that carries
    nothing (L3H3), no sender passes -0.001 and the share fails."""
    writers = [(2, 1), (3, 1)]
    monkeypatch.setattr(inhibition, "pure_s_inhibition_heads", lambda run: writers)
    run = task_run(trained, "ioi", {**IOI, "n_prompts": 30})  # not the run the test above scored
    effect = run.head_scores("s_inhibition_value_effect")
    strongest = sorted((effect[l, h].item(), (l, h)) for l in range(4) for h in range(4))[:3]
    assert all(layer == 1 and value < -0.05 for value, (layer, _) in strongest), strongest
    assert not effect[3:].any()  # no sender at or above the last receiver's layer
    fed = share(run, typed("share", FIG_4D))
    assert fed.holds and fed.values["share"] > 0.8, fed.summary

    monkeypatch.setattr(inhibition, "pure_s_inhibition_heads", lambda run: [(3, 3)])
    idle = task_run(trained, "ioi", {**IOI, "n_prompts": 31})
    assert (idle.head_scores("s_inhibition_value_effect") > -0.001).all()
    assert not share(idle, typed("share", FIG_4D)).holds


def test_an_untrained_checkpoint_has_no_gap_to_carry(zoo_model, monkeypatch):
    monkeypatch.setattr(inhibition, "pure_s_inhibition_heads", lambda run: [(2, 1), (3, 1)])
    run = task_run(zoo_model("zoo-890k", 0), "ioi", IOI)
    assert not run.head_scores("s_inhibition_value_effect").any()
