"""Which image files are opened, and Pillow set up to open them: the formats read in-process (never one
that runs another program on the file), HEIC through pillow-heif, and a PNG's metadata within memory."""

from __future__ import annotations

import functools


def prepare_pillow() -> None:
    """Before a file is opened: HEIC registered, a PNG's metadata chunks as large as memory allows."""
    _read_heif_too()
    _metadata_as_large_as_memory_allows()


FORMATS = "PNG, JPEG, HEIC, AVIF, WebP, GIF, BMP, TIFF, PPM, ICO, TGA, PCX, PSD, JPEG 2000, QOI, SGI"  # (READABLE's)
# The raster formats Pillow reads in-process, by its names: never its EPS reader, which runs Ghostscript on
# the file (a PostScript program: it wrote files, looped for ever, and printed into --json's output)
READABLE = ("PNG", "JPEG", "BMP", "DIB", "GIF", "TIFF", "WEBP", "HEIF", "AVIF", "PPM", "ICO", "TGA", "PCX",
            "PSD", "JPEG2000", "QOI", "SGI")


@functools.cache
def _read_heif_too() -> bool:
    """Pillow reads HEIC/HEIF (an iPhone's photos) once pillow-heif registers it; False without it."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


# Pillow reads every kind of pixels these formats hold: one it cannot open is damaged or cut short
WHOLLY_READ = ("PNG", "GIF")
MAGIC = {b"\x89PNG": "PNG", b"\xff\xd8\xff": "JPEG", b"GIF8": "GIF", b"BM": "BMP", b"II*\x00": "TIFF",
         b"MM\x00*": "TIFF"}


NOT_READ = ((b"%PDF", "a PDF"), (b"%!PS", "PostScript"), (b"\xc5\xd0\xd3\xc6", "PostScript"))


def not_read(path) -> str | None:
    """What a file is that this app knows and does not read, by its first bytes (a PDF, PostScript, a
    vector image: SVG), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(512)
    except OSError:
        return None
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    kind = next((kind for magic, kind in NOT_READ if text.startswith(magic)), None)
    if kind is None and (b"<svg" in head.lower() or str(path).lower().endswith((".svg", ".svgz"))):
        kind = "a vector image (SVG)"
    return kind


def container(path) -> str | None:
    """The format a file's first bytes name (WebP: RIFF…WEBP), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    return next((kind for magic, kind in MAGIC.items() if head.startswith(magic)), None)


@functools.cache
def _metadata_as_large_as_memory_allows() -> None:
    """A PNG's text or colour-profile chunk may be as large as Pillow lets all its text be (64 MB): at its
    1 MB a chunk over it refused the image ("Decompressed data too large for PngImagePlugin.MAX_TEXT_CHUNK"),
    whose pixels were fine."""
    from PIL import PngImagePlugin

    PngImagePlugin.MAX_TEXT_CHUNK = max(PngImagePlugin.MAX_TEXT_CHUNK, PngImagePlugin.MAX_TEXT_MEMORY)


@functools.cache
def readable() -> tuple[str, ...]:
    """:data:`READABLE`'s formats that this Pillow has (``Image.open`` refuses a name it lacks)."""
    from PIL import Image

    _read_heif_too()  # (HEIF and AVIF: pillow-heif's)
    Image.init()
    return tuple(f for f in READABLE if f in Image.OPEN)


def extensions() -> tuple[str, ...]:
    """The file names' endings of :func:`readable`'s formats (".png", ".jpg", ".ppm", ".avif"…): what the
    Probe's file dialog offers (it listed ten, and hid the other formats' files it reads)."""
    from PIL import Image

    formats = set(readable())
    return tuple(sorted(ext for ext, fmt in Image.registered_extensions().items() if fmt in formats))
