"""The command line's grammar: its errors, its parser (the training options generated from the
settings schema, config.SETTINGS) and the config a command line asks for."""

from __future__ import annotations

import argparse
import json
import math

from sae_desktop import __version__
from sae_desktop.config import DATASETS, DEVICES, PRESETS, SETTINGS, TrainConfig

EXIT_USAGE, EXIT_FAILURE, EXIT_INTERRUPTED = 2, 1, 130


EXIT_CODES = (f"Exit codes: 0 done; {EXIT_USAGE} the command line is wrong; {EXIT_FAILURE} a problem found while "
              f"running (a file, the data, I/O, an image that could not be probed); {EXIT_INTERRUPTED} stopped "
              "by Ctrl+C or SIGTERM (a run keeps its weights; what was printed is whole lines). Each failure is one "
              "line on stderr.")


class UsageError(Exception):
    """Bad command-line input: printed as one line, exit code 2."""


class Failure(Exception):
    """A file, data or I/O problem found while running: printed as one line, exit code 1."""


def utf8(text: str) -> str:
    """``text`` in valid Unicode: a file name's bytes that are not UTF-8 (Python's lone surrogates, which
    strict JSON parsers refuse) written as ``\\xff``."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def one_line(text: str) -> str:
    """``text`` as one printable line (a file named with a newline broke "each failure is one line"): control
    characters escaped (``\\n``), bytes that are not UTF-8 too."""
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in utf8(text))


def json_line(record: dict) -> str:
    """One JSON line that any parser reads: NaN and infinities become null, never bare NaN; strings in
    valid Unicode (:func:`utf8`)."""
    def clean(value):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, str):
            return utf8(value)
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(record), allow_nan=False)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not argparse's usage block
        raise UsageError(f"{self.prog}: {message} (see --help)")


def parse(parser: argparse.ArgumentParser, argv: list[str] | None) -> argparse.Namespace:
    """``parser.parse_args``, but arguments it does not know are named with their command and the
    nearest option ("sae-desktop: unrecognized arguments: --latents 0" named neither)."""
    import difflib

    args, extra = parser.parse_known_args(argv)
    if extra:
        subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices
        own = subs[args.command] if args.command else parser
        options = [o for action in own._actions for o in action.option_strings]
        near = difflib.get_close_matches(extra[0].split("=")[0], options, n=1) if extra[0].startswith("--") else []
        hint = f"; did you mean {near[0]}?" if near else ""
        raise UsageError(f"{own.prog}: unrecognized arguments: {' '.join(extra)}{hint} (see {own.prog} --help)")
    return args


def _add_train_args(p: argparse.ArgumentParser) -> None:
    """The preset, the data folder, and an option per training setting, from its schema."""
    p.add_argument("--preset", choices=sorted(PRESETS), help="start from a preset (default: tutorial)")
    p.add_argument("--data-dir", help="dataset folder (default: $SAE_DESKTOP_DATA or the per-user folder)")
    # Defaults are None so that --resume can tell which options the user actually gave.
    for name, spec in SETTINGS.items():
        text = spec.help.replace("%", "%%")  # argparse formats help with %: "70% of training" broke --help
        default = getattr(TrainConfig, name)
        shown = f"{default:g}" if isinstance(default, float) else default
        when = f" (with --penalty {' or '.join(spec.penalty.split())})" if spec.penalty else ""
        if isinstance(default, bool):  # a switch: off unless given
            p.add_argument(spec.flag, dest=name, action="store_const", const=True, default=None,
                           help=f"{text}; default {'on' if default else 'off'}{when}")
            continue
        p.add_argument(spec.flag, dest=name, type=type(default), choices=spec.choices or None,
                       metavar=None if spec.choices else spec.flag[2:].upper().replace("-", "_"),
                       help=f"{text}; default {shown}{when}")


# What may differ when resuming: how long to go on, where, and how often to report.
RESUME_OVERRIDABLE = {name for name, spec in SETTINGS.items() if spec.resumable}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sae-desktop", description="Train and probe sparse autoencoders on handwritten digits. "
                     "With no command, opens the window.", epilog=EXIT_CODES)
    parser.add_argument("--version", action="version", version=f"sae-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    gui = sub.add_parser("gui", help="open the window (the default)", epilog=EXIT_CODES,
                         description="Open the window: train, probe, the feature atlas and the runs.")
    gui.add_argument("--model", help="model to show at start-up: a .safetensors checkpoint or a run folder "
                                     "(default: the one shown last, else the bundled model)")

    train = sub.add_parser("train", help="train a model headless; writes a run folder", epilog=EXIT_CODES,
                           description="Train one model without the window, into a run folder of its own (its "
                           "config, per-step and per-epoch metrics and checkpoint); the window's Runs tab lists it.")
    _add_train_args(train)
    train.add_argument("--out", help="also save the final checkpoint here (.safetensors)")
    train.add_argument("--resume", help="continue from a checkpoint (e.g. a run's checkpoint.safetensors)")
    train.add_argument("--json", action="store_true", help="one JSON object per epoch, then a summary line")
    train.add_argument("--no-download", action="store_true", help="never try to download the dataset")

    sweep = sub.add_parser("sweep", help="train one run per combination of values, e.g. --penalty topk --k 2,4,8",
                           description="Numeric settings take comma-separated values; every combination is "
                           "trained in turn, each in its own run folder. Ctrl+C stops the sweep.", epilog=EXIT_CODES)
    _add_train_args(sweep)
    for action in sweep._actions:  # numeric settings take lists here
        if action.type in (int, float):
            action.type, action.metavar = str, "V[,V...]"
    sweep.add_argument("--json", action="store_true", help="JSON lines per epoch and run, then one sweep line")
    sweep.add_argument("--no-download", action="store_true", help="never try to download the dataset")
    sweep.set_defaults(out=None)

    ev = sub.add_parser("evaluate", help="test-set metrics of a saved model", epilog=EXIT_CODES,
                        description="A saved model's figures on the test set (MSE, FVU, L0, dead and dense latents); "
                        "it needs only the test set's two files.")
    ev.add_argument("checkpoint", help="a .safetensors model (a run's checkpoint.safetensors, or a saved one)")
    ev.add_argument("--data-dir", help="dataset folder (default: $SAE_DESKTOP_DATA or the per-user folder)")
    ev.add_argument("--dataset", choices=DATASETS, help="default: the one it was trained on")
    ev.add_argument("--device", choices=DEVICES, default="cpu", help="where to evaluate; default cpu")
    ev.add_argument("--json", action="store_true", help="one JSON object instead of text")

    bench = sub.add_parser("benchmark", help="time the tutorial's loop, this engine and the GEMM limit",
                           epilog=EXIT_CODES,
                           description="Time an epoch of the tutorial's training loop, of this engine's backends and "
                           "the machine's matrix-multiply limit, side by side.")
    bench.add_argument("--device", choices=DEVICES, default="cpu", help="where to time training; default cpu")
    bench.add_argument("--epochs", type=int, default=3, help="timed epochs per contender (median reported); default 3")
    bench.add_argument("--data-dir", help="dataset folder (default: $SAE_DESKTOP_DATA or the per-user folder)")
    bench.add_argument("--json", action="store_true", help="one JSON object instead of text")
    bench.add_argument("--each-mechanism", action="store_true",
                       help="also time the fast step against autograd for each mechanism it trains (kl, l1, topk)")

    probe = sub.add_parser("probe", help="run the canvas's preprocessing and model on image files",
                           description="What the window's Probe says of image files (photos, scans, drawings): "
                           "each image's model input, code, reconstruction error and verdict.",
                           epilog="Each image stands alone: one that cannot be read, is blank or whose outputs "
                           "cannot be written is said on stderr (and with --json in its line: ok false and "
                           "error, or save_error), and the rest are still probed. " + EXIT_CODES)
    probe.add_argument("images", nargs="+", help="PNG/JPG/… photos or scans of handwritten digits")
    probe.add_argument("--model", help="checkpoint (default: the bundled pretrained MNIST model)")
    probe.add_argument("--json", action="store_true", help="one JSON object per image")
    probe.add_argument("--save-dir", help="write each image's <name>_input.png and <name>_reconstruction.png "
                       "(28×28, what the model sees and draws), <name>_levelled.png (paper removed, contrast "
                       "stretched) and <name>_strokes.png (the ink's box after the stroke-width change) here "
                       "(never over files already there: a name taken becomes <name>-2, <name>-3, …)")

    slim = sub.add_parser("save-weights", help="write a small weights-only copy of a checkpoint (for sharing)",
                          description="Write the model without Adam's state, its weights in float16 by default: a "
                          "copy to probe and show elsewhere, which cannot be continued.", epilog=EXIT_CODES)
    slim.add_argument("checkpoint", help="the .safetensors model to copy")
    slim.add_argument("out", help="where to write the copy (.safetensors)")
    slim.add_argument("--dtype", choices=["float16", "float32"], default="float16",
                      help="the weights' number format; default float16 (half their size; the verdict's stored "
                           "reference digits keep theirs)")

    launcher = sub.add_parser("install-launcher", help="add the app to the desktop's applications menu (Linux)",
                              description="Add a launcher and its icon to this user's applications menu "
                              "(~/.local/share/applications); --uninstall takes them away.", epilog=EXIT_CODES)
    launcher.add_argument("--uninstall", action="store_true", help="remove the launcher and icon again")
    return parser


MODEL_ARGUMENTS = ("checkpoint", "model", "resume")  # the arguments that name a model file


def models_in_run_folders(args: argparse.Namespace) -> None:
    """A run folder where a model file is asked for means its checkpoint: the Runs tab and ``train``
    name the folder, and ``evaluate <run folder>`` said only "not a regular file"."""
    from pathlib import Path

    for name in MODEL_ARGUMENTS:
        given = getattr(args, name, None)
        if given and Path(given).is_dir():  # (runs.py, and NumPy with it, only then: not at every start)
            from sae_desktop.runs import folder_model

            if (model := folder_model(given)) is not None:
                setattr(args, name, str(model))


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
            verb = "differs" if len(conflicts) == 1 else "differ"
            raise UsageError(f"sae-desktop train: {names} {verb} from the checkpoint being resumed; "
                             f"only {allowed} may change")
    else:
        base = PRESETS[args.preset or "tutorial"]
    cfg = base.replace(**given)
    refuse_inapplicable(getattr(args, "command", None) or "train", given, cfg.penalty)
    return cfg


def refuse_inapplicable(command: str, names, penalty: str) -> None:
    """A setting given for a penalty it does not apply to is an error, not silently ignored:
    ``train --k 3`` trained the tutorial's KL run, and nothing said --k went unused."""
    wrong = [SETTINGS[name] for name in names if not SETTINGS[name].applies(penalty)]
    if wrong:
        said = "; ".join(f"{spec.flag} applies only with --penalty {' or '.join(spec.penalty.split())}"
                         for spec in wrong)
        raise UsageError(f"sae-desktop {command}: {said}, and this run's penalty is {penalty} "
                         f"(give --penalty, or leave {' and '.join(spec.flag for spec in wrong)} out)")
