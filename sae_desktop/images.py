"""Read a photo or scan of a handwritten digit as a white-ink-on-black grey image.

Any size and mode Pillow reads (grey, RGB, RGBA, palette, 1-bit, 16-bit), and an iPhone's HEIC
(pillow-heif). Dark ink on light paper is inverted; the paper's tone is subtracted so that only
ink is non-zero (the preprocessing then removes the paper's tone and lighting).
"""

from __future__ import annotations

import math
import os
import stat
import warnings
from typing import NamedTuple

import numpy as np

from sae_desktop.image_formats import FORMATS, WHOLLY_READ, container, not_read, prepare_pillow, readable
from sae_desktop.patterned_table import COPY_PX, sheet_on_patterned_table
from sae_desktop.screen import the_canvas
from sae_desktop.sheet import frame_paper_tone, is_crop, paper_ring, the_sheet
from sae_desktop.zoom import agrees, ink_window, read_again

MAX_PIXELS = 60_000_000  # ~ a 60-megapixel photo; larger files are refused, not decoded
WORK_SIZE = 1024  # images are reduced to this (longer side) first: the model sees 20 px anyway


PARTS = {"canvas": "the canvas or page alone, cut out of what is round it",  # (a screenshot; a composite)
         "sheet": "the sheet alone, cut out of the photo",
         "ink": "round its ink, read at the file's full size"}  # (a small digit in a large image: zoom.py)


class ImageError(ValueError):
    """The file is not an image this program can use; the message says why."""


class ImageRead(NamedTuple):
    """A file as :func:`read_image_file` reads it."""

    grey: np.ndarray  # ink bright on black, in [0, 1]
    frames: int = 1  # the frames the file holds (an animated GIF or WebP, a multi-page TIFF): the first is read
    part: str = ""  # the part of the image that is the input (a key of :data:`PARTS`), "" for all of it


def load_image_file(path: str | os.PathLike) -> np.ndarray:
    """→ float32 2-D array in [0, 1], ink bright on black. Raises :class:`ImageError`."""
    return read_image_file(path)[0]


def read_image_file(path: str | os.PathLike) -> ImageRead:
    """:func:`load_image_file`'s image, how many frames the file holds (an animated GIF or WebP, a
    multi-page TIFF: the first is the one read) and which part of it is the input (a screenshot's
    canvas, a photo's sheet), which the probe then says."""
    from PIL import Image, UnidentifiedImageError

    prepare_pillow()
    name = os.path.basename(str(path))
    try:
        status = os.stat(path)
        if not stat.S_ISREG(status.st_mode):  # a FIFO would block for ever, a device never end
            raise ImageError(f"{name}: not a regular file (a folder, pipe or device)")
        if status.st_size == 0:  # (it was "not an image, or not in a format this app reads")
            raise ImageError(f"{name}: the file is empty (0 bytes)")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a damaged file's warnings ("Tag data larger than file") were
            warnings.simplefilter("error", Image.DecompressionBombWarning)  # printed with their source line
            # (from a file object: given a name, Pillow maps an uncompressed file's pixels in place, and a TIFF
            with open(path, "rb") as fh, Image.open(fh, formats=readable()) as img:  # turned 5-8 was garbled)
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise ImageError(f"{name}: {w}×{h} pixels is too large (limit {MAX_PIXELS // 1_000_000} MP)")
                if w < 1 or h < 1:
                    raise ImageError(f"{name}: the image is empty")
                frames = max(int(getattr(img, "n_frames", 1) or 1), 1)
                img.draft("L", (WORK_SIZE, WORK_SIZE))  # JPEG: decode at reduced size, cheaply
                img.load()  # (a TIFF's reader turns it by its orientation as it loads, and drops the tag:
                turn = _exif_turns().get(img.getexif().get(ORIENTATION, 1))  # read before, it was turned twice)
                sixteen_bit = img.mode.startswith("I;16")
                img = _reduced(img)  # turned after (a turned copy of a 59-MP photo took 0.7 GB more)
                grey = _to_grey(img.transpose(turn) if turn is not None else img, sixteen_bit)
                shrunk = img.size
    except ImageError:
        raise
    except FileNotFoundError:
        raise ImageError(f"{name}: no such file") from None
    except MemoryError:
        raise ImageError(f"{name}: not enough memory to read the image") from None
    except UnidentifiedImageError:
        if (kind := container(path)) in WHOLLY_READ:  # (a PNG cut short read "a PNG whose kind of pixels this
            raise ImageError(f"{name}: a {kind} whose header is damaged or cut short") from None  # app cannot…")
        if kind is not None:  # ("not in a format this app reads (… TIFF …)" of a TIFF)
            why = " (32-bit colour, or a compression Pillow lacks)" if kind == "TIFF" else ""
            raise ImageError(f"{name}: a {kind} that is damaged, or whose kind of pixels this app cannot decode"
                             f"{why}") from None
        if (other := not_read(path)) is not None:  # (an SVG was "not an image")
            raise ImageError(f"{name}: {other}, which this app does not read: save it as a PNG or JPEG") from None
        raise ImageError(f"{name}: not an image, or not in a format this app reads ({FORMATS})") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageError(f"{name}: too many pixels to open safely (limit {MAX_PIXELS // 1_000_000} MP)") from None
    except (OSError, ValueError, SyntaxError) as exc:
        # ("decoder error -2" says nothing to a user; nor did "Truncated File Read" beside "image file is truncated")
        detail = (f", its data is damaged ({exc})" if str(exc).startswith("decoder error") else
                  ": the file is cut short, it ends before its image does" if "truncated" in str(exc).lower() else
                  f" ({exc})")
        raise ImageError(f"{name}: cannot read the image{detail}") from None
    except Exception as exc:  # a damaged file trips a reader elsewhere (a TIFF page with no size: TypeError)
        raise ImageError(f"{name}: cannot read the image, it is damaged ({type(exc).__name__}: {exc})") from None
    ink, part = ink_and_part(grey)
    # a small digit in a large image: its ink's window read again at the file's resolution (zoom.py)
    window = None if part else ink_window(ink, max(w, h) / max(shrunk))
    if window is not None and (again := read_again(path, window, shrunk, turn, sixteen_bit)) \
            and agrees(ink[window[0]:window[2], window[1]:window[3]], again[0]):  # (else the first reading)
        ink, part = again
    return ImageRead(ink, frames, part)


