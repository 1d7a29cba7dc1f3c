"""The ``sae-desktop`` command: the window by default, plus headless subcommands.

Exit codes, one line on stderr each, never a traceback for a user error or a fault:
  2  the command line is wrong (unknown flag, value out of range, flags that conflict with
     each other or with the checkpoint being resumed);
  1  a problem found while running: an unreadable or invalid file (checkpoint, image, dataset),
     an output that cannot or must not be written, an I/O error (full disk, read-only folder,
     missing folder), no display for the window, a diverged run, an image that could not be probed;
  130  stopped by Ctrl+C (training keeps the weights, resumable exactly).
This module is the composition root: it imports the Qt package only for the window.
"""

from __future__ import annotations

import argparse
import json
import math
import signal
import sys
import time
from pathlib import Path

from sae_desktop import __version__
from sae_desktop.config import DATASETS, DEVICES, PRESETS, SETTINGS, ConfigError, TrainConfig

EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED = 2, 1, 130


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Failure(Exception):
    """A file, data or I/O problem found while running: printed as one line, exit code 1."""


def json_line(record: dict) -> str:
    """One JSON line that any parser reads: NaN and infinities become null, never bare NaN."""
    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(record), allow_nan=False)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _add_train_args(p: argparse.ArgumentParser) -> None:
    """The preset, the data folder, and an option per training setting, from its schema."""
    p.add_argument("--preset", choices=sorted(PRESETS), help="start from a preset (default: tutorial)")
    p.add_argument("--data-dir", help="dataset folder (default: $SAE_DESKTOP_DATA or the per-user folder)")
    # Defaults are None so that --resume can tell which options the user actually gave.
    for name, spec in SETTINGS.items():
        default = getattr(TrainConfig, name)
        shown = f"{default:g}" if isinstance(default, float) else default
        when = f" (with --penalty {' or '.join(spec.penalty.split())})" if spec.penalty else ""
        if isinstance(default, bool):  # a switch: off unless given
            p.add_argument(spec.flag, dest=name, action="store_const", const=True, default=None,
                           help=f"{spec.help}; default {'on' if default else 'off'}{when}")
            continue
        p.add_argument(spec.flag, dest=name, type=type(default), choices=spec.choices or None,
                       metavar=None if spec.choices else spec.flag[2:].upper().replace("-", "_"),
                       help=f"{spec.help}; default {shown}{when}")


# What may differ when resuming: how long to go on, where, and how often to report.
RESUME_OVERRIDABLE = {name for name, spec in SETTINGS.items() if spec.resumable}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sae-desktop", description="Train and probe sparse autoencoders on handwritten digits. "
                     "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"sae-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the window (the default)")
    gui.add_argument("--model", help="checkpoint to show at start-up (default: the bundled model)")

    train = sub.add_parser("train", help="train a model headless; writes a run folder")
    _add_train_args(train)
    train.add_argument("--out", help="also save the final checkpoint here (.safetensors)")
    train.add_argument("--resume", help="continue from a checkpoint (e.g. a run's checkpoint.safetensors)")
    train.add_argument("--json", action="store_true", help="one JSON object per epoch, then a summary line")
    train.add_argument("--no-download", action="store_true", help="never try to download the dataset")

    sweep = sub.add_parser("sweep", help="train one run per combination of values, e.g. --penalty topk --k 2,4,8",
                           description="Numeric settings take comma-separated values; every combination is "
                           "trained in turn, each in its own run folder. Ctrl+C stops the sweep.")
    _add_train_args(sweep)
    for action in sweep._actions:  # numeric settings take lists here
        if action.type in (int, float):
            action.type, action.metavar = str, "V[,V...]"
    sweep.add_argument("--json", action="store_true", help="JSON lines per epoch and run, then one sweep line")
    sweep.add_argument("--no-download", action="store_true", help="never try to download the dataset")
    sweep.set_defaults(out=None)

    ev = sub.add_parser("evaluate", help="test-set metrics of a saved model")
    ev.add_argument("checkpoint")
    ev.add_argument("--data-dir")
    ev.add_argument("--dataset", choices=DATASETS, help="default: the one it was trained on")
    ev.add_argument("--device", choices=DEVICES, default="cpu")
    ev.add_argument("--json", action="store_true")

    bench = sub.add_parser("benchmark", help="time the tutorial's loop, this engine and the GEMM limit")
    bench.add_argument("--device", choices=DEVICES, default="cpu")
    bench.add_argument("--epochs", type=int, default=3, help="timed epochs per contender (median reported)")
    bench.add_argument("--data-dir")
    bench.add_argument("--json", action="store_true")

    probe = sub.add_parser("probe", help="run the canvas's preprocessing and model on image files")
    probe.add_argument("images", nargs="+", help="PNG/JPG/… photos or scans of handwritten digits")
    probe.add_argument("--model", help="checkpoint (default: the bundled pretrained MNIST model)")
    probe.add_argument("--json", action="store_true", help="one JSON object per image")
    probe.add_argument("--save-dir", help="write <name>_input.png and <name>_reconstruction.png (28×28) here")

    slim = sub.add_parser("save-weights", help="write a small weights-only copy of a checkpoint (for sharing)")
    slim.add_argument("checkpoint")
    slim.add_argument("out")
    slim.add_argument("--dtype", choices=["float16", "float32"], default="float16")

    launcher = sub.add_parser("install-launcher", help="add the app to the desktop's applications menu (Linux)")
    launcher.add_argument("--uninstall", action="store_true", help="remove the launcher and icon again")
    return parser


