"""The Atlas as a PNG: its mosaic as shown (kind and order), its frames and numbers, a key of what
the colours and frames mean and the window's words about it under it (File ▸ Export ▸ Atlas)."""

from __future__ import annotations

from pathlib import Path

ATLAS_SCALE = 4  # screen pixels per model pixel in an exported atlas


def export_atlas(atlas, path: str | Path) -> Path:
    """The atlas mosaic as shown (kind and order), each model pixel 4×4, with its frames: dead and
    over-active latents framed as on screen (without them, 212 dead latents' noise of a TopK run
    read as features), and a key under it."""
    from PIL import ImageDraw

    from sae_desktop.exports import diverging_image
    from sae_desktop.atlas import tile_origin
    from sae_desktop.qt.atlas_mosaic import PAD, TILE
    from sae_desktop.qt.plot_style import COLORS

    if atlas.up_to_date().mosaic_image is None:
        raise ValueError("there is no model to draw an atlas of")
    k = ATLAS_SCALE
    image = diverging_image(atlas.mosaic_image, 1.0, k)
    draw = ImageDraw.Draw(image)
    for key, colour in (("dead", COLORS["dead"]), ("over", COLORS["clamped"])):
        for position in atlas.framed[key]:  # in the gap around the tile (one model pixel of its two)
            x0, y0 = ((v - 1) * k for v in tile_origin(position, atlas.columns, TILE, PAD))
            draw.rectangle((x0, y0, x0 + (TILE + 2) * k - 1, y0 + (TILE + 2) * k - 1), outline=colour, width=k - 1)
    font = key_font(KEY_PX - 2)  # each tile's latent, in its corner, as on screen (a slide's "latent 12")
    for position, latent in enumerate(atlas.order):
        x0, y0 = (v * k + 2 for v in tile_origin(position, atlas.columns, TILE, PAD))
        text = str(int(latent))
        draw.rectangle((x0, y0, x0 + round(font.getlength(text)) + 6, y0 + KEY_PX + 2), fill=(255, 255, 255))
        draw.text((x0 + 3, y0 + (KEY_PX + 2) // 2), text, fill=(32, 32, 32), font=font, anchor="lm")
    from PIL.PngImagePlugin import PngInfo

    about = atlas_caption(atlas)
    info = PngInfo()  # (the words in the file too, for a slide deck's or a viewer's "properties")
    info.add_text("Title", f"Atlas: {about[0]}")
    info.add_text("Description", "\n".join(about))
    _with_key(image, atlas, about).save(path, pnginfo=info if str(path).lower().endswith(".png") else None)
    return Path(path)


def atlas_caption(atlas) -> list[str]:
    """What the exported atlas shows, in the window's words: the model and its latents' counts
    (the atlas's status line), and the kind of tile and their order (a file held the tiles and
    the key only: no model, no decoder or encoder)."""
    # (the summary, not the status line: that says what the window's histogram leaves out, and the
    # no-break characters that keep it together on screen are not spaces to wrap the file's lines at)
    return [atlas.summary, f"{atlas.kind.currentText()}; {atlas.sort.currentText().lower()}"]


KEY_PX = 14  # the exported atlas's key: its text's size, px
# its font: one that has more than ASCII where the system has it (Pillow's own drew a box for "ü", "七"
# or "ρ" in a model's name), else Pillow's
KEY_FONTS = ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "LiberationSans-Regular.ttf", "Arial.ttf", "arial.ttf")


def key_font(size: int):
    from PIL import ImageFont

    for name in KEY_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _with_key(image, atlas, caption: list[str]):
    """``image`` (the atlas's PIL image) with a band under it saying what its colours and frames
    mean, as the window's legend does (a slide of the atlas left its red and orange frames, and
    its red and blue, unexplained), and then the ``caption``'s lines, wrapped."""
    from PIL import Image, ImageDraw

    from sae_desktop.atlas import OVER_ACTIVE_DENSITY
    from sae_desktop.colour import BLUE, RED
    from sae_desktop.qt.plot_style import COLORS

    decoder = atlas.kind.currentIndex() == 0
    entries = [(tuple(RED), "adds ink" if decoder else "ink here raises it"),
               (tuple(BLUE), "removes ink" if decoder else "ink here lowers it"),
               (COLORS["dead"], "frame: dead (never active on the test set; faded)"),
               (COLORS["clamped"], f"frame: over-active (> {OVER_ACTIVE_DENSITY:.0%} of digits)")]
    font = key_font(KEY_PX)
    line, gap = round(KEY_PX * 1.6), KEY_PX
    places, x, y = [], gap, gap // 2  # each entry where it fits, on as many lines as it takes
    for colour, words in entries:
        width = KEY_PX + gap // 2 + round(font.getlength(words))
        if x > gap and x + width > image.width - gap:
            x, y = gap, y + line
        places.append((x, y, colour, words))
        x += width + 2 * gap
    for text in caption:  # each line wrapped at spaces to the image's width
        y, words = y + line, ""
        for word in text.split(" "):
            if words and font.getlength(f"{words} {word}") > image.width - 2 * gap:
                places.append((gap, y, None, words))
                y, words = y + line, word
            else:
                words = f"{words} {word}" if words else word
        places.append((gap, y, None, words))
    out = Image.new("RGB", (image.width, image.height + y + line), image.getpixel((0, 0)))
    out.paste(image, (0, 0))
    draw = ImageDraw.Draw(out)
    for x, y, colour, words in places:
        top = image.height + y + (line - KEY_PX) // 2
        if colour is None:  # a caption's line
            draw.text((x, top + KEY_PX // 2), words, fill=(64, 64, 64), font=font, anchor="lm")
            continue
        framed = words.startswith("frame")  # (a frame's swatch drawn as a frame)
        draw.rectangle((x, top, x + KEY_PX - 1, top + KEY_PX - 1), fill=None if framed else colour, outline=colour,
                       width=3 if framed else 1)
        draw.text((x + KEY_PX + gap // 2, top + KEY_PX // 2), words, fill=(64, 64, 64), font=font, anchor="lm")
    return out