ORIENTATION = 0x0112  # the EXIF tag that says how a camera held the picture


def _exif_turns():
    from PIL import Image

    t = Image.Transpose
    return {2: t.FLIP_LEFT_RIGHT, 3: t.ROTATE_180, 4: t.FLIP_TOP_BOTTOM, 5: t.TRANSPOSE, 6: t.ROTATE_270,
            7: t.TRANSVERSE, 8: t.ROTATE_90}  # (as PIL.ImageOps.exif_transpose turns them)


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


def _paper_for_no_tone(tones: np.ndarray, share: float, top: float) -> float:
    """The tone a float image's NaN and ±inf pixels take, as paper, from its finite ``tones``
    (``share`` of the image, on a scale to ``top``): their median where they are most of the image
    (paper is most of a sheet); where they are not, they are the drawing (ink on a NaN layer, as on
    a transparent one) and the paper is the other end of the scale (as their median, the ink itself
    was the paper: "nothing drawn")."""
    if not tones.size:
        return 0.0
    median = float(np.median(tones))
    if share >= 0.5:
        return median
    return top if median < top / 2 else 0.0


def _to_grey(img, sixteen_bit: bool = False) -> np.ndarray:
    from PIL import Image

    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        a = np.asarray(img, dtype=np.float64)
        finite = np.isfinite(a)
        if img.mode == "F" and a[finite].min(initial=0) < 0:  # signed values ([-1, 0], [-1, 1]): their range is
            low = a[finite].min()  # the scale (clipped at 0, ink at -1..0 read "the image is blank")
            a = (a - low) / max(a[finite].max() - low, 1e-12)
        top_value = a[finite].max(initial=0)
        if img.mode == "F" and top_value > 255:  # a float image on a scale of its own (paper at 1000 read as
            top = float(top_value)  # 16-bit: "Too faint (contrast 2%)")
        elif sixteen_bit or img.mode.startswith("I;16") or top_value > 255:
            top = 65535.0
        elif img.mode == "F" and top_value <= 1.0:
            top = 1.0  # a float image in [0, 1] (scientific TIFFs): not 255 times too dark
        else:
            top = 255.0
        if not finite.all():  # NaN and ±inf are no tone at all: the paper's (as 0 they were ink on white)
            a = np.where(finite, a, _paper_for_no_tone(a[finite], float(finite.mean()), top))
        a = a / top
    else:
        if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
            rgba = img.convert("RGBA")
            tone = 0 if _light_ink_layer(rgba) else 255
            paper = Image.new("RGBA", rgba.size, (tone, tone, tone, 255))
            img = Image.alpha_composite(paper, rgba)  # transparent means paper
        a = np.asarray(img.convert("L"), dtype=np.float64) / 255.0
    return np.clip(a, 0.0, 1.0)


INK_LAYER_SPREAD = 0.1  # the opaque pixels' tones at most this far apart: one pen's colour on a transparent layer


def _light_ink_layer(rgba) -> bool:
    """Whether the image is light strokes on transparency (a drawing app's white pen on an empty
    layer): its opaque pixels all of one light tone. Over white paper they vanished ("nothing
    drawn"), so such a layer goes over black; anything else (dark strokes, a photo with
    transparent corners) over white."""
    a = np.asarray(rgba, dtype=np.float32) / 255.0
    opaque = a[..., 3] > 0.5
    if not opaque.any() or opaque.all():
        return False
    tone = a[..., :3][opaque] @ np.array([0.299, 0.587, 0.114], np.float32)
    low, high = np.percentile(tone, [1, 99])
    return bool(high - low <= INK_LAYER_SPREAD and np.median(tone) > 0.5)