def config_from_args(args: argparse.Namespace, base: TrainConfig | None = None) -> TrainConfig:
    """Preset (or a resumed run's config) overlaid with the flags the user gave."""
    given = {name: getattr(args, name) for name in SETTINGS if getattr(args, name, None) is not None}
    if base is not None:
        if args.preset:
            raise UsageError("sae-desktop train: --preset cannot be combined with --resume")
        conflicts = [n for n, v in given.items() if n not in RESUME_OVERRIDABLE and v != getattr(base, n)]
        if conflicts:
            names = ", ".join(SETTINGS[n].flag for n in conflicts)
            allowed = ", ".join(SETTINGS[n].flag for n in SETTINGS if n in RESUME_OVERRIDABLE)
            raise UsageError(f"sae-desktop train: {names} differ from the checkpoint being resumed; "
                             f"only {allowed} may change")
    else:
        base = PRESETS[args.preset or "tutorial"]
    return base.replace(**given)


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
                    print(f"{what}: {cfg.dataset}, {cfg.penalty} penalty, {cfg.epochs} epochs on {event.device} "
                          f"({event.backend} backend); run folder {run.path}", file=sys.stderr)
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
                          f"L0 {ev.l0:5.2f}  dead {ev.dead_latents}  dense {ev.frac_dense:.0%}  "
                          f"mean rho_hat {ev.rho_hat.mean():.4f}  "
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
                    print(f"{event.status}: {event.message}", file=sys.stderr)
                    if event.evaluation is not None:
                        print(f"final test_mse {summary['test_mse']:.5f}  FVU {summary['fvu']:.4f}  "
                              f"L0 {summary['l0']:.2f}  "
                              f"dead latents {summary['dead_latents']}  checkpoint {run.checkpoint_path}")
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    import torch

    from sae_desktop.checkpoint import CheckpointError, load_checkpoint
    from sae_desktop.data import DatasetError, load_dataset
    from sae_desktop.devices import DeviceError, resolve_device
    from sae_desktop.model import model_from_state

    try:
        device = resolve_device(args.device)
    except DeviceError as exc:
        raise UsageError(f"sae-desktop evaluate: {exc}") from None
    try:
        ckpt = load_checkpoint(args.checkpoint)
        name = args.dataset or (ckpt.train_config.dataset if ckpt.train_config else "mnist")
        dataset = load_dataset(name, args.data_dir)
    except (CheckpointError, DatasetError) as exc:
        raise Failure(str(exc)) from None
    model = model_from_state(ckpt.model_config, ckpt.weights).to(device)
    images = torch.from_numpy(dataset.test_images.reshape(len(dataset.test_images), -1)).to(device)
    result = {"checkpoint": str(args.checkpoint), "dataset": name, **model.evaluate(images).summary()}
    if args.json:
        print(json_line(result))
    else:
        mean_rho = sum(result["rho_hat"]) / len(result["rho_hat"])
        print(f"{args.checkpoint}: test_mse {result['test_mse']:.5f}  FVU {result['fvu']:.4f}  L0 {result['l0']:.2f}  "
              f"dead latents {result['dead_latents']}  mean rho_hat {mean_rho:.4f}")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from sae_desktop.benchmark import run_benchmark
    from sae_desktop.data import DatasetError
    from sae_desktop.devices import DeviceError

    if args.epochs < 1:
        raise UsageError("sae-desktop benchmark: --epochs must be at least 1")
    try:
        return run_benchmark(args.device, args.epochs, args.data_dir, as_json=args.json)
    except DeviceError as exc:
        raise UsageError(f"sae-desktop benchmark: {exc}") from None
    except DatasetError as exc:
        raise Failure(str(exc)) from None


def _png_bytes(image) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


def output_stems(names: list[str]) -> list[str]:
    """A file stem per input for ``probe --save-dir``, distinct even where inputs share a file name
    (``a/7.png`` and ``b/7.png`` give ``7`` and ``7-2``); compared ignoring case (macOS, Windows)."""
    taken: set[str] = set()
    stems = []
    for name in names:
        stem, n = Path(name).stem or "image", 1
        candidate = stem
        while candidate.casefold() in taken:
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        stems.append(candidate)
    return stems


