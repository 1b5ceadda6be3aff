"""The xdist scheduler's pure parts: reading the cell from a node id, and ordering work units."""

from types import SimpleNamespace

from mechanisms.scheduling import cell_of, order_items, scope_of

GLOBS = ("*.mech.yaml", "*.mech.yml")


def test_the_cell_is_read_from_a_spec_items_brackets():
    assert cell_of("specs/ioi.mech.yaml::ioi-behaviour[zoo-890k@step512]", GLOBS) == "zoo-890k@step512"
    assert cell_of("ft.mech.yml::x[my-model@final]", GLOBS) == "my-model@final"


def test_other_items_have_no_cell():
    assert cell_of("tests/test_a.py::test_b[zoo-890k@step512]", GLOBS) is None  # parametrized Python test
    assert cell_of("specs/ioi.mech.yaml::<invalid spec>", GLOBS) is None
    assert cell_of("specs/ioi.mech.yaml", GLOBS) is None
    assert cell_of("a[1].mech.yaml/b.py::t[x]", GLOBS) is None  # brackets in a directory name


def cell(label, group=None, rank=0):
    return SimpleNamespace(label=label, group=group or label, rank=rank)


def test_cells_are_grouped_and_the_costliest_model_comes_first():
    items = [SimpleNamespace(name="test_y")]
    for i in range(2):
        items += [
            SimpleNamespace(name=f"c{i}", cell=cell(label))
            for label in ("small@step0", "big@step0", "big@final")
        ]
    items.append(SimpleNamespace(name="stable", cells=[]))
    order_items(items, {"small@step0": 1.0, "big@step0": 10.0, "big@final": 10.0})
    assert [getattr(i, "cell", None) and i.cell.label for i in items] == [
        None,
        "big@final",  # equal costs: by group name, then collection order
        "big@final",
        "big@step0",
        "big@step0",
        "small@step0",
        "small@step0",
        None,
    ]
    assert items[0].name == "test_y" and items[-1].name == "stable"  # series items last


def test_unknown_costs_count_as_the_largest_and_a_gates_base_comes_first():
    items = [SimpleNamespace(cell=cell("s@final")), SimpleNamespace(cell=cell("ft@final"))]
    order_items(items, {"s@final": 5.0})
    assert items[0].cell.label == "ft@final"
    gate = [SimpleNamespace(cell=cell(f"m{r}@final", "gate", rank=r)) for r in (2, 0, 1)]
    order_items(gate, {})
    assert [i.cell.rank for i in gate] == [0, 1, 2]


def test_a_gate_is_one_unit_and_other_items_their_own():
    assert scope_of("a.mech.yaml::x[base@final]", GLOBS, {"base@final"}) == "cell:gate"
    assert scope_of("a.mech.yaml::x[m@step1]", GLOBS, set()) == "cell:m@step1"
    assert scope_of("a.mech.yaml::x-stable[m]", GLOBS, set()) == "a.mech.yaml::x-stable[m]"
