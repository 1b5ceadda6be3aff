"""Task metrics, computed from logits ``[batch, pos, vocab]`` and the task's ``TaskData``
(metrics that read the answer position only also take ``[batch, vocab]``).

Each reads every prompt at its own answer position (right padding), so batches of mixed
lengths are exact. Definitions follow the paper's code (arXiv 2407.10827, section 2 and its task code):
logit difference for IOI and Gendered Pronoun, group-sum probability difference for
Greater-Than and SVA, and loss on the repeated half for induction.
"""

import torch

from .tasks import TaskData


def answer_logits(logits: torch.Tensor, task: TaskData) -> torch.Tensor:
    """``[batch, vocab]`` logits at each prompt's last real token (given as they are if they are
    ``[batch, vocab]`` already: path patching unembeds the answer positions only)."""
    if logits.dim() == 2:
        return logits
    ends = torch.tensor(task.end_positions(), device=logits.device)
    return logits[torch.arange(logits.shape[0], device=logits.device), ends]


def logit_diffs(logits: torch.Tensor, task: TaskData) -> torch.Tensor:
    final = answer_logits(logits, task)
    rows = torch.arange(final.shape[0])
    return final[rows, torch.tensor(task.correct)] - final[rows, torch.tensor(task.wrong)]


def logit_diff(logits: torch.Tensor, task: TaskData) -> float:
    return logit_diffs(logits, task).mean().item()


def pair_accuracy(logits: torch.Tensor, task: TaskData) -> float:
    return (logit_diffs(logits, task) > 0).float().mean().item()


def group_masses(logits: torch.Tensor, task: TaskData) -> tuple[torch.Tensor, torch.Tensor]:
    probs = answer_logits(logits, task).float().softmax(-1)[:, torch.tensor(task.candidates)]
    flags = torch.tensor(task.flags, dtype=probs.dtype)
    return (probs * (flags > 0)).sum(-1), (probs * (flags < 0)).sum(-1)


def prob_diffs(logits: torch.Tensor, task: TaskData) -> torch.Tensor:
    good, bad = group_masses(logits, task)
    return good - bad


def prob_diff(logits: torch.Tensor, task: TaskData) -> float:
    return prob_diffs(logits, task).mean().item()


def group_accuracy(logits: torch.Tensor, task: TaskData) -> float:
    good, bad = group_masses(logits, task)
    return (good > bad).float().mean().item()


def top1_accuracy(logits: torch.Tensor, task: TaskData) -> float:
    return (answer_logits(logits, task).argmax(-1) == torch.tensor(task.correct)).float().mean().item()


def copy_losses(logits: torch.Tensor, task: TaskData) -> tuple[float, float]:
    """Mean next-token loss on the first copy (tokens 2..L) and on the second copy (L+2..2L)."""
    tokens = task.padded()
    logprobs = logits[:, :-1].float().log_softmax(-1)
    nll = -logprobs.gather(-1, tokens[:, 1:, None])[..., 0]  # nll[:, t] predicts token t+1
    s, L = task.start, task.span
    first = nll[:, s : s + L - 1].mean().item()
    second = nll[:, s + L : s + 2 * L - 1].mean().item()
    return first, second


def repeat_loss(logits: torch.Tensor, task: TaskData) -> float:
    return copy_losses(logits, task)[1]


def loss_drop(logits: torch.Tensor, task: TaskData) -> float:
    first, second = copy_losses(logits, task)
    return first - second
