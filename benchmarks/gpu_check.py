"""GPU check: the plugin's measurements on a CUDA device, one command, a few minutes on one GPU.

    python benchmarks/gpu_check.py --out DIR [--sizes 410m,1.4b,2.8b] [--budget 420]

CI has no GPU, so nothing here runs in the test suite; run it on a GPU node and record what it
prints in benchmarks/README.md. It checks three things and writes them to ``DIR/gpu_check.json``:

1. **Device parity on the zoo**: every bundled zoo spec measured on zoo-890k@step2048 with
   ``device="cpu"`` and ``device="cuda"`` through ``mechanisms.measure_spec`` (the code path of a
   spec cell): same verdicts, and the largest difference of any measured number.
2. **Real shapes**: random-init Pythia snapshots (``mechanisms.tools.random_init``: Pythia's
   exact shapes and tokenizer; a forward pass costs the same as with trained weights) boot on
   CUDA and run one cell of each claim family (behaviour, heads, ablation, path, share on IOI
   with the paper's 70 prompts; induction on repeated tokens), then EAP-IG and the greedy size
   search of an IOI circuit (70 prompts, cap 1600; on random weights the faithfulness is
   meaningless, the cost is real). Each stage: seconds and peak GPU memory; the shared IOI
   forward pass also against a plain ``bridge(tokens)`` forward (the plugin's overhead).
3. **Precision**: the same behaviour and heads cells with the model cast to bfloat16, against
   float32 (the plugin measures in float32; this says how far bfloat16 would move each value).

Stages start only while ``--budget`` seconds have not passed; a stage that fails records its
error and the check goes on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

IOI70 = "{name: ioi, params: {n_prompts: 70, templates: paper}}"
REPEATED = "{name: repeated_tokens, params: {n_prompts: 32}}"
FAMILIES = {  # claim family -> (task, check)
    "behaviour": (IOI70, "behaviour: {metric: logit_diff, min: 1}"),
    "heads": (REPEATED, "heads: {role: induction_heads}"),
    "ablation": (IOI70, "ablation: {heads: {score: copy, top: 4}, metric: logit_diff, min_drop: 0.1}"),
    "path": (
        IOI70,
        "path: {senders: {score: copy, top: 2}, receivers: {score: copy, top: 2}, into: q, "
        "metric: logit_diff, min_damage: 0.1}",
    ),
    "share": (IOI70, "share: {heads: [{score: copy, top: 8}], score: copy, min: 0.1}"),
}


def numbers(value: Any, prefix: str = "") -> dict[str, float]:
    """Every number in a record's values, by path (``checks[0].values.best_score``)."""
    if isinstance(value, bool):
        return {}
    if isinstance(value, (int, float)):
        return {prefix: float(value)}
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in numbers(item, f"{prefix}.{key}").items()}
    if isinstance(value, list):
        return {k: v for i, item in enumerate(value) for k, v in numbers(item, f"{prefix}[{i}]").items()}
    return {}


def largest_difference(a: dict, b: dict) -> tuple[float, str]:
    na, nb = numbers(a.get("checks", [])), numbers(b.get("checks", []))
    diffs = [(abs(na[k] - nb[k]), k) for k in na.keys() & nb.keys()]
    return max(diffs) if diffs else (0.0, "")


def spec_of(task: str, check: str, name: str) -> Any:
    import mechanisms

    return mechanisms.spec_from_text(
        f"format: 1\nid: gpu-{name}\nversion: 1\nclaim: a GPU check\ntask: {task}\nchecks:\n  - {check}\n"
    )


DEVICE = "cuda"  # --device cpu: a dry run of this script on a machine without a GPU
SAVE: dict = {}  # "path" and "report": written after every stage, so a cut run keeps its figures


def save() -> None:
    if SAVE:
        Path(SAVE["path"]).write_text(json.dumps(SAVE["report"], indent=1, default=str))


def sync() -> None:
    import torch

    if DEVICE.startswith("cuda"):
        torch.cuda.synchronize()


