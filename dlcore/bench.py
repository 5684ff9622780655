"""Benchmark: ``python -m dlcore.bench [--json] [--repeats N]``.

Measured side by side in one run, because shared machines are noisy: the numbers that matter
are ratios and medians, not single absolute times.

1. Steps per second of the instrumented ``Trainer`` (recorder on, divergence checks, evaluation
   on recorded steps) against a bare PyTorch loop on the same model, data and optimizer; the
   ratio is the price of instrumentation (target ≤ 1.15×).
2. The wall time to finish each page's default experiment: ``default_experiment(device)`` of
   every concept's laboratory, in the order of the catalog (``dlcore.catalog``).

The benchmark sits above the core: it reads the catalog and runs the laboratories, which the
core itself never imports.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace

import torch
import torch.nn.functional as F

from . import data as data_mod
from .catalog import all_concepts
from .config import DataConfig, ModelConfig, TrainConfig
from .device import device_name, limit_threads, pick_device
from .models import build
from .trainer import BatchOrder, MLPTrainer, make_optimizer

BENCH_DATA = DataConfig(name="spiral", n_samples=1000)
BENCH_MODEL = ModelConfig(depth=4, width=64, activation="relu")
BENCH_TRAIN = TrainConfig(steps=400, batch_size=64, record_every=10)


def bare_loop(data: DataConfig, model_cfg: ModelConfig, train: TrainConfig, device) -> tuple[float, float]:
    """The plain PyTorch loop: forward, loss, backward, step. Returns (wall, CPU) seconds."""
    ds = data_mod.load(data).to(device)
    model = build(ds.n_features, ds.n_classes, model_cfg, seed=train.seed).to(device)
    opt = make_optimizer(train, model.parameters())
    order = BatchOrder(len(ds.y_train), train.batch_size, train.seed)
    start = _clock()
    for _ in range(train.steps):
        idx = order.next().to(device)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(ds.x_train[idx]), ds.y_train[idx])
        loss.backward()
        opt.step()
    _sync(device)
    return _since(start)


def instrumented_loop(data: DataConfig, model_cfg: ModelConfig, train: TrainConfig, device) -> tuple[float, float]:
    """The same run through ``Trainer`` (set-up, data and step-0 record outside the timing)."""
    trainer = MLPTrainer(data, model_cfg, train, device=device)
    start = _clock()
    trainer.run()
    _sync(device)
    return _since(start)


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _since(start: tuple[float, float]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) since ``start``. CPU time does not count the
    time the machine spent on other work, so on a shared machine it is the steadier of the two."""
    return time.perf_counter() - start[0], time.process_time() - start[1]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def overhead(repeats: int, device, record_every: int = BENCH_TRAIN.record_every) -> dict:
    """Median steps/s of both loops, interleaved run by run so drift hits both alike. The ratio is
    taken on CPU time (steadier on a shared machine; on a GPU, on wall time), wall time is shown too."""
    train = replace(BENCH_TRAIN, record_every=record_every)
    bare, inst = [], []
    for _ in range(repeats):
        bare.append(bare_loop(BENCH_DATA, BENCH_MODEL, train, device))
        inst.append(instrumented_loop(BENCH_DATA, BENCH_MODEL, train, device))
    steps = train.steps
    b_wall, i_wall = (statistics.median(t[0] for t in runs) for runs in (bare, inst))
    b_cpu, i_cpu = (statistics.median(t[1] for t in runs) for runs in (bare, inst))
    on_cpu = device.type == "cpu"
    return {
        "model": f"MLP {BENCH_MODEL.depth}×{BENCH_MODEL.width} {BENCH_MODEL.activation}, batch {train.batch_size}",
        "record_every": record_every,
        "bare_steps_per_s": steps / b_wall,
        "instrumented_steps_per_s": steps / i_wall,
        "ratio_wall": i_wall / b_wall,
        "ratio_cpu": i_cpu / b_cpu,
        "ratio": i_cpu / b_cpu if on_cpu else i_wall / b_wall,
    }


def page_defaults(repeats: int, device) -> dict[str, float]:
    """Median seconds to finish each page's default experiment."""
    times = {}
    for concept in all_concepts():
        experiment = concept.lab().default_experiment
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            experiment(device)
            _sync(device)
            runs.append(time.perf_counter() - start)
        times[concept.title] = statistics.median(runs)
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
        "overhead_sparser": overhead(args.repeats, device, record_every=25),
        "page_default_seconds": page_defaults(max(1, args.repeats // 2), device),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"device: {result['device']}   torch {result['torch']}")
        for o in (result["overhead"], result["overhead_sparser"]):
            print(f"\nInstrumentation overhead ({o['model']}, recorded every {o['record_every']} steps)")
            print(f"  {'bare PyTorch loop':<28}{o['bare_steps_per_s']:>10.0f} steps/s")
            print(f"  {'instrumented Trainer':<28}{o['instrumented_steps_per_s']:>10.0f} steps/s")
            print(f"  {'ratio, wall time':<28}{o['ratio_wall']:>10.3f}×")
            print(f"  {'ratio, CPU time':<28}{o['ratio_cpu']:>10.3f}×   (target ≤ 1.15×)")
        print("\nTime to finish each page's default experiment (median)")
        for page, seconds in result["page_default_seconds"].items():
            print(f"  {page:<34}{seconds:>6.2f} s")
    return result


if __name__ == "__main__":
    main()
