"""``sae-desktop train`` and ``sae-desktop sweep``: the engine's events as progress lines or JSON."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path

from sae_desktop.cli_args import (EXIT_FAILURE, EXIT_INTERRUPTED, Failure, UsageError, config_from_args, json_line,
                                  refuse_inapplicable)
from sae_desktop.config import ConfigError
from sae_desktop.words import counted


def _progress(text: str) -> None:
    sys.stderr.write("\r" + text[:120].ljust(120))
    sys.stderr.flush()


def cmd_train(args: argparse.Namespace) -> int:
    from sae_desktop.checkpoint import CheckpointError, load_checkpoint
    from sae_desktop.data import DatasetError, load_dataset
    from sae_desktop.devices import DeviceError, out_of_memory_message, resolve_device
    from sae_desktop.events import ResumeState
    from sae_desktop.runs import RunFolder, refuse_run_files, remove_stale_temp_files
    from sae_desktop.safe_write import output_target

    resume = run = None
    if args.resume:
        try:
            ckpt = load_checkpoint(args.resume)
        except CheckpointError as exc:
            raise Failure(f"--resume: {exc}") from None
        if ckpt.train_config is None or ckpt.optimizer is None:
            raise Failure("--resume needs a full checkpoint (with training config and optimizer state), "
                          "not a weights-only file")
        cfg = config_from_args(args, ckpt.train_config)
        resume = ResumeState(ckpt.weights, ckpt.optimizer, ckpt.epoch, ckpt.history, ckpt.position)
        run = RunFolder.containing(Path(args.resume))
    else:
        cfg = config_from_args(args)
    try:
        cfg.check()
        resolve_device(cfg.device)
    except (ConfigError, DeviceError) as exc:
        raise UsageError(f"sae-desktop train: {exc}") from None
    if resume is not None and resume.epochs_done >= cfg.epochs:  # (it said "completed: trained 1 epoch", and
        # made an empty run folder each time)
        done = counted(resume.epochs_done, "epoch")  # ("2 epochs of 1" read oddly for --epochs below it)
        of = f" of {cfg.epochs}" if resume.epochs_done == cfg.epochs else f" (--epochs {cfg.epochs})"
        raise UsageError(f"sae-desktop train: --resume: the checkpoint has trained {done}{of} already "
                         f"(--epochs is the total: give --epochs {resume.epochs_done + 1} or more to train on)")
    if args.out:  # refused now, not after the training
        refuse_run_files(args.out)
        output_target(args.out, [args.resume] if args.resume else [])
    try:
        dataset = load_dataset(cfg.dataset, args.data_dir, allow_download=not args.no_download)
    except DatasetError as exc:
        raise Failure(str(exc)) from None
    if run is None:
        run = RunFolder.create(cfg)
    remove_stale_temp_files(run.path)

    try:
        return _train_loop(args, cfg, dataset, resume, run)
    except ConfigError as exc:  # the checkpoint cannot continue with these flags or this data
        raise UsageError(f"sae-desktop train: {exc}") from None
    except (RuntimeError, MemoryError) as exc:
        message = out_of_memory_message(exc)
        if message is None:
            raise
        raise Failure(message) from None


def _train_loop(args, cfg, dataset, resume, run) -> int:
    from sae_desktop.checkpoint import save_checkpoint
    from sae_desktop.engine import train
    from sae_desktop.events import EpochOutput, IntervalOutput, RunEnd, RunStart, TrainingControl
    from sae_desktop.runs import checkpoint_of, recorded
    from sae_desktop.safe_write import describe_os_error

    control = TrainingControl()
    previous = signal.signal(signal.SIGINT, lambda *_: control.stop())  # Ctrl+C stops cleanly, keeps weights
    tty = sys.stderr.isatty() and not args.json
    start: RunStart | None = None
    t0 = time.perf_counter()
    try:
        for event in recorded(train(cfg, dataset, control, resume), run):
            if isinstance(event, RunStart):
                start = event
                if not args.json:
                    what = f"resuming after epoch {event.start_epoch}" if event.start_epoch else "training"
                    print(f"{what}: {cfg.dataset}, {cfg.penalty} penalty, {counted(cfg.epochs, 'epoch')} on "
                          f"{event.device} ({event.backend} backend); run folder {run.path}", file=sys.stderr)
            elif isinstance(event, IntervalOutput) and tty:
                done = (event.epoch - 1 + event.epoch_fraction) / cfg.epochs
                bar = "#" * int(done * 30)
                _progress(f"epoch {event.epoch}/{cfg.epochs} [{bar:<30}] {done:4.0%}  loss {event.total_loss:.4f}  "
                          f"{event.samples_per_s:,.0f} img/s  {time.perf_counter() - t0:.0f}s")
            elif isinstance(event, EpochOutput):
                rec = event.record()
                if args.json:
                    print(json_line(rec), flush=True)
                else:
                    if tty:
                        _progress("")
                        sys.stderr.write("\r")
                    ev = event.evaluation
                    print(f"epoch {event.epoch:>3}/{cfg.epochs}  test_mse {ev.test_mse:.5f}  FVU {ev.fvu:.4f}  "
                          f"L0 {ev.l0:5.2f}  dead {ev.dead_latents}  dense {ev.dense_latents}  "
                          f"mean activation {ev.rho_hat.mean():.4f}  "
                          f"{event.epoch_seconds:.2f}s", flush=True)
            elif isinstance(event, RunEnd):
                assert start is not None
                if args.out:
                    try:
                        save_checkpoint(checkpoint_of(cfg, event.weights, event.optimizer, event.epochs_done,
                                                      event.history, event.evaluation, position=event.position),
                                        args.out, inputs=[args.resume] if args.resume else [])
                    except OSError as exc:
                        raise Failure(f"could not save --out: {describe_os_error(exc, args.out)}; the run's "
                                      f"checkpoint is {run.checkpoint_path}") from None
                summary = run.read_metrics()[-1]
                if args.out:
                    summary["out"] = str(Path(args.out).resolve())
                if args.json:
                    print(json_line(summary), flush=True)
                else:
                    said = event.message  # ("stopped: stopped by request at …": the status once)
                    print(said if said.startswith(event.status) else f"{event.status}: {said}", file=sys.stderr)
                    if event.evaluation is not None:
                        print(f"final test_mse {summary['test_mse']:.5f}  FVU {summary['fvu']:.4f}  "
                              f"L0 {summary['l0']:.2f}  "
                              f"dead latents {summary['dead_latents']}  checkpoint {run.checkpoint_path}")
                    if args.out:  # (the run folder's checkpoint is named above; the copy asked for too)
                        print(f"wrote --out {summary['out']}", file=sys.stderr)
                if event.status == "diverged":
                    raise Failure(event.message)
                return EXIT_INTERRUPTED if event.status == "stopped" else 0
    finally:
        signal.signal(signal.SIGINT, previous)
    return EXIT_FAILURE  # the generator always ends with RunEnd; reaching here is a bug


def cmd_sweep(args: argparse.Namespace) -> int:
    from sae_desktop.data import DatasetError, load_dataset
    from sae_desktop.devices import DeviceError, resolve_device
    from sae_desktop.runs import RunFolder
    from sae_desktop.sweep import SWEEPABLE, grid_configs, parse_values, point_label

    texts = {name: getattr(args, name) for name in SWEEPABLE if getattr(args, name, None) is not None}
    try:
        values = {name: parse_values(name, text) for name, text in texts.items()}
        fixed = {name: v[0] for name, v in values.items() if len(v) == 1}
        grid = {name: v for name, v in values.items() if len(v) > 1}
        for name in SWEEPABLE:
            setattr(args, name, None)
        base = config_from_args(args).replace(**fixed)
        refuse_inapplicable("sweep", values, base.penalty)
        configs = grid_configs(base, grid)
        resolve_device(base.device)
    except (ConfigError, DeviceError) as exc:
        raise UsageError(f"sae-desktop sweep: {exc}") from None
    try:
        dataset = load_dataset(base.dataset, args.data_dir, allow_download=not args.no_download)
    except DatasetError as exc:
        raise Failure(str(exc)) from None
    results, code = [], 0
    for index, cfg in enumerate(configs):
        label = point_label(cfg, list(grid)) or "one run"
        print(f"sweep run {index + 1}/{len(configs)}: {label}", file=sys.stderr)
        run = RunFolder.create(cfg)
        code = _train_loop(args, cfg, dataset, None, run)
        summary = run.read_metrics()[-1] if run.read_metrics() else {}
        results.append({"label": label, **{n: getattr(cfg, n) for n in grid}, **summary})
        if code == 130:  # Ctrl+C: the run kept its weights; the rest of the sweep is not started
            break
    if args.json:
        print(json.dumps({"type": "sweep", "swept": list(grid), "runs": results}), flush=True)
    else:
        print(f"{'run':<24} {'status':<10} {'test_mse':>9} {'FVU':>7} {'L0':>6} {'dead':>5}  folder")
        for r in results:
            print(f"{r['label'][:24]:<24} {r.get('status', '?'):<10} {r.get('test_mse', float('nan')):>9.5f} "
                  f"{r.get('fvu', float('nan')):>7.4f} {r.get('l0', float('nan')):>6.2f} "
                  f"{r.get('dead_latents', -1):>5}  {r.get('run_dir', '')}")
    return code
