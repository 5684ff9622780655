"""The accelerator path checked against the CPU, page by page: ``python -m tools.device_check``.

For every concept, its default experiment runs on the CPU and on the accelerator that
``pick_device`` finds (CUDA, then MPS), timed side by side in one process (wall clock, the device
synchronised). Where the experiment returns trainers with records, their numbers are compared:

- at step 0 nothing has trained: the same weights on the same data must give the same validation
  loss on both devices, to 1e-4 relative (a model or a batch left on the wrong device, a dtype
  change, a different initialisation would all show here);
- at the end: the same status (finished or diverged) and a validation accuracy within 0.05 —
  the runs are the same recipe, but float sums in another order make the trajectories part.

It needs the engine only (torch, NumPy, scikit-learn): no Streamlit, no Plotly. Exit status 1 if
a check fails or no accelerator is found.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import torch

from dlcore import Stepwise, limit_threads, pick_device
from dlcore.catalog import all_concepts

START_RTOL = 1e-4
END_ACC_ATOL = 0.05


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def timed(experiment, device: torch.device) -> tuple[object, float]:
    _sync(device)
    start = time.perf_counter()
    result = experiment(device)
    _sync(device)
    return result, time.perf_counter() - start


def trainers(result) -> dict[str, Stepwise]:
    """The recorded runs in an experiment's result (a dict of trainers, or a tuple holding one)."""
    parts = list(result) if isinstance(result, tuple) else [result]
    parts += [v for part in parts if isinstance(part, dict) for v in part.values() if isinstance(v, dict)]
    return {name: t for part in parts if isinstance(part, dict)
            for name, t in part.items() if isinstance(t, Stepwise) and getattr(t, "recorder", None) is not None
            and t.recorder.records}


def compare(cpu: dict[str, Stepwise], acc: dict[str, Stepwise]) -> list[str]:
    """What disagrees between the two devices' runs (empty: they agree)."""
    problems = []
    for name, a in cpu.items():
        b = acc.get(name)
        if b is None:
            problems.append(f"{name}: missing on the accelerator")
            continue
        a0, b0 = a.recorder.records[0], b.recorder.records[0]
        if abs(a0.val_loss - b0.val_loss) > START_RTOL * max(abs(a0.val_loss), 1e-8):
            problems.append(f"{name}: step-0 validation loss {a0.val_loss:.6g} (CPU) vs {b0.val_loss:.6g}")
        if a.status != b.status:
            problems.append(f"{name}: {a.status} on the CPU, {b.status} on the accelerator")
        elif a.status == "finished":
            a1, b1 = a.recorder.records[-1], b.recorder.records[-1]
            if abs(a1.val_acc - b1.val_acc) > END_ACC_ATOL:
                problems.append(f"{name}: final validation accuracy {a1.val_acc:.3f} (CPU) vs {b1.val_acc:.3f}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--device", default=None, help="the device to check (default: the best found); "
                        "cpu runs the comparison against itself, a dry run of this script")
    args = parser.parse_args(argv)
    threads = limit_threads()
    accelerator = pick_device(args.device)
    if accelerator.type == "cpu" and args.device is None:
        print("no accelerator found (CUDA or MPS): nothing to check")
        return 1
    cpu = torch.device("cpu")
    name = torch.cuda.get_device_name(accelerator) if accelerator.type == "cuda" else accelerator.type
    rows, failed = [], False
    for concept in all_concepts():
        experiment = concept.lab().default_experiment
        try:
            timed(experiment, accelerator)  # warm-up: kernels, allocator, cuDNN's choices
            on_cpu, cpu_s = timed(experiment, cpu)
            on_acc, acc_s = timed(experiment, accelerator)
        except Exception as err:  # noqa: BLE001 - a page that fails on the device is reported, and the rest run
            failed = True
            rows.append({"page": concept.title, "cpu_s": float("nan"), "accelerator_s": float("nan"),
                         "runs_compared": 1, "problems": [f"{type(err).__name__}: {err}"]})
            continue
        runs = trainers(on_cpu)
        problems = compare(runs, trainers(on_acc))
        failed |= bool(problems)
        rows.append({"page": concept.title, "cpu_s": cpu_s, "accelerator_s": acc_s, "runs_compared": len(runs),
                     "problems": problems})
    if args.json:
        print(json.dumps({"accelerator": name, "cpu_threads": threads, "torch": torch.__version__, "pages": rows},
                         indent=2))
    else:
        print(f"accelerator: {name}   CPU: {threads} thread(s)   torch {torch.__version__}")
        print(f"{'page':<34}{'CPU s':>8}{'accel. s':>10}{'CPU/accel.':>12}{'runs':>6}  numbers")
        for r in rows:
            verdict = "agree" if not r["problems"] else "; ".join(r["problems"])
            verdict = verdict if r["runs_compared"] else "ran (no recorded runs to compare)"
            ratio = r["cpu_s"] / r["accelerator_s"]
            print(f"{r['page']:<34}{r['cpu_s']:>8.2f}{r['accelerator_s']:>10.2f}{ratio:>12.2f}{r['runs_compared']:>6}  "
                  f"{verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
