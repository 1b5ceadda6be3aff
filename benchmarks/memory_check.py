"""One large spec line under a memory budget: its peak memory, and its values against one batch.

``n_prompts: 4096, span: 127`` of the induction claim on zoo-890k@step2048 keeps about 40 GiB of
activations if every prompt runs at once; under ``--mech-memory`` its metrics and attention-
pattern scores run in micro-batches. Each measurement runs in a fresh process, so the peak
resident memory (``ru_maxrss``) is that measurement's alone.

    python benchmarks/memory_check.py                         # 4096 prompts, a 0.5 GiB budget
    python benchmarks/memory_check.py --prompts 64 --memory 0.01
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

SPEC = """format: 1
id: induction-at-scale
version: 1
claim: induction heads on many long repeated spans
task:
  name: repeated_tokens
  params: {{n_prompts: {n}, span: 127, seed: 0}}
  by_suite:
    zoo: {{pool: "^w\\\\d+$"}}
checks:
  - heads: {{score: induction, min: 0.4, at_least: 1}}
  - heads: {{score: previous_token, min: 0.4, at_least: 1, on: task}}
  - behaviour: {{metric: repeat_loss, max: 1.0}}
"""


def measure(n: int, memory: float | None) -> dict:
    """In this process: the spec's record on zoo-890k@step2048, its time and peak memory."""
    from mechanisms.api import measure_spec, spec_from_text

    start = time.perf_counter()
    record = measure_spec(spec_from_text(SPEC.format(n=n)), "zoo-890k", 2048, memory_gib=memory)
    return {
        "prompts": n,
        "memory_gib": memory,
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "values": [c["headline"]["value"] for c in record["checks"]],
        "verdicts": [c["holds"] for c in record["checks"]],
    }


def in_fresh_process(n: int, memory: float | None) -> dict:
    code = f"import json, sys; sys.path.insert(0, 'benchmarks'); from memory_check import measure; print(json.dumps(measure({n}, {memory!r})))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=4096)
    parser.add_argument("--memory", type=float, default=0.5, help="--mech-memory in GiB")
    args = parser.parse_args()
    big = in_fresh_process(args.prompts, args.memory)
    print(json.dumps(big))
    whole, chunked = in_fresh_process(64, 64.0), in_fresh_process(64, 0.01)
    print(json.dumps(whole))
    print(json.dumps(chunked))
    worst = max(abs(a - b) for a, b in zip(whole["values"], chunked["values"], strict=True))
    print(f"64 prompts, one batch vs micro-batches (0.01 GiB): largest difference {worst:.2g}")


if __name__ == "__main__":
    main()
