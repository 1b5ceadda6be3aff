import pytest

from mechanisms.catalogue.checkpoints import SelectionError, select_steps
from mechanisms.catalogue.suites import PYTHIA_STEPS
from mechanisms.plan.cells import extra_cell, suite_cells

STEPS = [0, 1, 2, 4, 8, 512, 1024, 2048]


@pytest.mark.parametrize(
    "selection, expected",
    [
        ("final", [2048]),
        ("all", STEPS),
        ("step0,step512", [0, 512]),
        ("0,1024", [0, 1024]),
        ("step4..step1024", [4, 8, 512, 1024]),
        ("default", [0, 2048]),
        ("step0,final", [0, 2048]),
        ("step0,default", [0, 2048]),
    ],
)
def test_selections(selection, expected):
    assert select_steps(selection, STEPS, [0, 2048]) == expected


@pytest.mark.parametrize(
    "selection, message",
    [
        ("step3", "step3 is not a checkpoint of this suite (nearest: step2)"),
        ("step3000..step4000", "holds no checkpoint"),
        ("latest", "not a checkpoint: 'latest'"),
    ],
)
def test_bad_selections(selection, message):
    with pytest.raises(SelectionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        select_steps(selection, STEPS, [])


def test_pythia_has_154_checkpoints_and_real_revisions():
    assert len(PYTHIA_STEPS) == 154
    cells = suite_cells("pythia", "pythia-70m", "step1000,final")
    assert [(c.revision, c.tokens) for c in cells] == [
        ("step1000", 1000 * 2_097_152),
        ("step143000", 143000 * 2_097_152),
    ]
    assert cells[0].label == "pythia-70m@step1000" and cells[0].group == "EleutherAI/pythia-70m:step1000"


def test_zoo_default_plan_covers_every_size():
    cells = suite_cells("zoo", None, "final")
    assert [c.size for c in cells] == ["zoo-40k", "zoo-250k", "zoo-520k", "zoo-890k"]
    assert all(c.step == 2048 and c.tokens == 2048 * 2048 for c in cells)


def test_unknown_size_is_named():
    with pytest.raises(SelectionError, match="no size zoo-1b"):
        suite_cells("zoo", "zoo-1b", "final")


def test_extra_model_cells():
    cell = extra_cell("EleutherAI/pythia-70m@step1000", "pythia")
    assert (cell.size, cell.revision, cell.step, cell.extra) == (
        "EleutherAI/pythia-70m",
        "step1000",
        1000,
        True,
    )
    assert extra_cell("./runs/my-finetune", "zoo").size == "my-finetune"
