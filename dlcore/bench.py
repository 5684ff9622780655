"""Benchmark: ``python -m dlcore.bench [--json] [--repeats N]``.

Measured side by side in one run, because shared machines are noisy: the numbers that matter
are ratios and medians, not single absolute times.

1. Steps per second of the instrumented ``Trainer`` (recorder on, divergence checks, evaluation
   on recorded steps) against a bare PyTorch loop on the same model, data and optimizer; the
   ratio is the price of instrumentation (target ≤ 1.15×).
2. The wall time to finish each page's default experiment (``dlcore.experiments.DEFAULTS``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

from . import data as data_mod
from .config import DataConfig, ModelConfig, TrainConfig
from .device import device_name, limit_threads, pick_device
from .experiments import DEFAULTS
from .models import build
from .trainer import BatchOrder, Trainer, make_optimizer

BENCH_DATA = DataConfig(name="spiral", n_samples=1000)
BENCH_MODEL = ModelConfig(depth=4, width=64, activation="relu")
BENCH_TRAIN = TrainConfig(steps=400, batch_size=64, record_every=10)


def bare_loop(data: DataConfig, model_cfg: ModelConfig, train: TrainConfig, device) -> float:
    """The plain PyTorch loop: forward, loss, backward, step. Returns seconds for all steps."""
    ds = data_mod.load(data).to(device)
    model = build(ds.n_features, ds.n_classes, model_cfg, seed=train.seed).to(device)
    opt = make_optimizer(train, model.parameters())
    order = BatchOrder(len(ds.y_train), train.batch_size, train.seed)
    start = time.perf_counter()
    for _ in range(train.steps):
        idx = order.next().to(device)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ds.x_train[idx]), ds.y_train[idx])
        loss.backward()
        opt.step()
    _sync(device)
    return time.perf_counter() - start


def instrumented_loop(data: DataConfig, model_cfg: ModelConfig, train: TrainConfig, device) -> float:
    """The same run through ``Trainer`` (set-up, data and step-0 record outside the timing)."""
    trainer = Trainer(data, model_cfg, train, device=device)
    start = time.perf_counter()
    trainer.run()
    _sync(device)
    return time.perf_counter() - start


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def overhead(repeats: int, device) -> dict:
    """Median steps/s of both loops, interleaved run by run so drift hits both alike."""
    bare, inst = [], []
    for _ in range(repeats):
        bare.append(bare_loop(BENCH_DATA, BENCH_MODEL, BENCH_TRAIN, device))
        inst.append(instrumented_loop(BENCH_DATA, BENCH_MODEL, BENCH_TRAIN, device))
    steps = BENCH_TRAIN.steps
    b, i = statistics.median(bare), statistics.median(inst)
    return {
        "model": f"MLP {BENCH_MODEL.depth}×{BENCH_MODEL.width} {BENCH_MODEL.activation}, "
        f"batch {BENCH_TRAIN.batch_size}",
        "record_every": BENCH_TRAIN.record_every,
        "bare_steps_per_s": steps / b,
        "instrumented_steps_per_s": steps / i,
        "ratio": i / b,
    }


def page_defaults(repeats: int, device) -> dict[str, float]:
    """Median seconds to finish each page's default experiment."""
    times = {}
    for page, experiment in DEFAULTS.items():
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            experiment(device)
            _sync(device)
            runs.append(time.perf_counter() - start)
        times[page] = statistics.median(runs)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--repeats", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--device", default=None, help="cpu, cuda or mps (default: best available)")
    args = parser.parse_args(argv)
    threads = limit_threads()
    device = pick_device(args.device)
    result = {
        "device": device_name(device),
        "threads": threads,
        "torch": torch.__version__,
        "overhead": overhead(args.repeats, device),
        "page_default_seconds": page_defaults(max(1, args.repeats // 2), device),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        o = result["overhead"]
        print(f"device: {result['device']}   torch {result['torch']}")
        print(f"\nInstrumentation overhead ({o['model']}, recorded every {o['record_every']} steps)")
        print(f"  {'bare PyTorch loop':<28}{o['bare_steps_per_s']:>10.0f} steps/s")
        print(f"  {'instrumented Trainer':<28}{o['instrumented_steps_per_s']:>10.0f} steps/s")
        print(f"  {'ratio (bare / instrumented)':<28}{o['ratio']:>10.3f}×   (target ≤ 1.15×)")
        print("\nTime to finish each page's default experiment (median)")
        for page, seconds in result["page_default_seconds"].items():
            print(f"  {page:<28}{seconds:>10.2f} s")
    return result


if __name__ == "__main__":
    main()
