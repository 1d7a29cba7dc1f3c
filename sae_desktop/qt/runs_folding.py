"""The Runs table's columns that hold one value for every run give way where the table would
scroll sideways: folded into a line above it ("Every run: mnist · 32 latents · 10 epochs"), and
shown again where there is room, or once a run differs. Where that is not enough, the headers of
two words go on two lines ("Mean" over "act."): HeaderBreaks; and then the columns whose values follow
from others' ("Alive" is 1 − Dead ÷ latents), then those needed least, give way: DerivedColumns.

At 1280×720 in presentation mode the table scrolled sideways: a sweep's runs share their dataset,
size and epochs, which took 250 px of columns repeating one value, while Test MSE, L0 and Dead
were cut off. A column folded this way is not hidden by the user (the header's menu says so), and
never remembered as hidden.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTableWidget

FOLDABLE = ("Dataset", "Latents", "Epochs", "Penalty", "Status")  # folded in this order, shown again in reverse
PHRASES = {"Dataset": "{}", "Latents": "{} latent", "Epochs": "{} epoch", "Penalty": "{} penalty", "Status": "{}"}
SPARE_PX = 8  # a folded column comes back only with this much room to spare (no folding back and forth)


class ColumnFolding:
    def __init__(self, table: QTableWidget, columns: tuple[str, ...]):
        self.table, self.columns = table, columns
        self.folded: dict[str, tuple[str, int]] = {}  # name: (the value every run has, its width shown)

    def value(self, name: str) -> str | None:
        """The one text every run has in this column (one run's too), else None."""
        column, table = self.columns.index(name), self.table
        texts = {item.text() for row in range(table.rowCount()) if (item := table.item(row, column)) is not None}
        return next(iter(texts)) if table.rowCount() >= 1 and len(texts) == 1 and "" not in texts else None

    def fit(self, overflow: int) -> bool:
        """``overflow``: the px the columns need beyond the table's width (negative: to spare).
        Folds one-value columns until they fit, or shows folded ones again where they fit; True
        if any column came or went (the widths are then to be fitted again)."""
        changed = False
        for name, (value, width) in list(self.folded.items()):
            if self.value(name) != value:  # a run with another value (or no run): shown again
                self._show(name)
                overflow += width
                changed = True
        if overflow > 0:
            header = self.table.horizontalHeader()
            for name in FOLDABLE:
                column = self.columns.index(name)
                if overflow <= 0 or name in self.folded or self.table.isColumnHidden(column):
                    continue
                value = self.value(name)
                if value is not None:
                    self.folded[name] = (value, header.sectionSize(column))
                    overflow -= header.sectionSize(column)
                    self.table.setColumnHidden(column, True)
                    changed = True
        else:
            for name in reversed(list(self.folded)):
                width = self.folded[name][1]
                if width + SPARE_PX > -overflow:
                    break
                self._show(name)
                overflow += width
                changed = True
        return changed

    def forget(self, name: str) -> None:
        """The user hides or shows this column: it is theirs, no longer folded."""
        self.folded.pop(name, None)

    def _show(self, name: str) -> None:
        del self.folded[name]
        self.table.setColumnHidden(self.columns.index(name), False)

    def text(self) -> str:
        """The line above the table: what every run shares, in the table's column order, in few
        words ("Every run: mnist · 32 latents · 10 epochs"; "Dataset mnist · Latents 32 · Epochs
        10 · Status completed (columns folded to fit)" was cut at 1280 px)."""
        shared = self.shared()  # (one run's too: alone at 1024×768 beside the panel, it scrolled sideways)
        return f"{self._who()}: {shared}" if shared else ""

    def shorter(self) -> tuple[str, ...]:
        """The line's shorter forms, where it is cut: without its last values, "…" in their place (at 1024×768
        in presentation mode "Every run: mnist · 32 latents · 10 epoc…")."""
        words = self._phrases()
        return tuple(f"{self._who()}: {' · '.join(words[:n])} …" for n in range(len(words) - 1, 0, -1))

    def _who(self) -> str:
        return "Every run" if self.table.rowCount() > 1 else "The run"

    def shared(self) -> str:
        return " · ".join(self._phrases())

    def _phrases(self) -> list[str]:
        return [phrase(name, self.folded[name][0]) for name in self.columns if name in self.folded]


class HeaderBreaks:
    """Second to give way, after the folding: the headers of two words or more on two lines ("Test
    MSE", "Mean act.", "Time (s)" are wider than their figures). At 1024×768 in presentation mode,
    with every one-value column folded, Mean act. and Time were still cut behind a sideways scroll.
    The header is a line taller, so the headers are broken only where the table would scroll."""

    def __init__(self, table: QTableWidget, columns: tuple[str, ...]):
        self.table, self.columns = table, columns
        self.broken = False

    def breakable(self) -> list[int]:
        return [c for c, name in enumerate(self.columns) if " " in name and not self.table.isColumnHidden(c)]

    def gain(self) -> int:
        """The px the broken headers save: each column as wide as its header on one line would need
        (where that is wider than its figures), less its width now."""
        header, metrics = self.table.horizontalHeader(), self.table.horizontalHeader().fontMetrics()
        saved = 0
        for column in self.breakable():
            name = self.columns[column]
            longer = metrics.horizontalAdvance(name) - max(metrics.horizontalAdvance(w) for w in name.split(" "))
            width = header.sectionSize(column)
            saved += max(width, header.sectionSizeFromContents(column).width() + longer) - width
        return saved

    def fit(self, overflow: int) -> bool:
        """``overflow`` as ColumnFolding.fit's, once no column is left to fold: the headers broken
        where the table would scroll, whole again where their room is back. True if they changed."""
        if not self.broken and overflow > 0 and self.breakable():
            self._set(True)
            return True
        if self.broken and overflow + self.gain() + SPARE_PX < 0:
            self._set(False)
            return True
        return False

    def _set(self, broken: bool) -> None:
        self.broken = broken
        for column, name in enumerate(self.columns):
            if " " in name:  # (hidden ones too: shown again, they match the rest)
                self.table.horizontalHeaderItem(column).setText(name.replace(" ", "\n") if broken else name)


def phrase(column: str, value: str) -> str:
    """A folded column's value in words: "32 latents", "1 epoch", "mnist"."""
    words = PHRASES[column].format(value)
    return words + "s" if words.endswith((" latent", " epoch")) and value != "1" else words


# third to give way, in this order: the columns whose values follow from others' (FVU only where every run
# has one dataset, one variance), then those a lecture needs least ("" : no formula to give)
GIVING_WAY = {"Alive": "= 1 − Dead ÷ latents", "FVU": "= Test MSE ÷ the test images' variance",
           "Mean act.": "", "Time (s)": ""}


def hidden_label(name: str) -> str:
    """A column hidden to fit, as the headers' menu names it."""
    return f"{name} ({GIVING_WAY[name]}: hidden to fit)" if GIVING_WAY[name] else f"{name} (hidden to fit)"


class DerivedColumns:
    """Third to give way, after the folding and the broken headers: a column whose values follow
    from others', then one a lecture needs least (:data:`GIVING_WAY`), hidden where the table would
    still scroll sideways (while a run trained, its Status column in view, the last column was cut at
    1280 px: Time read "31." for 31.7 s; at 1024×768 beside the training panel, five runs of two
    penalties, Mean act. read "0.075" for 0.0752, Time out of view), and shown again, the last hidden
    first, where there is room."""

    def __init__(self, table: QTableWidget, columns: tuple[str, ...]):
        self.table, self.columns = table, columns
        self.hidden: dict[str, int] = {}  # name: its width shown
        self.theirs: set[str] = set()  # shown or hidden by the user since: never hidden to fit again

    def _derivable(self, name: str) -> bool:
        if name != "FVU":
            return True
        column = self.columns.index("Dataset")  # (each dataset's own variance)
        return len({item.text() for row in range(self.table.rowCount())
                    if (item := self.table.item(row, column)) is not None}) <= 1

    def fit(self, overflow: int) -> bool:
        """``overflow`` as ColumnFolding.fit's: a derived column hidden where the table would scroll,
        shown again where it fits. True if one came or went."""
        for name in [name for name in self.hidden if not self._derivable(name)]:  # (a run of another dataset)
            del self.hidden[name]
            self.table.setColumnHidden(self.columns.index(name), False)
            return True
        if overflow > 0:
            for name in GIVING_WAY:
                column = self.columns.index(name)
                if name not in self.hidden and name not in self.theirs and not self.table.isColumnHidden(column) \
                        and self._derivable(name):
                    self.hidden[name] = self.table.horizontalHeader().sectionSize(column)
                    self.table.setColumnHidden(column, True)
                    return True
            return False
        last = next((name for name in reversed(GIVING_WAY) if name in self.hidden), None)  # the last to give way
        if last is not None and self.hidden[last] + SPARE_PX <= -overflow:  # comes back first (FVU, narrower,
            del self.hidden[last]  # came back before Mean act., wider, and went again in another order)
            self.table.setColumnHidden(self.columns.index(last), False)
            return True
        return False

    def forget(self, name: str) -> None:
        """The user hides or shows this column: it is theirs."""
        self.hidden.pop(name, None)
        if name in GIVING_WAY:
            self.theirs.add(name)

    def text(self, short: bool = False) -> str:
        """What the line above the table adds: the columns hidden to fit ("" for none); ``short``,
        only how many ("3 columns hidden to fit")."""
        if not self.hidden:
            return ""
        names = ", ".join(n for n in self.columns if n in self.hidden)
        return f"{len(self.hidden)} column{'s' if len(self.hidden) > 1 else ''} hidden to fit" if short \
            else f"{names} hidden to fit"
