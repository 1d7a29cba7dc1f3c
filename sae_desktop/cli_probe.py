"""``sae-desktop probe``: image files through the canvas's preprocessing and a model."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from sae_desktop.cli_args import EXIT_FAILURE, Failure, json_line


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
    from sae_desktop.images import ImageError, read_image_file
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
        try:
            save_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # said as the folder it is ("No such file or directory" named no folder)
            from sae_desktop.safe_write import describe_os_error

            raise Failure(f"--save-dir: cannot create the folder {save_dir}: {describe_os_error(exc)}") from None
    failures = 0
    for name, stem in zip(args.images, output_stems(args.images)):
        record: dict = {"image": name}
        try:
            grey, frames = read_image_file(name)
            if frames > 1:
                record["frames"] = frames  # (the first is probed)
            stages, result = probe_image(model, grey)
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
            first = f" (its first frame of {frames})" if frames > 1 else ""
            print(f"{name}{first}: mse {result.mse:.4f}; {result.verdict.message}; "
                  f"{len(active)} active latents [{top}]")
    return EXIT_FAILURE if failures else 0


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None  # JSON has no NaN


def _stage_record(stages) -> dict:
    """What preprocessing measured and changed (see preprocess.py), for ``probe --json``."""
    return {"contrast": round(stages.contrast, 4), "noise": round(stages.noise, 4), "box_side": stages.box_side,
            "stroke_width": _finite(round(stages.width, 3)),
            "stroke_width_after": _finite(round(stages.width_after, 3))}
