"""The zoo loads offline through the same code path as any hub model, and matches HF."""

import json
import shutil
import time

import pytest
import torch

from mechanisms.catalogue.suites import zoo_dir, zoo_suite
from mechanisms.models.hubcache import find_in_hub_cache
from mechanisms.models.loading import boot
from mechanisms.models.resolve import ModelUnavailable, hub_caches, resolve

ZOO = zoo_suite()
SIZES = list(ZOO.sizes)


def test_zoo_matches_its_manifest_and_budget():
    manifest = json.loads((zoo_dir() / "zoo.json").read_text())
    params = [s["params"] for s in manifest["sizes"].values()]
    assert len(params) >= 4 and max(params) / min(params) >= 10
    assert all(len(s.steps) >= 16 and s.steps[0] == 0 for s in ZOO.sizes.values())
    total = sum(f.stat().st_size for f in zoo_dir().rglob("*") if f.is_file())
    assert total <= 64 * 1024 * 1024


def test_every_zoo_size_and_checkpoint_boots(zoo_model):
    """Each size x checkpoint resolves in hub-cache layout and boots through TransformerBridge."""
    from transformer_lens.model_bridge import TransformerBridge

    booted = 0
    for size in ZOO.sizes.values():
        for step in size.steps:
            path = find_in_hub_cache(size.model_id, f"step{step}", hub_caches())
            assert path is not None, f"{size.name}@step{step} missing"
            bridge = TransformerBridge.boot_transformers(str(path), device="cpu")
            assert bridge.cfg.d_head == 32
            booted += 1
    assert booted == sum(len(s.steps) for s in ZOO.sizes.values())


@pytest.mark.parametrize("size", SIZES)
def test_bridge_logits_match_hf(size):
    from transformers import GPTNeoXForCausalLM

    path = find_in_hub_cache(f"pytest-mechanisms/{size}", "main", hub_caches())
    hf = GPTNeoXForCausalLM.from_pretrained(path, attn_implementation="eager", dtype=torch.float32).eval()
    model = boot(
        f"pytest-mechanisms/{size}", None, prepend_bos=True
    )  # a separate copy: the bridge rewires in place
    tokens = torch.tensor([[0, 4, 39, 9, 40, 10, 11, 12, 63, 3, 40, 13, 15, 75, 11]])
    with torch.inference_mode():
        diff = (model.bridge(tokens) - hf(tokens).logits).abs().max().item()
    assert diff < 1e-5


def test_missing_hub_model_fails_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    start = time.perf_counter()
    with pytest.raises(
        ModelUnavailable,
        match=r"EleutherAI/pythia-70m@step1000 is not on this machine.*hf download EleutherAI/pythia-70m --revision step1000",
    ):
        boot("EleutherAI/pythia-70m", "step1000", prepend_bos=False)
    assert time.perf_counter() - start < 2.0


def test_pythia_revisions_resolve_from_a_hub_cache(tmp_path, monkeypatch):
    """A Pythia checkpoint in the user's HF cache loads by id and stepN revision, offline."""
    src = find_in_hub_cache("pytest-mechanisms/zoo-40k", "step512", hub_caches())
    repo = tmp_path / "models--EleutherAI--pythia-70m"
    shutil.copytree(src, repo / "snapshots" / "abc123")
    (repo / "refs").mkdir()
    (repo / "refs" / "step1000").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    assert resolve("EleutherAI/pythia-70m", "step1000") == repo / "snapshots" / "abc123"
    model = boot("EleutherAI/pythia-70m", "step1000", prepend_bos=False)
    assert model.weights_sha256 == boot("pytest-mechanisms/zoo-40k", "step512", True).weights_sha256
    with pytest.raises(ModelUnavailable):
        resolve("EleutherAI/pythia-70m", "step2000")


def test_local_paths_fail_clearly(tmp_path):
    with pytest.raises(ModelUnavailable, match="does not exist"):
        resolve(str(tmp_path / "nope"))
    with pytest.raises(ModelUnavailable, match=r"no config\.json"):
        resolve(str(tmp_path))
