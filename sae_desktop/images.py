"""Read a photo or scan of a handwritten digit as a white-ink-on-black grey image.

Any size and mode Pillow reads (grey, RGB, RGBA, palette, 1-bit, 16-bit). Dark ink on
light paper is inverted; the paper's tone is subtracted so that only ink is non-zero (the
MNIST preprocessing takes the bounding box of every non-zero pixel).
"""

from __future__ import annotations

import math
import os
import stat
import warnings

import numpy as np

MAX_PIXELS = 60_000_000  # ~ a 60-megapixel photo; larger files are refused, not decoded
WORK_SIZE = 1024  # images are reduced to this (longer side) first: the model sees 20 px anyway
INK_MARGIN = 0.08  # tones this close to the paper's count as paper (scanner noise, shadows)


class ImageError(ValueError):
    """The file is not an image this program can use; the message says why."""


def load_image_file(path: str | os.PathLike) -> np.ndarray:
    """→ float32 2-D array in [0, 1], ink bright on black. Raises :class:`ImageError`."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = os.path.basename(str(path))
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block for ever, a device never end
            raise ImageError(f"{name}: not a regular file (a folder, pipe or device)")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{name}: {w}×{h} pixels is too large (limit {MAX_PIXELS // 1_000_000} MP)")
                if w < 1 or h < 1:
                    raise ImageError(f"{name}: the image is empty")
                img.draft("L", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at reduced size, cheaply
                img = ImageOps.exif_transpose(img)
                sixteen_bit = img.mode.startswith("I;16")
                grey = _to_grey(_reduced(img), sixteen_bit)
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to read the image") from None
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image (or a format Pillow cannot read)") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: too many pixels to open safely (limit {MAX_PIXELS // 1_000_000} MP)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        raise ImageError(f"{name}: cannot read the image ({exc})") from None
    return ink_on_black(grey)


def _reduced(img):
    """The image shrunk by one whole factor until its longer side fits :data:`WORK_SIZE`, before
    anything becomes floats: memory and time stay bounded whatever the aspect ratio (a 1×10⁷
    strip becomes 1×1024, at least one pixel each way)."""
    factor = math.ceil(max(img.size) / WORK_SIZE)
    if factor <= 1:
        return img
    if img.mode == "1":
        img = img.convert("L")
    elif img.mode in ("P", "PA"):
        img = img.convert("RGBA")
    elif img.mode.startswith("I;16"):
        img = img.convert("I")
    elif img.mode not in ("L", "LA", "RGB", "RGBA", "I", "F"):
        img = img.convert("RGBA")
    return img.reduce(factor)


def _to_grey(img, sixteen_bit: bool = False) -> np.ndarray:
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.nan_to_num(np.asarray(img, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
        top_value = a.max(initial=0)
        if sixteen_bit or img.mode.startswith("I;16") or top_value > 255:
            top = 65535.0
        elif img.mode == "F" and top_value <= 1.0:
            top = 1.0  # a float image in [0, 1] (scientific TIFFs): not 255 times too dark
        else:
            top = 255.0
        a = a / top
    else:
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
            img = Image.alpha_composite(paper, rgba)  # transparent means paper
        a = np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    return np.clip(a, 0.0, 1.0)


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """Make the ink bright and the paper exactly 0, stretching the ink to reach 1."""
    a = np.asarray(grey, dtype=np.float64)
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if np.median(border) > 0.5:  # light paper, dark ink (photos, scans)
        a = 1.0 - a
        border = 1.0 - border
    paper = float(np.median(border))
    ink = a - paper - INK_MARGIN
    top = float(ink.max(initial=0.0))
    if top <= 0:
        return np.zeros(a.shape, dtype=np.float32)  # blank paper: nothing drawn
    return np.clip(ink / top, 0.0, 1.0).astype(np.float32)
