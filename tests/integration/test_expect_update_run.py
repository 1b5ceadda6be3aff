"""``--mech-update-expect`` on copies of bundled specs whose expectations were made wrong: the
update restores them byte for byte, the next run is green, and a second update changes nothing."""

import shutil
from pathlib import Path

pytest_plugins = ["pytester"]

SPECS = Path(__file__).parents[2] / "mechanisms" / "specs"
RUN = ("-n", "2", "--model-sizes=zoo-520k,zoo-890k", "--checkpoints=default", "-p", "no:cacheprovider")
WRONG = {  # file: (its zoo expectation, a wrong one)
    "induction.mech.yaml": ("zoo-890k: 512}}", "zoo-890k: 1024}}"),
    "greater_than.mech.yaml": ("zoo-890k: 128}", "zoo-890k: 512}"),
}


def test_update_restores_wrong_expectations_and_a_second_update_changes_nothing(pytester):
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    originals = {}
    for name, (right, wrong) in WRONG.items():
        text = (SPECS / name).read_text()
        assert text.count(right) == 1
        originals[name] = text
        shutil.copy(SPECS / name, pytester.path / name)
        (pytester.path / name).write_text(text.replace(right, wrong))

    assert pytester.runpytest_subprocess(*RUN).ret == 1
    shown = pytester.runpytest_subprocess(*RUN, "--mech-update-expect=diff")
    shown.stdout.fnmatch_lines(
        [
            "*greater_than.mech.yaml: would update expect.zoo: zoo-890k: step512 -> step128",
            "*induction.mech.yaml: would update expect.zoo: zoo-890k: step1024 -> step512",
            "would update 2 of 2 spec(s) measured in this run (run with --mech-update-expect to write)",
        ]
    )
    assert all((pytester.path / n).read_text() != originals[n] for n in WRONG)  # =diff writes nothing

    updated = pytester.runpytest_subprocess(*RUN, "--mech-update-expect")
    updated.stdout.fnmatch_lines(
        ["*left alone (marked unstable): zoo-520k@step128", "updated 2 of 2 spec(s)*"]
    )
    assert {n: (pytester.path / n).read_text() for n in WRONG} == originals  # comments and all

    green = pytester.runpytest_subprocess(*RUN, "--mech-update-expect")
    assert green.ret == 0
    green.stdout.fnmatch_lines(["updated 0 of 2 spec(s) measured in this run"])
    assert {n: (pytester.path / n).read_text() for n in WRONG} == originals
