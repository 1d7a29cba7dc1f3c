"""``sae-desktop probe``: image files through the canvas's preprocessing and a model."""

from __future__ import annotations

import argparse
import math
import os
import sys
from contextlib import contextmanager
from pathlib import Path

from sae_desktop.cli_args import EXIT_FAILURE, Failure, UsageError, json_line, one_line, utf8
from sae_desktop.safe_write import describe_os_error
from sae_desktop.words import counted


def _png_bytes(image) -> bytes:
    import io

    import numpy as np
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.round(np.clip(image, 0, 1) * 255).astype(np.uint8), mode="L").save(buffer, format="PNG")
    return buffer.getvalue()


OUTPUTS = ("input", "reconstruction", "levelled", "strokes")  # probe --save-dir's <stem>_<output>.png


def output_stems(names: list[str], folder: Path | None = None) -> list[str]:
    """A file stem per input for ``probe --save-dir``, distinct even where inputs share a file name
    (``a/7.png`` and ``b/7.png`` give ``7`` and ``7-2``); compared ignoring case (macOS, Windows);
    cut to ``exports.STEM_BYTES`` (a 246-character name's outputs could not be written); past the
    outputs already in ``folder`` (a second call into it replaced the first's images, which its JSON
    still named: the 7's "clean_input.png" became a letter's)."""
    from sae_desktop.exports import cut_stem

    def written(stem: str) -> bool:  # (a link counts, dangling or not: nothing is written through it)
        return folder is not None and any(os.path.lexists(folder / f"{stem}_{out}.png") for out in OUTPUTS)

    taken: set[str] = set()
    stems = []
    for name in names:
        # (a newline, or a byte that is not UTF-8, in an output's name: "_")
        readable = "".join(c if c.isprintable() else "_" for c in utf8(Path(name).stem).replace("\\x", "_x"))
        stem, n = cut_stem(readable) or "image", 1
        candidate = stem
        while candidate.casefold() in taken or written(candidate):
            n += 1
            candidate = f"{stem}-{n}"
        taken.add(candidate.casefold())
        stems.append(candidate)
    return stems


def said(name: str, message: str) -> str:
    """``a/7.png: error: <cause>``: the path once (the cause began with the file's name again)."""
    return one_line(f"{name}: error: {cause(name, message)}")


def cause(name: str, message: str) -> str:
    """An image's error without the file's name it begins with (``ImageError``'s: "7.png: …")."""
    return message.removeprefix((Path(name).name or name) + ": ")  # ("." has no name)


def cmd_probe(args: argparse.Namespace) -> int:
    """Each image is read, probed and saved on its own: one that fails (unreadable, blank, its outputs
    not written) is said, on stderr and in its JSON line, and the others are still probed."""
    import numpy as np

    from sae_desktop.checkpoint import CheckpointError
    from sae_desktop.probe_state import file_notes
    from sae_desktop.snapshot import ModelSnapshot, bundled_model_path

    try:
        model = ModelSnapshot.load(args.model or bundled_model_path())
    except CheckpointError as exc:
        raise Failure(str(exc)) from None
    save_dir = _save_dir(args.save_dir)
    failures = 0
    for name, stem in zip(args.images, output_stems(args.images, save_dir)):
        record, probed = _probe_one(model, name)
        if probed is not None and save_dir:
            _save(record, *probed, save_dir, stem, args.images)
        error = record.get("error") or record.get("save_error")
        failures += bool(error)
        if args.json:
            print(json_line(record), flush=True)
        elif probed is not None:
            result = probed[1]
            active = np.flatnonzero(result.active)
            top = ", ".join(f"{i}:{result.latents[i]:.2f}" for i in active[np.argsort(-result.latents[active])])
            notes = file_notes(record.get("frames", 1), record.get("part", ""))
            print(one_line(f"{name}{notes}: mse {result.mse:.4f}; {result.verdict.message}; "
                           f"{counted(len(active), 'active latent')} [{top}]"), flush=True)
        if error:
            print(said(name, error), file=sys.stderr, flush=True)
    return EXIT_FAILURE if failures else 0