def stage(report: dict, name: str, deadline: float, work) -> None:
    """Run ``work()`` (returning a dict) with its time and peak GPU memory, or record its error."""
    import torch

    if time.monotonic() > deadline:
        report[name] = {"skipped": "budget spent"}
        print(f"{name}: skipped (budget spent)", flush=True)
        return
    sync()
    if DEVICE.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    try:
        result = work()
        sync()
        result.update(seconds=round(time.perf_counter() - start, 3))
        if DEVICE.startswith("cuda"):
            result.update(peak_gib=round(torch.cuda.max_memory_allocated() / 2**30, 3))
    except Exception as exc:  # one stage's failure is a finding, not the end of the check
        result = {"error": f"{type(exc).__name__}: {exc}"[:600], "where": traceback.format_exc()[-1500:]}
    report[name] = result
    print(f"{name}: {json.dumps(result)[:900]}", flush=True)
    save()


def zoo_parity(report: dict, deadline: float) -> None:
    import mechanisms
    from mechanisms.api import load_spec
    from mechanisms.models.cache import MODELS

    specs = sorted((ROOT / "mechanisms" / "specs").glob("*.mech.yaml"))
    rows = report.setdefault("zoo_parity", {})
    for path in specs:
        spec = load_spec(path)
        if "zoo" not in spec.applies_to:
            continue
        if time.monotonic() > deadline:
            rows[spec.id] = {"skipped": "budget spent"}
            continue
        try:
            timed = {}
            records = {}
            for device in ("cpu", DEVICE):
                MODELS.clear()
                start = time.perf_counter()
                records[device] = mechanisms.measure_spec(path, "zoo-890k", 2048, device=device, threads=8)
                timed[device] = round(time.perf_counter() - start, 3)
            diff, where = largest_difference(records["cpu"], records[DEVICE])
            rows[spec.id] = {
                "holds": [records["cpu"]["holds"], records[DEVICE]["holds"]],
                "max_abs_diff": diff,
                "at": where,
                "seconds_cpu_cuda": [timed["cpu"], timed[DEVICE]],
            }
        except Exception as exc:
            rows[spec.id] = {
                "error": f"{type(exc).__name__}: {exc}"[:600],
                "where": traceback.format_exc()[-1500:],
            }
        print(f"zoo parity {spec.id}: {json.dumps(rows[spec.id])[:700]}", flush=True)
        save()
    MODELS.clear()


