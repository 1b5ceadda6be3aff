"""The README's walkthrough is a test: its spec, its commands and the numbers it quotes are run
and compared with what the plugin prints, so a change that makes the README false fails here."""

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

README = Path(__file__).parents[2] / "README.md"
TEXT = README.read_text()
WALKTHROUGH = TEXT[TEXT.index("## Write your first spec") : TEXT.index("Every step above is run by")]


def quoted(after: str) -> str:
    """The first `code` span of the walkthrough after ``after``."""
    rest = WALKTHROUGH[WALKTHROUGH.index(after) + len(after) :]
    return re.search(r"`([^`]+)`", rest).group(1)


def run_args(command: str) -> list[str]:
    words = re.sub(r"\s+", " ", command).split()
    assert words[:2] == ["pytest", "my_specs"], command
    return words[1:]


@pytest.mark.slow
def test_the_walkthrough_runs_as_the_readme_says(pytester):
    spec = textwrap.dedent(re.search(r"```yaml\n(.*?)```", WALKTHROUGH, re.S).group(1))
    path = pytester.path / "my_specs" / "prev_token.mech.yaml"
    path.parent.mkdir()
    path.write_text(spec)
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    command = run_args(quoted("2. Run it: "))

    first = pytester.runpytest_subprocess(*command, "-p", "no:cacheprovider")
    out = first.stdout.str()
    assert quoted("The run ends with\n   ") in out
    assert quoted("measured value (") in out  # the check's line, with its number
    assert first.ret == 1

    update = run_args(quoted("4. Accept what was measured: "))
    assert update == [*command, "--mech-update-expect"]
    assert pytester.runpytest_subprocess(*update, "-p", "no:cacheprovider").ret == 1  # judged as before
    rewritten = path.read_text()
    assert quoted("`--mech-update-expect=diff` only prints the change) to\n   ") in rewritten
    assert (
        rewritten.replace(
            quoted("`--mech-update-expect=diff` only prints the change) to\n   "),
            "zoo: {sizes: {zoo-890k: 512}}",
        )
        == spec
    )  # only that entry changed: the comments and the rest are kept

    green = pytester.runpytest_subprocess(*command, "-p", "no:cacheprovider")
    assert green.ret == 0
    assert quoted("and the next run is green:\n   ") in green.stdout.str()

    again = pytester.runpytest_subprocess(*command, "--mech-update-expect=diff", "-p", "no:cacheprovider")
    assert "would update 0 of 1 spec(s)" in again.stdout.str() and path.read_text() == rewritten

    path.write_text(rewritten.replace("min: 0.5", "mni: 0.5"))
    typo = pytester.runpytest_subprocess("my_specs", "--collect-only", "-p", "no:cacheprovider")
    expected = quoted("`mni: 0.5` gives\n   ").removesuffix("...")
    assert expected in typo.stdout.str()


def test_every_plugin_option_is_in_the_options_table():
    from mechanisms import command_line

    options = re.findall(r'"(--[a-z-]+)"', Path(command_line.__file__).read_text())
    assert len(options) > 10
    running = (README.parent / "docs" / "running.md").read_text()
    table = running[running.index("## Options") : running.index("`results.json` is replaced")]
    assert [o for o in options if f"`{o}" not in table] == []


def test_the_schema_comment_is_the_same_in_readme_and_docs():
    """Both name the schema relative to the spec file: from a folder beside ``mechanisms/``."""
    docs = (README.parent / "docs" / "specs.md").read_text()
    comment = re.search(r"# yaml-language-server: \$schema=(\S+)", WALKTHROUGH).group(1)
    assert comment == "../mechanisms/specs/spec.schema.json" and comment in docs


GATING_PAGE = (README.parent / "docs" / "gating.md").read_text()
GATING = GATING_PAGE[: GATING_PAGE.index("- **Tolerances**")]


@pytest.mark.slow
def test_the_gating_page_prints_what_it_shows(pytester):
    """The two gate commands, run as written (the fine-tune's path made absolute), write the
    summary the README quotes: every line of its excerpt is in gate.md."""
    commands = re.search(r"```\n(pytest .*?)```", GATING, re.S).group(1).strip().splitlines()
    excerpt = re.search(r"```\n(### Mechanism gate.*?)```", GATING, re.S).group(1).splitlines()
    pytester.makeini("[pytest]\nxfail_strict = true\n")
    (pytester.path / "my.mech.yaml").unlink(missing_ok=True)
    # the bundled specs, copied: the run's rootdir (and report folder) is this project's
    shutil.copytree(README.parent / "mechanisms" / "specs", pytester.path / "specs")
    results = []
    for command in commands:
        words = command.split()[1:]
        words = [w.replace("=fixtures/", f"={README.parent}/fixtures/") for w in words]
        results.append(pytester.runpytest_subprocess("specs", *words, "-p", "no:cacheprovider"))
    assert [r.ret for r in results] == [0, 1]
    summary = (pytester.path / "gate.md").read_text().splitlines()

    def shown(line: str) -> bool:  # "..." ends a line whose rest varies (the baseline's sha256)
        if line.endswith("..."):
            return any(s.startswith(line[:-3]) for s in summary)
        return line in summary

    missing = [line for line in excerpt if line and line != "..." and not shown(line)]
    assert missing == []
    size = (pytester.path / "base.json").stat().st_size / 1000
    claims = re.search(r"baseline \(([\d.]+) KB of JSON for the (\d+) bundled zoo claims\)", GATING)
    assert abs(size - float(claims.group(1))) < 0.05 * size  # library version strings vary a little
    assert len(json.loads((pytester.path / "base.json").read_text())["claims"]) == int(claims.group(2))


def test_the_docs_home_page_installs_and_runs_as_the_readme_does():
    home = (README.parent / "docs" / "index.md").read_text()
    command = re.search(r"```bash\n(pip install .*?)\n```", home, re.S).group(1)
    assert command in TEXT.splitlines()


def test_the_readme_is_a_front_page():
    """The README stays short; the rest is the documentation site, and every page it links exists."""
    assert len(TEXT.splitlines()) <= 150
    for link in re.findall(r"\]\((docs/[^)#]+)", TEXT):
        assert (README.parent / link).is_file(), link


def test_the_readme_gates_as_the_gating_page_does():
    """The README's two gate commands are the ones the gating page runs and quotes."""
    section = TEXT[TEXT.index("## Gate a fine-tune") :]
    readme = re.search(r"```\n(pytest .*?)```", section, re.S).group(1)
    page = re.search(r"```\n(pytest .*?)```", GATING, re.S).group(1)
    assert readme == page
