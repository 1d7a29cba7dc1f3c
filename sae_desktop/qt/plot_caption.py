"""A line above an exported plot saying whose it is (the run's or model's name), in the PNG's
pixels or as the SVG's text: a slide of two runs' loss curves could be told apart only by the
files' names, which a slide loses."""

from __future__ import annotations

from PySide6.QtCore import Qt


CAPTION_INK = "#737373"  # a mid grey: quieter than the plot's own text, on a light plot and a dark one


def _caption_size(font, scale: float) -> tuple[int, int]:
    """(pixel size of the caption's font, the band's height) at ``scale`` times the screen's."""
    from PySide6.QtGui import QFontInfo

    px = max(9, round(QFontInfo(font).pixelSize() * 0.9 * scale))
    return px, round(px * 1.8)


def captioned(image, caption: str, font):
    """``image`` (a QImage) with a band above it holding ``caption``, in the plot's background."""
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    scale = 2.0  # (the PNG is 2× the screen's size)
    px, band = _caption_size(font, scale)
    out = QImage(image.width(), image.height() + band, QImage.Format.Format_ARGB32)
    background = image.pixelColor(1, 1)
    out.fill(background)
    text = QFont(font)
    text.setPixelSize(px)
    painter = QPainter(out)
    painter.drawImage(0, band, image)
    painter.setFont(text)
    painter.setPen(QColor(CAPTION_INK))
    painter.drawText(round(px * 0.8), 0, out.width() - round(px * 1.6), band,
                     int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), caption)
    painter.end()
    return out


def _fills_all(node) -> bool:
    """The plot's background (pyqtgraph's ``<rect width="100%" height="100%">``): it stays whole."""
    size = (node.getAttribute("width"), node.getAttribute("height")) if getattr(node, "tagName", "") == "rect" else ()
    return size == ("100%", "100%")


def svg_caption(doc, caption: str, font) -> None:
    """``caption`` in a band above the plot of the SVG document ``doc`` (a minidom Document)."""
    root = doc.documentElement
    px, band = _caption_size(font, 1.0)
    width, height = (float(str(root.getAttribute(k)).removesuffix("px") or 0) for k in ("width", "height"))
    group = doc.createElement("g")
    group.setAttribute("transform", f"translate(0,{band})")
    for child in list(root.childNodes):
        if getattr(child, "tagName", "") not in ("title", "desc", "defs", "style") and not _fills_all(child):
            group.appendChild(child)  # (moved: the plot goes down by the band; its background stays, the band's)
    root.appendChild(group)
    text = doc.createElement("text")
    # (as pyqtgraph writes its own text: ImageMagick drew "dominant-baseline" and "11px" as a smudge)
    for key, value in (("x", str(round(px * 0.8))), ("y", f"{band / 2 + px * 0.35:.1f}"), ("stroke", "none"),
                       ("font-family", font.family()), ("font-size", str(px)), ("fill", CAPTION_INK)):
        text.setAttribute(key, value)
    text.appendChild(doc.createTextNode(caption))
    root.appendChild(text)
    if height:
        root.setAttribute("height", f"{height + band:g}px")
    if root.hasAttribute("viewBox"):
        x, y, w, h = (float(v) for v in root.getAttribute("viewBox").replace(",", " ").split())
        root.setAttribute("viewBox", f"{x:g} {y:g} {w:g} {h + band:g}")
    elif width and height:
        root.setAttribute("viewBox", f"0 0 {width:g} {height + band:g}")