def pythia(report: dict, size: str, hub: Path, deadline: float) -> None:
    import torch

    from mechanisms.api import model_cell
    from mechanisms.measure.circuits.discovery import Settings, _discover
    from mechanisms.measure.evaluation import load_cell_model
    from mechanisms.measure.runs import task_run
    from mechanisms.models.cache import MODELS
    from mechanisms.run_options import RunOptions
    from mechanisms.spec.settings import CircuitSearch
    from mechanisms.tools.random_init import write_random_pythia

    out = report.setdefault(f"pythia-{size}", {})
    if time.monotonic() > deadline:
        out["skipped"] = "budget spent"
        return
    start = time.perf_counter()
    write_random_pythia(size, hub, steps=(143000,))
    out["random_init_seconds"] = round(time.perf_counter() - start, 1)
    cell = model_cell(f"pythia-{size}", 143000, suite="pythia")
    options = RunOptions(device=DEVICE, threads=8)
    model: dict = {}

    def boot() -> dict:
        model["m"] = load_cell_model(cell, options)
        return {"parameters": sum(p.numel() for p in model["m"].bridge.parameters())}

    stage(out, "boot", deadline, boot)
    if "m" not in model:
        return

    def shared_forward() -> dict:
        run = task_run(
            model["m"], "ioi", {"n_prompts": 70, "seed": 0, "templates": "paper", "corruption": "s2_io"}
        )
        tokens = run.data.padded().to(DEVICE)
        with torch.inference_mode():
            model["m"].bridge(tokens)  # warm-up
            sync()
            t0 = time.perf_counter()
            model["m"].bridge(tokens)
            sync()
            plain = time.perf_counter() - t0
        t0 = time.perf_counter()
        run.clean  # noqa: B018 (the plugin's cached forward: logits, patterns, z, residuals)
        sync()
        cached = time.perf_counter() - t0
        return {
            "plain_forward_s": round(plain, 4),
            "plugin_forward_s": round(cached, 4),
            "ratio": round(cached / plain, 2),
        }

    stage(out, "ioi_forward_70", deadline, shared_forward)
    for family, (task, check) in FAMILIES.items():

        def one(task=task, check=check, family=family) -> dict:
            from mechanisms.measure.evaluation import measure

            record = measure(spec_of(task, check, family), cell, options)
            c = record.checks[0]
            return {"holds": c.holds, "summary": c.summary[:200]}

        stage(out, family, deadline, one)

    def circuit() -> dict:
        run = task_run(
            model["m"], "ioi", {"n_prompts": 70, "seed": 0, "templates": "paper", "corruption": "s2_io"}
        )
        with torch.device(DEVICE):  # as measure() runs every check
            found = _discover(run, Settings.of(CircuitSearch(metric="logit_diff")))
        return {
            "edges_in_graph": int(found.graph.n_edges),
            "seconds_by_part": found.seconds,
            "greedy_size": found.greedy_size,
        }

    stage(out, "ioi_circuit_eap_ig_70", deadline, circuit)

    def bfloat16() -> dict:
        from mechanisms.measure.evaluation import measure

        values = {}
        for dtype in (torch.float32, torch.bfloat16):
            model["m"].bridge.to(dtype)
            model["m"].runs.clear()
            for family in ("behaviour", "heads"):
                task, check = FAMILIES[family]
                record = measure(spec_of(task, check, family), cell, options)
                values[(family, str(dtype))] = record.checks[0].to_json()
        model["m"].bridge.to(torch.float32)
        model["m"].runs.clear()
        out_rows = {}
        for family in ("behaviour", "heads"):
            a, b = values[(family, "torch.float32")], values[(family, "torch.bfloat16")]
            diff, where = largest_difference({"checks": [a]}, {"checks": [b]})
            out_rows[family] = {
                "float32": a["summary"][:120],
                "bfloat16": b["summary"][:120],
                "max_abs_diff": diff,
                "at": where,
            }
        return out_rows

    stage(out, "precision", deadline, bfloat16)
    model.clear()
    MODELS.clear()
    if DEVICE.startswith("cuda"):
        torch.cuda.empty_cache()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path("gpu-check"))
    parser.add_argument("--sizes", default="410m,1.4b,2.8b")
    parser.add_argument("--budget", type=float, default=420.0, help="seconds after which no stage starts")
    parser.add_argument("--no-zoo", action="store_true")
    parser.add_argument("--device", default="cuda", help="cpu: a dry run of the script itself")
    args = parser.parse_args(argv)
    import torch

    global DEVICE
    DEVICE = args.device
    if DEVICE.startswith("cuda") and not torch.cuda.is_available():
        print("gpu_check: no CUDA device here; nothing to check (CI has none: this is not a test)")
        return 2
    deadline = time.monotonic() + args.budget
    report: dict = {
        "device": torch.cuda.get_device_name(0) if DEVICE.startswith("cuda") else DEVICE,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "command": " ".join(sys.argv),
    }
    print(json.dumps(report), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    SAVE.update(path=args.out / "gpu_check.json", report=report)
    hub = Path(tempfile.mkdtemp(prefix="gpu-check-hub-"))
    os.environ["HF_HUB_CACHE"] = str(hub)
    if not args.no_zoo:
        zoo_parity(report, deadline)
    for size in args.sizes.split(","):
        pythia(report, size.strip(), hub, deadline)
    save()
    print(f"written: {args.out / 'gpu_check.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