def cmd_probe(args: argparse.Namespace) -> int:
    import numpy as np

    from sae_desktop.checkpoint import CheckpointError
    from sae_desktop.images import ImageError, load_image_file
    from sae_desktop.probe import probe_image
    from sae_desktop.safe_write import atomic_write_bytes
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path
    from sae_desktop.verdict import NOTHING_DRAWN

    try:
        model = ModelSnapshot.load(args.model or bundled_model_path())
    except CheckpointError as exc:
        raise Failure(str(exc)) from None
    save_dir = Path(args.save_dir) if args.save_dir else None
    if save_dir:
        save_dir.mkdir(parents=True, exist_ok=True)
    failures = 0
    for name, stem in zip(args.images, output_stems(args.images)):
        record: dict = {"image": name}
        try:
            stages, result = probe_image(model, load_image_file(name))
            if result is None:
                record["verdict"] = NOTHING_DRAWN.to_dict()
                raise ImageError(f"{Path(name).name}: nothing drawn (the image is blank)")
        except ImageError as exc:
            failures += 1
            record.update(ok=False, error=str(exc))
            if args.json:
                print(json_line(record))
            else:
                print(f"{name}: error: {exc}", file=sys.stderr)
            continue
        active = np.flatnonzero(result.active)
        record.update(ok=True, latents=[round(float(v), 6) for v in result.latents], active=active.tolist(),
                      mse=result.mse, mse_percentile=_finite(result.mse_percentile),
                      percentile=_finite(result.percentile), verdict=result.verdict.to_dict(),
                      preprocessing=_stage_record(stages))
        if save_dir:
            for suffix, image in (("input", result.input), ("reconstruction", result.reconstruction),
                                  ("levelled", stages.levelled), ("strokes", stages.reshaped)):
                path = atomic_write_bytes(save_dir / f"{stem}_{suffix}.png", _png_bytes(image), inputs=args.images)
                record[suffix] = str(path)
        if args.json:
            print(json_line(record))
        else:
            top = ", ".join(f"{i}:{result.latents[i]:.2f}" for i in active[np.argsort(-result.latents[active])])
            print(f"{name}: mse {result.mse:.4f}; {result.verdict.message}; "
                  f"{len(active)} active latents [{top}]")
    return EXIT_FAILURE if failures else 0


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None  # JSON has no NaN


def _stage_record(stages) -> dict:
    """What preprocessing measured and changed (see preprocess.py), for ``probe --json``."""
    return {"contrast": round(stages.contrast, 4), "noise": round(stages.noise, 4), "box_side": stages.box_side,
            "stroke_width": _finite(round(stages.width, 3)),
            "stroke_width_after": _finite(round(stages.width_after, 3))}


def cmd_save_weights(args: argparse.Namespace) -> int:
    from sae_desktop.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from sae_desktop.runs import refuse_run_files

    try:
        ckpt = load_checkpoint(args.checkpoint)
    except CheckpointError as exc:
        raise Failure(str(exc)) from None
    refuse_run_files(args.out)
    path = save_checkpoint(ckpt, args.out, dtype=args.dtype, include_optimizer=False, inputs=[args.checkpoint])
    print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KB, {args.dtype}, no optimizer state)")
    return 0


def cmd_install_launcher(args: argparse.Namespace) -> int:
    from sae_desktop.launcher import LauncherError, install_launcher, uninstall_launcher

    try:
        files = uninstall_launcher() if args.uninstall else install_launcher()
    except LauncherError as exc:
        raise Failure(str(exc)) from None
    if args.uninstall:
        print("removed " + ", ".join(map(str, files)) if files else "no launcher was installed")
    else:
        print("wrote " + ", ".join(map(str, files)))
    return 0


def cmd_gui(args: argparse.Namespace) -> int:
    from sae_desktop.display import display_problem

    problem = display_problem()
    if problem:  # Qt would abort the process (SIGABRT) on its own
        raise Failure(problem)
    from sae_desktop.qt.app import run_app  # the only place the core reaches for Qt

    return run_app(model_path=getattr(args, "model", None))


COMMANDS = {
    "train": cmd_train,
    "sweep": cmd_sweep,
    "evaluate": cmd_evaluate,
    "benchmark": cmd_benchmark,
    "save-weights": cmd_save_weights,
    "probe": cmd_probe,
    "gui": cmd_gui,
    "install-launcher": cmd_install_launcher,
}


def main(argv: list[str] | None = None) -> int:
    from sae_desktop.interrupts import imports_finish_first

    with imports_finish_first():  # Ctrl+C while torch or NumPy loads waits for the import to end
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    command = "sae-desktop"
    try:
        args = parser.parse_args(argv)
        command = f"sae-desktop {args.command or 'gui'}"
        return COMMANDS[args.command or "gui"](args)
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    except Failure as exc:
        print(f"{command}: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print(f"{command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILURE
    except OSError as exc:  # the one I/O error path: full disk, read-only or missing folder, too long a name…
        from sae_desktop.safe_write import describe_os_error

        print(f"{command}: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
