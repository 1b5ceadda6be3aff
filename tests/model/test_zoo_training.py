"""Training is bitwise reproducible with pinned threads (a few steps of the real recipe)."""

from mechanisms.tools.zoo.build import load_recipe
from mechanisms.tools.zoo.training import train


def test_training_twice_gives_identical_weights(tmp_path):
    recipe = load_recipe()
    recipe["checkpoints"] = [0, 3]
    hashes = []
    for run in ("a", "b"):
        train("zoo-250k", recipe, tmp_path / run, steps=3)
        repo = tmp_path / run / "models--pytest-mechanisms--zoo-250k"
        hashes.append((repo / "refs" / "step3").read_text())
    assert hashes[0] == hashes[1]  # snapshot ids are sha1s of the fp16 weights


def test_shipped_step0_is_the_recipe_initialisation(tmp_path):
    """Rebuilding reproduces the shipped checkpoints: step 0 of every size, bit for bit."""
    from mechanisms.models.hubcache import find_in_hub_cache
    from mechanisms.models.resolve import hub_caches

    recipe = load_recipe()
    recipe["checkpoints"] = [0]
    for name in recipe["sizes"]:
        train(name, recipe, tmp_path, steps=0)
        rebuilt = (tmp_path / f"models--pytest-mechanisms--{name}" / "refs" / "step0").read_text()
        assert find_in_hub_cache(f"pytest-mechanisms/{name}", "step0", hub_caches()).name == rebuilt


def test_a_corpus_variant_trains_into_a_hub_cache_the_plugin_resolves(tmp_path, capsys):
    """``python -m mechanisms.tools.zoo.variants``: a model the plugin can load by hub id."""
    from mechanisms.models.hubcache import find_in_hub_cache
    from mechanisms.tools.zoo.variants import main

    main(["third-name", "--size", "zoo-40k", "--out", str(tmp_path), "--steps", "2"])
    assert "HF_HUB_CACHE=" in capsys.readouterr().out
    found = find_in_hub_cache("pytest-mechanisms/third-name-zoo-40k", "step2", [tmp_path])
    assert found is not None and (found / "model.safetensors").is_file()
