"""A self-check on xdist grouping: every model@checkpoint group must run on one worker.

pytest-xdist's ``loadgroup`` works by rewriting node ids and has silently stopped grouping
before (pytest-xdist#1386); if that happens, models load once per worker per cell and the run
gets slow without anyone noticing. The controller checks the worker of every report and fails
the session if a group was split.
"""


def split_groups(records) -> dict:
    workers: dict = {}
    for record in records:
        if record.get("worker") is not None and record.get("group"):
            workers.setdefault(record["group"], set()).add(record["worker"])
    return {group: sorted(ws) for group, ws in workers.items() if len(ws) > 1}
