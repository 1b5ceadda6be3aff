"""S suppression (measure/suppression.py) on hand-set heads: which of the two answer logits a
head's direct write moves, with the final norm's scale held at the clean run's."""

from types import SimpleNamespace

import pytest
import torch

from mechanisms.measure import suppression

D, IO, S = 8, 2, 5


class RMSNorm:
    """An RMS norm as the bridge describes its own (no centring, weight 1, no bias)."""

    uses_rms_norm, uses_weight_offset, bias = True, False, None

    def __init__(self, softcap: bool = False):
        self.weight, self.config, self.softcap = torch.ones(D), SimpleNamespace(eps=1e-5), softcap

    def __call__(self, x):
        out = x / (x.pow(2).mean(-1, keepdim=True) + self.config.eps).sqrt() * self.weight
        return torch.tanh(out) if self.softcap else out


def run_with(writes: list[torch.Tensor], norm=None):
    """One layer whose heads write ``writes`` at the answer position (OV = identity). Token t < D
    unembeds along e_t and token D + t along -e_t, so every row of W_U has mean 0 over the vocab."""
    n = len(writes)
    z = torch.zeros(1, 2, n, D)
    for h, write in enumerate(writes):
        z[0, 1, h] = write
    resid = z[0].sum(1)[None] + 3.0 * torch.nn.functional.one_hot(torch.tensor(7), D).float()
    bridge = SimpleNamespace(
        W_E=None,
        W_U=torch.cat([torch.eye(D), -torch.eye(D)], dim=1),
        W_V=None,
        b_V=None,
        W_O=torch.eye(D).expand(1, n, D, D),
        ln_final=norm or RMSNorm(),
        blocks=[SimpleNamespace()],
    )
    data = SimpleNamespace(correct=[IO], wrong=[S], end_positions=lambda: [1], __len__=lambda: 1)
    model = SimpleNamespace(bridge=bridge, n_layers=1, n_heads=n)
    return SimpleNamespace(model=model, data=_One(data), final_resid=lambda: resid, z=lambda layer: z)


class _One:
    def __init__(self, inner):
        self.__dict__.update(inner.__dict__)

    def __len__(self):
        return 1


def unit(i: int) -> torch.Tensor:
    return torch.nn.functional.one_hot(torch.tensor(i), D).float()


def test_a_head_that_copies_io_suppresses_nothing_and_one_that_lowers_s_suppresses_all():
    run = run_with([2 * unit(IO), -2 * unit(S), unit(IO) - unit(S), -unit(IO), unit(IO) + unit(S)])
    d_io, d_s = suppression.answer_writes(run)
    assert d_io[0, 0] > 0 and d_s[0, 0] == 0 and d_s[0, 1] < 0 and d_io[0, 1] == 0
    # raises IO / lowers S / half of each / works against the answer / raises both equally
    assert suppression.s_suppression(run)[0].tolist() == pytest.approx([0.0, 1.0, 0.5, 0.0, 0.0])


def test_the_scale_is_the_clean_runs_not_recomputed_without_the_head():
    """Direct logit attribution: a head's write is divided by the clean stream's scale, so a
    head doubling its write doubles its attribution (recomputing the norm would not)."""
    small = suppression.answer_writes(run_with([unit(IO), -unit(S)]))
    large = suppression.answer_writes(run_with([2 * unit(IO), -unit(S)]))
    scale_small = (torch.tensor([1.0, -1.0, 3.0]).pow(2).sum() / D + 1e-5).sqrt()
    scale_large = (torch.tensor([2.0, -1.0, 3.0]).pow(2).sum() / D + 1e-5).sqrt()
    assert small[0][0, 0] == pytest.approx(1 / scale_small.item())
    assert large[0][0, 0] == pytest.approx(2 / scale_large.item())


def test_a_norm_it_cannot_rebuild_is_an_error_not_a_number():
    with pytest.raises(RuntimeError, match="final norm"):
        suppression.answer_writes(run_with([unit(IO)], norm=RMSNorm(softcap=True)))
