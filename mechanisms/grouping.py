"""A self-check on xdist grouping: every model@checkpoint group must run on one worker.

Grouping is ``scheduling.py``'s job; xdist's own ``loadgroup`` once stopped grouping without a
word (pytest-xdist#1386) and every model loaded on every worker, a run twice as slow that
nobody noticed. So the controller checks the worker of every report and fails the session if a
model@checkpoint ran on two workers under our scheduler (other ``--dist`` modes get a warning).
"""


def split_groups(records) -> dict:
    workers: dict = {}
    for record in records:
        if record.get("worker") is not None and record.get("group"):
            workers.setdefault(record["group"], set()).add(record["worker"])
    return {group: sorted(ws) for group, ws in workers.items() if len(ws) > 1}