CLEAR = 1.5  # one tail reaching this many times further from the median than the other is clearly the ink's
INK_SHARE = 0.2  # …unless it is more of the image than this (a white sheet on a grey table, a third of the photo)
LOCAL = 0.12  # the local background: a median over this share of the longer side (wider than strokes)


def ink_on_black(grey: np.ndarray) -> np.ndarray:
    """Make the ink the bright side: dark ink on light paper (photos, scans) is inverted.

    The ink is the minority far from the paper's tone, so the side whose tail reaches further
    from the median is the ink; where the image's frame is evenly of one extreme tone, that tone
    is the paper's instead (a digit cropped tight can be more ink than paper; in an image too small
    to be a photo of a page, ``sheet.is_crop``, the frame's median tone always, or a ring's inside a line
    along the frame), unless the rest is
    too solid for strokes (a photo of the sheet with the table all around it). Where neither tail
    reaches clearly further (:data:`CLEAR`: the light across a photo spans as much as the ink, as
    when the strokes are blurred or few), the image less its local background decides
    (:func:`_ink_side`). The paper's tone and uneven lighting are removed by preprocessing
    (``paper.level``), where the window shows that stage.
    """
    return ink_and_part(grey)[0]


def ink_and_part(grey: np.ndarray) -> tuple[np.ndarray, str]:
    """:func:`ink_on_black`'s image, and the part of ``grey`` it shows (:data:`PARTS`: a screenshot's
    canvas, a photo's sheet; "" for all of it)."""
    a, part = np.asarray(grey, dtype=np.float32), ""
    if (canvas := the_canvas(a)) is not None:  # (a screenshot of a drawing program: its panels read as ink)
        a, part = canvas, "canvas"
    paper = float(np.median(a))
    darkest, brightest = np.percentile(a, [0.5, 99.5])
    if darkest == brightest:  # over 99 % of one tone: any ink is the few pixels that differ (a small
        darkest, brightest = float(a.min()), float(a.max())  # digit on a clean page read as blank)
    if darkest == brightest:
        return np.zeros(a.shape, dtype=np.float32), part  # one tone: blank paper, nothing drawn
    if is_crop(a):  # (a dataset's digit, filling its 16 px: its median was the ink's, its frame is its paper)
        tone = float(np.median(paper_ring(a)))
        dark_ink = tone - darkest > brightest - tone
        return np.clip(1.0 - a if dark_ink else a, 0.0, 1.0).astype(np.float32), part
    edge = frame_paper_tone(a, darkest, brightest)
    if edge is not None:  # a digit cropped tight can be more ink than paper: its frame is the paper (or
        paper, table = edge  # the frame is a table around the sheet, and the sheet the paper)
        if table is not None and (sheet := the_sheet(a, table)) is not None:  # (a sheet a tenth of the photo
            a, part = sheet, "sheet"  # was too small for the paper's fit, a grey one on a white desk read as a
            # filled shape)
            darkest, brightest = np.percentile(a, [0.5, 99.5])
    # a checked tablecloth's frame is of no one tone; a striped one's can be, a light stripe along each side and
    # half its top and foot, with no sheet found on it as on a plain table (a photo, larger than the cloth's copy:
    # a form's box in a 100-px scan read as a sheet)
    if part == "" and (edge is None or max(a.shape) > COPY_PX) and (sheet := sheet_on_patterned_table(a)) is not None:
        return ink_and_part(sheet)[0], "sheet"
    below, above = paper - darkest, brightest - paper
    far = np.mean(a > paper + above / 2) if above > below else np.mean(a < paper - below / 2)  # its share
    if edge is None and (max(below, above) < CLEAR * min(below, above) or far > INK_SHARE):
        dark_ink = _ink_side(a) < 0
    else:
        dark_ink = below > above
    if dark_ink:
        a = 1.0 - a
    return np.clip(a, 0.0, 1.0).astype(np.float32), part


def _ink_side(a: np.ndarray) -> float:
    """The third central moment (the skewness's sign): > 0 where the ink is brighter than the
    paper, < 0 where darker. Measured on the image less its local background (a median over
    :data:`LOCAL` of the image, on a ≤64-px copy: wider than strokes, narrower than the light's
    changes), where the lighting is gone and the ink is the sparse, one-sided tail (noise is
    symmetric)."""
    from scipy import ndimage  # ~0.4 s to import: not at the window's start (see qt/torch_loader.py)

    h, w = a.shape
    step = max(1, int(np.ceil(max(h, w) / 64)))
    sh, sw = -(-h // step), -(-w // step)
    blocks = np.pad(a, ((0, sh * step - h), (0, sw * step - w)), mode="edge").reshape(sh, step, sw, step)
    size = max(3, int(round(LOCAL * max(sh, sw))) | 1)
    background = ndimage.median_filter(blocks.mean(axis=(1, 3)), size=size, mode="nearest")
    if step > 1:
        background = ndimage.zoom(background, step, order=1)[:h, :w]
    rest = (a - background).astype(np.float64)
    rest -= rest.mean()
    return float(np.mean(rest * rest * rest))
