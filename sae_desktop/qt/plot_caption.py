"""A line above an exported plot saying whose it is (the run's or model's name), in the PNG's
pixels or as the SVG's text: a slide of two runs' loss curves could be told apart only by the
files' names, which a slide loses."""

from __future__ import annotations

from PySide6.QtCore import Qt


CAPTION_INK = "#737373"  # a mid grey: quieter than the plot's own text, on a light plot and a dark one


LINE = 1.25  # a caption's line height, in its font's pixel size
BAND = 1.8  # the band's height for one line (its margins: half a line more)


def _caption_size(font, scale: float) -> tuple[int, int]:
    """(pixel size of the caption's font, the band's height for one line) at ``scale`` times the screen's."""
    from PySide6.QtGui import QFontInfo

    px = max(9, round(QFontInfo(font).pixelSize() * 0.9 * scale))
    return px, round(px * BAND)


def caption_lines(caption: str, font, px: int, width: float) -> list[str]:
    """``caption`` broken into lines no wider than ``width`` px in ``font`` at ``px`` pixels: at its
    spaces, and inside a word only where one word alone is wider (a plot 322 px wide cut its
    caption after "(2 epo", the rest off the image's edge)."""
    from PySide6.QtGui import QFont, QTextLayout, QTextOption

    text = QFont(font)
    text.setPixelSize(px)
    layout = QTextLayout(caption, text)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    lines = []
    layout.beginLayout()
    while (line := layout.createLine()).isValid():
        line.setLineWidth(max(1.0, width))
        lines.append(caption[line.textStart():line.textStart() + line.textLength()].strip())
    layout.endLayout()
    return [line for line in lines if line] or [caption]


def _band(px: int, lines: int) -> int:
    return round(px * (BAND + LINE * (lines - 1)))


def captioned(image, caption: str, font):
    """``image`` (a QImage) with a band above it holding ``caption`` (on as many lines as its
    width needs), in the plot's background."""
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    scale = 2.0  # (the PNG is 2× the screen's size)
    px, _ = _caption_size(font, scale)
    margin = round(px * 0.8)
    lines = caption_lines(caption, font, px, image.width() - 2 * margin)
    band = _band(px, len(lines))
    out = QImage(image.width(), image.height() + band, QImage.Format.Format_ARGB32)
    background = image.pixelColor(1, 1)
    out.fill(background)
    text = QFont(font)
    text.setPixelSize(px)
    painter = QPainter(out)
    painter.drawImage(0, band, image)
    painter.setFont(text)
    painter.setPen(QColor(CAPTION_INK))
    top = round(px * (BAND - LINE) / 2)
    for i, line in enumerate(lines):
        painter.drawText(margin, top + round(i * px * LINE), out.width() - 2 * margin, round(px * LINE),
                         int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), line)
    painter.end()
    return out


def _fills_all(node) -> bool:
    """The plot's background (pyqtgraph's ``<rect width="100%" height="100%">``): it stays whole."""
    size = (node.getAttribute("width"), node.getAttribute("height")) if getattr(node, "tagName", "") == "rect" else ()
    return size == ("100%", "100%")


def svg_caption(doc, caption: str, font) -> None:
    """``caption`` in a band above the plot of the SVG document ``doc`` (a minidom Document)."""
    root = doc.documentElement
    px, _ = _caption_size(font, 1.0)
    width, height = (float(str(root.getAttribute(k)).removesuffix("px") or 0) for k in ("width", "height"))
    if not width and root.hasAttribute("viewBox"):
        width = float(root.getAttribute("viewBox").replace(",", " ").split()[2])
    margin = round(px * 0.8)
    lines = caption_lines(caption, font, px, width - 2 * margin) if width else [caption]
    band = _band(px, len(lines))
    group = doc.createElement("g")
    group.setAttribute("transform", f"translate(0,{band})")
    for child in list(root.childNodes):
        if getattr(child, "tagName", "") not in ("title", "desc", "defs", "style") and not _fills_all(child):
            group.appendChild(child)  # (moved: the plot goes down by the band; its background stays, the band's)
    root.appendChild(group)
    for i, line in enumerate(lines):  # (the first baseline where one line's is: in the band's middle)
        text = doc.createElement("text")
        # (as pyqtgraph writes its own text: ImageMagick drew "dominant-baseline" and "11px" as a smudge)
        for key, value in (("x", str(margin)), ("y", f"{px * (BAND / 2 + 0.35 + i * LINE):.1f}"),
                           ("stroke", "none"), ("font-family", font.family()), ("font-size", str(px)),
                           ("fill", CAPTION_INK)):
            text.setAttribute(key, value)
        text.appendChild(doc.createTextNode(line))
        root.appendChild(text)
    if height:
        root.setAttribute("height", f"{height + band:g}px")
    if root.hasAttribute("viewBox"):
        x, y, w, h = (float(v) for v in root.getAttribute("viewBox").replace(",", " ").split())
        root.setAttribute("viewBox", f"{x:g} {y:g} {w:g} {h + band:g}")
    elif width and height:
        root.setAttribute("viewBox", f"0 0 {width:g} {height + band:g}")
