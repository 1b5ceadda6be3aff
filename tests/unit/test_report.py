from mechanisms.report.matrix import emergence, matrices, render_matrices


def record(model, step, outcome, expected=True, params=1):
    return {"spec": "s", "suite": "zoo", "model": model, "step": step, "tokens": step * 2048,
            "params": params, "outcome": outcome, "holds": outcome == "holds", "expected": expected,
            "claim": "c", "spec_version": 1}


def test_emergence_is_the_first_step_from_which_it_always_holds():
    rows = [record("a", 0, "absent"), record("a", 1, "holds"), record("a", 2, "absent"),
            record("a", 4, "holds"), record("a", 8, "holds")]
    m = matrices(rows)[("s", "zoo")]
    assert emergence(m, "a") == (4, 4 * 2048)


def test_matrix_symbols_and_disagreement_marker():
    rows = [record("small", 0, "absent", expected=False), record("small", 8, "holds", expected=False),
            record("big", 0, "error", params=2)]
    text = "\n".join(render_matrices(rows))
    assert "✓!" in text and " E" in text and "·" in text
    assert text.index("small") < text.index("big")  # rows ordered by parameter count
