"""The ``sae-desktop`` command: the window by default, plus headless subcommands.

Exit codes, one line on stderr each, never a traceback for a user error or a fault:
  2  the command line is wrong (unknown flag, value out of range, flags that conflict with
     each other or with the checkpoint being resumed);
  1  a problem found while running: an unreadable or invalid file (checkpoint, image, dataset),
     an output that cannot or must not be written, an I/O error (full disk, read-only folder,
     missing folder), no display for the window, a diverged run, an image that could not be probed;
  130  stopped by Ctrl+C, or by SIGTERM for a headless command (training keeps the weights,
       resumable exactly).
This module is the composition root: it imports the Qt package only for the window.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sae_desktop.cli_args import (EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, Failure, UsageError, build_parser,
                                  json_line, models_in_run_folders, parse)
from sae_desktop.cli_probe import cmd_probe
from sae_desktop.cli_training import cmd_sweep, cmd_train


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
        dataset = load_dataset(name, args.data_dir, test_only=True)
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
              f"dead latents {result['dead_latents']}  mean activation {mean_rho:.4f}")
    return 0


def cmd_benchmark(args: argparse.Namespace) -> int:
    from sae_desktop.benchmark import run_benchmark
    from sae_desktop.data import DatasetError
    from sae_desktop.devices import DeviceError

    if args.epochs < 1:
        raise UsageError("sae-desktop benchmark: --epochs must be at least 1")
    try:
        return run_benchmark(args.device, args.epochs, args.data_dir, as_json=args.json,
                             each_mechanism=args.each_mechanism)
    except DeviceError as exc:
        raise UsageError(f"sae-desktop benchmark: {exc}") from None
    except DatasetError as exc:
        raise Failure(str(exc)) from None


def cmd_save_weights(args: argparse.Namespace) -> int:
    from sae_desktop.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from sae_desktop.runs import refuse_run_files

    try:
        ckpt = load_checkpoint(args.checkpoint)
    except CheckpointError as exc:
        raise Failure(str(exc)) from None
    refuse_run_files(args.out)
    path = save_checkpoint(ckpt, args.out, dtype=args.dtype, include_optimizer=False, inputs=[args.checkpoint])
    size, density = path.stat().st_size, ckpt.test_density
    kept = 0 if density is None else sum(a.nbytes for a in (density.codes, *(
        (density.pixels.basis, density.pixels.points) if density.pixels is not None else ())) if a is not None)
    # (the bundled model's copy was no smaller, and said only "5592 KB, float16")
    note = f"; {kept / 1024:.0f} KB of it the reference digits the verdict compares with, as they were" \
        if kept > size / 2 else ""
    print(f"wrote {path} ({size / 1024:.0f} KB, {args.dtype}, no optimizer state{note})")
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


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (``kill``, ``timeout``, a job scheduler) as Ctrl+C for a headless command: training
    stops cleanly and keeps its weights, a write in progress removes its temp file (killed outright,
    ``train`` left ``.checkpoint.safetensors.*.tmp`` and ``probe --save-dir`` half its images)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def one_line(text: str) -> str:
    """A message as the one line on stderr each failure is (see the module docstring)."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def main(argv: list[str] | None = None) -> int:
    from sae_desktop.interrupts import imports_finish_first

    with imports_finish_first():  # Ctrl+C while torch or NumPy loads waits for the import to end
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    command = "sae-desktop"
    try:
        args = parse(parser, argv)
        command = f"sae-desktop {args.command or 'gui'}"
        models_in_run_folders(args)
        if args.command in (None, "gui"):
            return COMMANDS["gui"](args)
        with terminate_as_interrupt():
            return COMMANDS[args.command](args)
    except UsageError as exc:
        print(one_line(str(exc)), file=sys.stderr)
        return EXIT_USAGE
    except Failure as exc:  # (a missing dataset's three lines, the window's, made one)
        print(f"{command}: {one_line(str(exc))}", file=sys.stderr)
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
