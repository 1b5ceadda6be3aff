"""The xdist scheduler's pure parts: reading the cell from a node id, and ordering work units."""

from mechanisms.scheduling import cell_of, units_by_cost

GLOBS = ("*.mech.yaml", "*.mech.yml")


def test_the_cell_is_read_from_a_spec_items_brackets():
    assert cell_of("specs/ioi.mech.yaml::ioi-behaviour[zoo-890k@step512]", GLOBS) == "zoo-890k@step512"
    assert cell_of("ft.mech.yml::x[my-model@final]", GLOBS) == "my-model@final"


def test_other_items_have_no_cell():
    assert cell_of("tests/test_a.py::test_b[zoo-890k@step512]", GLOBS) is None  # parametrized Python test
    assert cell_of("specs/ioi.mech.yaml::<invalid spec>", GLOBS) is None
    assert cell_of("specs/ioi.mech.yaml", GLOBS) is None
    assert cell_of("a[1].mech.yaml/b.py::t[x]", GLOBS) is None  # brackets in a directory name


def _scope(nodeid):
    cell = cell_of(nodeid, GLOBS)
    return nodeid if cell is None else f"cell:{cell}"


def test_units_group_cells_and_put_the_costliest_first():
    ids = [
        f"s{i}.mech.yaml::c{i}[{cell}]"
        for i in range(2)
        for cell in ("small@step0", "big@step0", "big@final")
    ]
    ids.append("test_x.py::test_y")
    units = units_by_cost(ids, _scope, {"small@step0": 1.0, "big@step0": 10.0, "big@final": 10.0})
    assert list(units) == ["cell:big@step0", "cell:big@final", "cell:small@step0", "test_x.py::test_y"]
    assert all(len(u) == 2 for scope, u in units.items() if scope.startswith("cell:"))
    assert not any(done for u in units.values() for done in u.values())


def test_unknown_costs_count_as_the_largest():
    units = units_by_cost(["a.mech.yaml::x[ft@final]", "a.mech.yaml::x[s@final]"], _scope, {"s@final": 5.0})
    assert next(iter(units)) == "cell:ft@final"