def _save_dir(text: str | None) -> Path | None:
    if text is None:
        return None
    if not text.strip():
        raise UsageError("sae-desktop probe: --save-dir: the folder's name is empty (see --help)")
    folder = Path(text)
    if folder.exists() and not folder.is_dir():
        raise Failure(f"--save-dir: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # said as the folder it is ("No such file or directory" named no folder)
        where = "" if exc.filename is not None and Path(exc.filename) == folder else f" {folder}"
        raise Failure(f"--save-dir: cannot create the folder{where}: {describe_os_error(exc)}") from None
    return folder


def _probe_one(model, name: str):
    """→ (its JSON record, (preprocessing's stages, the probe's result) or None)."""
    import numpy as np

    from sae_desktop.images import ImageError, read_image_file
    from sae_desktop.probe import probe_image
    from sae_desktop.verdict import NOTHING_DRAWN, Verdict

    # every record has every field, null where unknown (reading a failed one's "percentile" raised a KeyError)
    record: dict = {"image": name, "ok": False, **dict.fromkeys(("latents", "active", "mse", "mse_percentile",
                                                                   "percentile", "preprocessing"))}
    try:
        with c_stderr_silenced():
            grey, frames, part = read_image_file(name)
        if frames > 1:
            record["frames"] = frames  # (the first is probed)
        if part:
            record["part"] = part  # (the input is that part of the image: a screenshot's canvas, a photo's sheet)
        stages, result = probe_image(model, grey)
        if result is None:
            record["verdict"] = NOTHING_DRAWN.to_dict()
            blank = "the image is blank" if stages.noise == 0 else "nothing stands out from the paper's noise"
            if frames > 1:  # (an animation whose first frame is blank is not a blank file: the first is probed)
                blank = blank.replace("the image is", f"its first frame of {frames} is") if stages.noise == 0 \
                    else f"its first frame of {frames}: {blank}"
            raise ImageError(f"{Path(name).name}: nothing drawn ({blank})")
    except ImageError as exc:
        # every record has a verdict (a script reading verdict.digit_like failed on an unreadable
        # file's): none possible for a file that is not an image
        record.setdefault("verdict", Verdict("unknown", None, float("nan"), float("nan"), "Not probed").to_dict())
        record.update(ok=False, error=cause(name, str(exc)))  # (its "image" names the file: "blank.png: …" beside
        return record, None  # "image": "/tmp/x/blank.png" named it twice, and two ways)
    active = np.flatnonzero(result.active)
    record.update(ok=True, latents=[round(float(v), 6) for v in result.latents], active=active.tolist(),
                  mse=result.mse, mse_percentile=_finite(result.mse_percentile),
                  percentile=_finite(result.percentile), verdict=result.verdict.to_dict(),
                  preprocessing=_stage_record(stages))
    return record, (stages, result)


@contextmanager
def c_stderr_silenced():
    """Native code's own complaints written straight to the process's stderr (libtiff's "Using
    code not yet in table.", five lines for one damaged TIFF) go nowhere: the probe says what
    went wrong in one line. (The CLI only: the window reads files in worker threads.)"""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _save(record: dict, stages, result, folder: Path, stem: str, inputs: list[str]) -> None:
    """The four images into ``folder``, each path in ``record``; a write that fails is
    ``record["save_error"]`` (the probe's figures stand) and the images after it are not tried."""
    from sae_desktop.safe_write import atomic_write_bytes

    try:
        for suffix, image in zip(OUTPUTS, (result.input, result.reconstruction, stages.levelled, stages.reshaped)):
            record[suffix] = str(atomic_write_bytes(folder / f"{stem}_{suffix}.png", _png_bytes(image), inputs=inputs))
    except OSError as exc:
        record["save_error"] = describe_os_error(exc)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None  # JSON has no NaN


def _stage_record(stages) -> dict:
    """What preprocessing measured and changed (see preprocess.py), for ``probe --json``."""
    return {"contrast": round(stages.contrast, 4), "noise": round(stages.noise, 4), "box_side": stages.box_side,
            "stroke_width": _finite(round(stages.width, 3)),
            "stroke_width_after": _finite(round(stages.width_after, 3))}
