"""Text for Qt's rich-text labels and tooltips: ρ̂ drawn right, long words given places to wrap,
plain lines as paragraphs (strings only, no widgets)."""

from __future__ import annotations

import html
import re

# ρ̂ in rich text. DejaVu Sans, Debian's default sans, misplaces U+0302 in Qt (6.11): after ρ it was not
# drawn ("Mean activation (ρ̂)" read "(ρ)", the target's symbol), in a paragraph it landed on letters
# before it ("MSEˆ (mean sqûared …"); the serif draws it over its ρ
RHO_HAT = '<span style="font-family: serif">ρ\u0302</span>'


def with_hats(rich_text: str) -> str:
    """``rich_text`` with each ρ̂ as :data:`RHO_HAT`."""
    return rich_text.replace("ρ\u0302", RHO_HAT)


def breakable_words(text: str, most: int = 24) -> str:
    """``text`` with its words of over ``most`` characters (a phone's file name,
    "PXL_20261204_101500123_PORTRAIT_ORIGINAL.jpg") given places to wrap: after each "_", "-"
    or ".", and every ``most`` characters where there is none (a word-wrapped label cut such a
    name at its edge, without an ellipsis)."""
    def breaks(word: re.Match) -> str:
        pieces = re.sub(r"(?<=[_.-])(?=.)", "\u200b", word.group()).split("\u200b")
        return "\u200b".join("\u200b".join(p[i:i + most] for i in range(0, len(p), most)) for p in pieces)
    return re.sub(rf"\S{{{most + 1},}}", breaks, text)


def tooltip_paragraphs(lines) -> str:
    """Plain ``lines`` as a rich-text tooltip, one paragraph each: Qt wraps rich text (a plain
    tooltip of a verdict with its glossary ran 1100 px wide)."""
    return "".join(f"<p>{html.escape(line)}</p>" for line in lines)
