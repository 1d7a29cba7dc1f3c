"""The Runs tab's table: columns a user hides (remembered), and a height that shows its runs."""

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView

from sae_desktop.config import TrainConfig
from sae_desktop.engine import train
from sae_desktop.qt.runs_table import COLUMNS, RunsTable
from sae_desktop.qt.runs_layout import TABLE_ROWS, TABLE_SHARE
from sae_desktop.runs import RunFolder, recorded

TINY = TrainConfig(epochs=1, batch_size=64, d_hidden=16, d_latent=8, device="cpu")


def make_runs(dataset, n: int) -> None:
    for i in range(n):
        cfg = TINY.replace(seed=i)
        list(recorded(train(cfg, dataset), RunFolder.create(cfg)))


def runs_tab_at_1024(qtbot, window, dataset, n: int):
    """``n`` runs, listed in the Runs tab of a 1024×768 window: (the tab, its table)."""
    make_runs(dataset, n)
    runs, table = window.runs_view, window.runs_view.table
    window.showNormal()
    window.resize(1024, 768)
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == n, timeout=5000)
    return runs, table


def visible_width(table) -> int:
    header = table.horizontalHeader()
    return sum(header.sectionSize(c) for c in range(len(COLUMNS)) if not table.isColumnHidden(c))


def test_columns_are_hidden_from_the_headers_menu_and_stay_hidden_at_the_next_launch(qtbot, gui_window,
                                                                                    tiny_dataset):
    make_runs(tiny_dataset, 1)
    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    table = runs.table
    menu = table.columns_menu()
    names = [a.text() for a in menu.actions() if a.isCheckable()]
    assert names == [c for c in COLUMNS if c != "Run"]  # the run's name always stays
    every = next(a for a in menu.actions() if a.text() == "Show all columns")
    assert not every.isEnabled()  # nothing to show yet
    for action in menu.actions():
        if action.text() in ("Dataset", "Alive"):
            action.trigger()  # unchecks it
    assert table.hidden_columns() == ["Dataset", "Alive"]
    assert table.isColumnHidden(COLUMNS.index("Alive")) and not table.isColumnHidden(COLUMNS.index("Dead"))

    again = RunsTable()  # the next launch's table
    qtbot.addWidget(again)
    assert again.hidden_columns() == ["Dataset", "Alive"]
    menu = again.columns_menu()
    assert not next(a for a in menu.actions() if a.text() == "Dataset").isChecked()
    next(a for a in menu.actions() if a.text() == "Show all columns").trigger()
    assert again.hidden_columns() == [] and RunsTable().hidden_columns() == []


def test_a_hidden_columns_room_goes_to_the_names(qtbot, gui_window, tiny_dataset):
    make_runs(tiny_dataset, 1)
    runs = gui_window.runs_view
    gui_window.resize(1440, 900)
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    table = runs.table
    header = table.horizontalHeader()
    run_column = COLUMNS.index("Run")
    qtbot.wait(20)
    before = header.sectionSize(run_column)
    table.show_column("Settings", False)  # the names take the whole of the room left
    qtbot.waitUntil(lambda: header.sectionResizeMode(run_column) == QHeaderView.ResizeMode.Stretch, timeout=2000)
    qtbot.wait(20)
    assert header.sectionSize(run_column) > before
    assert visible_width(table) == table.viewport().width()  # no gap at the right, no sideways scroll
    table.show_column("Settings")  # and back as it was
    qtbot.waitUntil(lambda: header.sectionResizeMode(run_column) == QHeaderView.ResizeMode.Interactive,
                    timeout=2000)
    qtbot.wait(20)
    assert header.sectionSize(run_column) == pytest.approx(before, abs=2)


def test_the_table_is_as_tall_as_its_runs_up_to_a_share_of_the_tab(qtbot, gui_window, tiny_dataset, monkeypatch):
    """At 1280×720 in presentation mode the table showed 2.7 of 11 runs above a tall frontier."""
    monkeypatch.setattr("sae_desktop.qt.runs_folding.FOLDABLE", ())  # (a sideways scroll bar is wanted below)
    monkeypatch.setattr("sae_desktop.qt.runs_folding.HeaderBreaks.fit", lambda self, overflow: False)
    runs = gui_window.runs_view
    gui_window.resize(1440, 900)
    make_runs(tiny_dataset, 2)
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    row = runs.table.verticalHeader().defaultSectionSize()
    qtbot.waitUntil(lambda: runs.table.viewport().height() >= 2 * row, timeout=2000)
    qtbot.wait(50)
    assert runs.table.viewport().height() < 3 * row  # two runs: the frontier has the rest
    two_runs_frontier = runs.bottom.height()

    make_runs(tiny_dataset, TABLE_ROWS + 1)
    runs.refresh()
    qtbot.waitUntil(lambda: runs.table.rowCount() == TABLE_ROWS + 3, timeout=5000)
    qtbot.waitUntil(lambda: runs.table.viewport().height() >= TABLE_ROWS * row, timeout=2000)
    assert runs.bottom.height() < two_runs_frontier
    assert runs.holder.height() <= TABLE_SHARE * sum(runs.body.sizes()) + 1

    gui_window.resize(1280, 600)  # too low for six rows: the table takes its share, no more, in whole rows
    qtbot.waitUntil(lambda: runs.holder.height() < TABLE_SHARE * sum(runs.body.sizes()) + 2
                    and runs.table.viewport().height() < TABLE_ROWS * row, timeout=2000)
    qtbot.waitUntil(lambda: runs.table.viewport().height() % row == 0, timeout=2000)  # (half a row was cut)

    gui_window.resize(1280, 900)  # with the training panel, not every column fits: a sideways scroll bar
    bar = runs.table.horizontalScrollBar()
    qtbot.waitUntil(lambda: bar.isVisible() and runs.table.viewport().height() == TABLE_ROWS * row, timeout=2000)
    hidden = [name for name in COLUMNS[1:] if name != "Settings"]
    for name in hidden:  # the scroll bar goes: no strip of a seventh row
        runs.table.show_column(name, False)
    qtbot.waitUntil(lambda: not bar.isVisible(), timeout=2000)
    qtbot.waitUntil(lambda: runs.table.viewport().height() == TABLE_ROWS * row, timeout=2000)
    for name in hidden:  # and comes back: it does not cover half of the sixth
        runs.table.show_column(name)
    qtbot.waitUntil(lambda: bar.isVisible(), timeout=2000)
    qtbot.waitUntil(lambda: runs.table.viewport().height() == TABLE_ROWS * row, timeout=2000)

    runs.body.moveSplitter(120, 1)  # a height the user chose is kept
    runs.body.splitterMoved.emit(120, 1)
    dragged = runs.body.sizes()
    make_runs(tiny_dataset, 1)  # even with more runs
    runs.refresh()
    qtbot.waitUntil(lambda: runs.table.rowCount() == TABLE_ROWS + 4, timeout=5000)
    qtbot.wait(50)
    assert runs.body.sizes() == dragged


def test_the_selection_is_kept_when_the_table_is_filled_anew(qtbot, gui_window, tiny_dataset):
    """A run that ended refilled the table: the two runs compared lost their selection and the
    frontier its glow, beside a comparison of them."""
    from PySide6.QtCore import QItemSelectionModel

    make_runs(tiny_dataset, 3)
    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 3, timeout=5000)
    table = runs.table
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 2):
        table.selectionModel().select(table.model().index(row, 0), flags)
    chosen = sorted(str(run.folder) for run in runs.selected_runs())
    make_runs(tiny_dataset, 1)  # a new run: new rows
    runs.refresh()
    qtbot.waitUntil(lambda: table.rowCount() == 4, timeout=5000)
    assert sorted(str(run.folder) for run in runs.selected_runs()) == chosen
    assert len(runs.frontier.selected_marks.getData()[0]) == 2 and runs.compare_button.isEnabled()


def test_columns_of_one_value_fold_above_the_table_where_it_would_scroll_sideways(qtbot, gui_window, tiny_dataset):
    """At 1280×720 in presentation mode the table scrolled sideways while Dataset, Latents, Epochs,
    Penalty and Status repeated one value on every row: they give way to a line above the table,
    and come back with room, or once a run differs."""
    from sae_desktop.qt.runs_table import HIDDEN_SETTING
    from sae_desktop.qt.settings import app_settings

    make_runs(tiny_dataset, 3)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=5000)
    gui_window.resize(1440, 900)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=3000)
    qtbot.wait(50)
    assert table.folding.folded == {} and runs.hint.text() == ""  # room for every column
    assert not runs.hint.isVisible()  # (nothing to say: no empty row above the table)
    font = table.font()
    font.setPointSize(font.pointSize() + 5)  # presentation mode's larger text: the columns no longer fit
    table.setFont(font)
    qtbot.waitUntil(lambda: bool(table.folding.folded) and table.horizontalScrollBar().maximum() == 0, timeout=3000)
    folded = list(table.folding.folded)
    assert folded == ["Dataset", "Latents", "Epochs", "Penalty", "Status"][:len(folded)]
    assert all(table.isColumnHidden(COLUMNS.index(name)) for name in folded)
    assert runs.hint.text().startswith("Every run: mnist · ") and "folded" in runs.hint.toolTip()
    assert " · 8 latents · 1 epoch" in runs.hint.text()  # in the columns' order, in words
    assert table.hidden_columns() == [] and not app_settings().value(HIDDEN_SETTING)  # not the user's choice
    menu = table.columns_menu()
    assert next(a for a in menu.actions() if a.text().startswith("Dataset")).isChecked()
    other = TINY.replace(d_latent=6)  # a run of another size: its column is back, the rest stay folded
    list(recorded(train(other, tiny_dataset), RunFolder.create(other)))
    runs.refresh()
    qtbot.waitUntil(lambda: table.rowCount() == 4 and "Latents" not in table.folding.folded, timeout=5000)
    assert not table.isColumnHidden(COLUMNS.index("Latents")) and "Dataset" in table.folding.folded
    assert "latents" not in runs.hint.text()
    started = RunFolder.create(TINY)  # a run whose first epoch has not ended: no figures, blank cells
    started.write_config(TINY, device="cpu")
    runs.refresh()
    qtbot.waitUntil(lambda: table.rowCount() == 5 and "Epochs" not in table.folding.folded, timeout=5000)
    assert "epoch" not in runs.hint.text()  # ("Every run: … 1 epoch" beside a run with none)
    table.setFont(gui_window.font())
    gui_window.resize(1600, 900)  # room again: every column back
    qtbot.waitUntil(lambda: table.folding.folded == {} and runs.hint.text() == "", timeout=3000)
    assert not any(table.isColumnHidden(c) for c in range(len(COLUMNS)))


def test_the_runs_table_has_no_row_numbers(qtbot, gui_window, tiny_dataset):
    """Qt's row numbers follow the sort, so they named nothing, and took 20-30 px of a table that
    scrolled sideways at 1024×768 in presentation mode."""
    make_runs(tiny_dataset, 2)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5000)
    assert not table.verticalHeader().isVisible() and table.viewport().x() <= table.frameWidth()


def test_two_word_headers_break_where_folding_is_not_enough(qtbot, gui_window, tiny_dataset):
    """At 1024×768 in presentation mode, with every one-value column folded, Mean act. and Time
    were still cut behind a sideways scroll: "Test MSE", "Mean act." and "Time (s)" go on two
    lines there, and back on one with room."""
    make_runs(tiny_dataset, 8)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 8, timeout=5000)
    header, mean = table.horizontalHeader(), COLUMNS.index("Mean act.")
    font = table.font()
    font.setPointSize(font.pointSize() + 5)  # presentation mode's larger text
    table.setFont(font)
    gui_window.resize(1440, 900)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=3000)
    qtbot.wait(50)
    assert header.model().headerData(mean, header.orientation()) == "Mean act."  # room: one line
    one_line = header.height()
    narrow = 1440
    while narrow > 600 and not table.breaks.broken:  # narrower until folding is not enough
        narrow -= 40
        gui_window.resize(narrow, 900)
        qtbot.wait(30)
    qtbot.waitUntil(lambda: table.breaks.broken and table.horizontalScrollBar().maximum() == 0, timeout=3000)
    assert set(table.folding.folded) >= {"Dataset", "Latents", "Epochs", "Status"}  # folding came first
    assert header.model().headerData(mean, header.orientation()) == "Mean\nact."
    assert header.height() > one_line and not table.isColumnHidden(COLUMNS.index("Time (s)"))
    row = table.verticalHeader().defaultSectionSize()  # the taller header taken from the rows' room, not cut into them
    qtbot.waitUntil(lambda: table.viewport().height() % row == 0, timeout=2000)
    assert runs.hint.shown_text().endswith(table.folding.shared())  # whole, in a shorter form if need be
    shared = table.folding.shared()  # (narrower: whole values, not "Every run: mnist · 8 la…")
    for form in (f"Every run: {shared.rsplit(' · ', 1)[0]} …", f"Every run: {shared.split(' · ', 1)[0]} …"):
        runs.hint.setFixedWidth(runs.hint.fontMetrics().horizontalAdvance(form) + 4)
        assert runs.hint.shown_text() == form
    runs.hint.setMinimumWidth(0)
    runs.hint.setMaximumWidth(16777215)
    gui_window.resize(1440, 900)  # room again: one line, then the folded columns back
    qtbot.waitUntil(lambda: not table.breaks.broken and header.height() == one_line, timeout=3000)
    assert header.model().headerData(mean, header.orientation()) == "Mean act."


def test_alive_gives_way_last_where_the_table_would_still_scroll(qtbot, gui_window, tiny_dataset):
    """While a run trained, its Status column in view, the last column was cut at the table's
    edge: Time read "31." for 31.7 s. After folding and the broken headers, Alive (1 − Dead ÷
    latents) gives way; it comes back first, before the headers mend."""
    make_runs(tiny_dataset, 8)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 8, timeout=5000)
    font = table.font()
    font.setPointSize(font.pointSize() + 5)  # presentation mode's larger text
    table.setFont(font)
    alive, bar = COLUMNS.index("Alive"), table.horizontalScrollBar()
    gui_window.resize(1440, 900)
    qtbot.waitUntil(lambda: bar.maximum() == 0 and not table.isColumnHidden(alive), timeout=3000)
    narrow = 1440
    while narrow > 500 and not table.derived.hidden:  # narrower until the headers' breaks are not enough
        narrow -= 20
        gui_window.resize(narrow, 900)
        qtbot.wait(30)
    assert table.derived.hidden and table.breaks.broken and table.isColumnHidden(alive)
    assert set(table.folding.folded) >= {"Dataset", "Latents", "Epochs", "Status"}  # folding came first
    gui_window.resize(narrow, 900)
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=3000)  # every column whole: Time too
    assert "Alive" not in table.hidden_columns()  # not the user's choice, nor remembered
    labels = {a.text(): a.isChecked() for a in table.columns_menu().actions()}
    assert labels["Alive (= 1 − Dead ÷ latents: hidden to fit)"]
    gui_window.resize(1440, 900)  # room again: Alive first, then whole headers
    qtbot.waitUntil(lambda: not table.isColumnHidden(alive) and not table.breaks.broken, timeout=3000)


def test_the_dense_column_counts_latents_as_the_training_header_does(qtbot, gui_window, tiny_dataset):
    """The table read "Dense 2%" where the Training header and the Atlas read "dense latents 6"
    (of 256): one figure, two forms, side by side in a lecture. It counts latents now; the share
    is its tooltip."""
    from sae_desktop.run_list import list_runs

    make_runs(tiny_dataset, 1)
    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    [run] = list_runs()
    cell = runs.table.item(0, COLUMNS.index("Dense"))
    assert cell.text() == str(round(run.frac_dense * TINY.d_latent)) and "%" not in cell.text()
    assert f"{run.frac_dense:.0%}" in cell.toolTip()
    assert "latents" in runs.table.horizontalHeaderItem(COLUMNS.index("Dense")).toolTip()


def test_tab_leaves_the_table_for_its_buttons_keeping_the_runs_chosen(qtbot, gui_window, tiny_dataset):
    """Tab went from cell to cell, never out of the table, and moved the selection: two runs chosen
    with Shift+Down could not be compared without the mouse."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication

    make_runs(tiny_dataset, 3)
    window, runs = gui_window, gui_window.runs_view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    table = runs.table
    qtbot.waitUntil(lambda: table.rowCount() == 3 and table.hasFocus(), timeout=5000)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    chosen = sorted(str(run.folder) for run in runs.selected_runs())
    assert len(chosen) == 2 and runs.compare_button.isEnabled()
    assert not runs.show_button.isEnabled()  # (one run at a time: Tab passes it by)
    for expected in (runs.refresh_button, runs.compare_button):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        assert QApplication.focusWidget() is expected
    assert sorted(str(run.folder) for run in runs.selected_runs()) == chosen
    compared = []
    runs.compare.modelsShown.connect(lambda *_: compared.append(True))
    qtbot.keyClick(runs.compare_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(compared), timeout=10000)
    assert sorted(str(run.folder) for run in runs.compared) == chosen
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is runs.refresh_button
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Backtab, Qt.KeyboardModifier.ShiftModifier)
    assert QApplication.focusWidget() is table and len(runs.selected_runs()) == 2


def test_runs_move_to_the_trash_from_the_table_never_the_one_training(qtbot, gui_window, tiny_dataset, tmp_path,
                                                                      monkeypatch):
    """A rehearsal's trial runs stayed on the frontier for good: the tab could neither delete nor
    open a run. Delete (or the rows' right-click menu) moves them to the desktop's trash, asked first."""
    from pathlib import Path

    from PySide6.QtCore import QItemSelectionModel, Qt

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    make_runs(tiny_dataset, 3)
    window, runs = gui_window, gui_window.runs_view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.tabs.setCurrentWidget(runs)
    table = runs.table
    qtbot.waitUntil(lambda: table.rowCount() == 3, timeout=5000)
    actions = runs.run_actions
    asked = []
    actions.ask = lambda parent, chosen, shown=None: asked.append([r.name for r in chosen]) or answer
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().select(table.model().index(0, 0), flags)
    table.selectionModel().select(table.model().index(2, 0), QItemSelectionModel.SelectionFlag.Select
                                  | QItemSelectionModel.SelectionFlag.Rows)
    chosen = runs.selected_runs()
    folders = [Path(r.folder) for r in chosen]
    menu = [a.text() for a in actions.menu().actions() if not a.isSeparator()]
    assert menu == [runs.show_button.text(), runs.compare_button.text(), "Open run folder", "Rename…",
                    "Move to trash…"]
    opened = []
    monkeypatch.setattr("PySide6.QtGui.QDesktopServices.openUrl", lambda url: opened.append(url.toLocalFile()))
    table.selectRow(1)
    actions.open_action.trigger()  # (no file manager answered: said, with the folder's path)
    only = runs.selected_runs()[0]
    assert opened == [str(only.folder)] and window.notices[-1].endswith(f"The run's folder is {only.folder}")
    window.notice_box.done(0)
    window.activateWindow()  # (offscreen, closing the box left no window active: no key would reach the table)
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    table.selectionModel().select(table.model().index(0, 0), flags)
    table.selectionModel().select(table.model().index(2, 0), QItemSelectionModel.SelectionFlag.Select
                                  | QItemSelectionModel.SelectionFlag.Rows)
    answer = False  # asked, and cancelled: nothing moves
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert asked == [[r.name for r in chosen]] and all(f.is_dir() for f in folders) and table.rowCount() == 3
    shown = []
    runs.compare.modelsShown.connect(lambda: shown.append(True))
    runs.compare_selected()  # the two runs compared, then trashed: the comparison says they are gone
    qtbot.waitUntil(lambda: bool(shown), timeout=10000)
    answer = True
    moved = []
    runs.trashed.connect(moved.append)  # (the window forgets its run, if one of these: test_state.py)
    window.run.prepare(folders[0])  # as if this window had trained the first
    window.training_view  # noqa: B018 (built after the window's first paint: here when asked for)
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Delete)
    assert not any(f.exists() for f in folders) and table.rowCount() == 1
    assert moved == [folders] and window.run.run_dir is None
    header = window.training_view.summary.text()
    assert header.startswith(f"Run {folders[0].name} was moved to the trash. No run to show: press Start")
    assert window.progress.name.text() == "–"  # the panel's Name too
    assert window.statusBar().currentMessage() == "Moved 2 runs to the desktop's trash"
    assert runs.compare.title.text().endswith("(A and B: no longer in the runs folder)")
    trash = tmp_path / "data" / "Trash"
    assert sorted(p.name for p in (trash / "files").iterdir()) == sorted(f.name for f in folders)
    assert len(list((trash / "info").iterdir())) == 2  # (restorable: the desktop knows where each came from)
    left = runs.selected_runs() or [runs.runs[table.item(0, 0).data(Qt.ItemDataRole.UserRole)]]
    runs.set_live(Path(left[0].folder), "running")  # the run this window trains: never moved
    table.selectRow(0)
    asked.clear()
    actions.trash_action.trigger()
    assert not asked and Path(left[0].folder).is_dir() and "is training" in window.notices[-1]


def test_a_runs_figures_read_the_same_in_its_row_as_in_the_training_header(qtbot, gui_window, tiny_dataset):
    """The header said "FVU 0.726" of the run the table said "0.7258" of (and the model card 0.726)."""
    from sae_desktop.qt.training_header import run_figures

    cfg = TINY.replace(seed=3)
    end = list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))[-1]
    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    row = {name: runs.table.item(0, COLUMNS.index(name)).text() for name in ("Test MSE", "FVU", "L0", "Dead")}
    header = run_figures(end.evaluation)
    assert f"test MSE {row['Test MSE']}   FVU {row['FVU']}   L0 {row['L0']}   dead latents {row['Dead']}" in header


def test_moving_the_shown_run_to_the_trash_says_it_stays_shown(qtbot, gui_window, tiny_dataset, tmp_path,
                                                                monkeypatch):
    """The shown run went to the trash unsaid: the table emptied, Probe and Atlas still showed it."""
    from pathlib import Path

    from PySide6.QtCore import Qt

    from sae_desktop.qt.runs_actions import trash_question
    from sae_desktop.snapshot import ModelSnapshot

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    (tmp_path / "data").mkdir()
    make_runs(tiny_dataset, 2)
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 2, timeout=5000)
    first = runs.runs[0]
    window.show_model(ModelSnapshot.load(Path(first.folder) / "checkpoint.safetensors"))
    window.tabs.setCurrentWidget(runs)
    row = next(r for r in range(2) if runs.runs[runs.table.item(r, 0).data(Qt.ItemDataRole.UserRole)] is first)
    runs.table.selectRow(row)
    questions = []
    runs.run_actions.ask = lambda parent, chosen, shown=None: questions.append(trash_question(chosen, shown)) or True
    runs.run_actions.trash_action.trigger()
    assert "Its folder (model, metrics, settings) goes" in questions[0]  # one run: not "Their folders"
    assert "It is the model Probe and Atlas show: it stays shown" in questions[0]
    assert not Path(first.folder).exists() and runs.table.rowCount() == 1
    assert window.statusBar().currentMessage() == (f"Moved 1 run to the desktop's trash; Probe and Atlas still "
                                                  f"show {first.name}'s model")
    assert "Their folders" in trash_question(runs.runs * 2) and "Probe and Atlas" not in trash_question(runs.runs)


def test_a_run_that_ends_lets_alive_back_by_folding_its_status(qtbot, gui_window, tiny_dataset):
    """Alive, hidden while a run trained (its Status and Epochs not one value), stayed hidden once it
    ended, beside a Status column reading "completed" on every row, until a rename refilled the table:
    columns of one value give way before it does, whenever they become one value."""
    make_runs(tiny_dataset, 2)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    runs.refresh()
    metrics = Path(runs.runs[0].folder) / "metrics.jsonl"
    whole = metrics.read_text()
    metrics.write_text("".join(whole.splitlines(keepends=True)[:-1]))  # (its summary not written yet: training)
    runs.refresh()
    runs.set_live(runs.runs[0].folder, "running")
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5000)
    alive, status, epochs = COLUMNS.index("Alive"), COLUMNS.index("Status"), COLUMNS.index("Epochs")
    assert sorted(table.item(r, status).text() for r in range(2)) == ["completed", "training"]
    font = table.font()
    font.setPointSize(font.pointSize() + 5)  # presentation mode's larger text
    table.setFont(font)
    narrow = 1440
    while narrow > 500 and not table.derived.hidden:
        narrow -= 20
        gui_window.resize(narrow, 900)
        qtbot.wait(30)
    qtbot.wait(100)
    assert table.isColumnHidden(alive) and not table.isColumnHidden(status)
    metrics.write_text(whole)  # the run ended: "completed" on both rows
    runs.set_live(None, "")
    runs.refresh()
    qtbot.waitUntil(lambda: not table.isColumnHidden(alive), timeout=3000)
    # (folded above the table instead: its Epochs, "1 of 1" while it trained, are one value now)
    assert table.isColumnHidden(epochs) and "Epochs" in table.folding.folded
    assert table.horizontalScrollBar().maximum() == 0


def test_the_run_in_training_counts_its_epochs_of_those_planned_and_no_time_before_its_first(qtbot, gui_window,
                                                                                           tiny_dataset):
    """A run in its first epoch read Epochs "0" and Time "0.0" beside "training" (a minute in): its
    whole epochs of those planned, its time blank until an epoch records it."""
    make_runs(tiny_dataset, 1)
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    runs.refresh()
    folder = Path(runs.runs[0].folder)
    metrics = folder / "metrics.jsonl"
    lines = metrics.read_text().splitlines(keepends=True)
    metrics.write_text("".join(line for line in lines if '"epoch"' not in line and '"summary"' not in line))
    runs.refresh()
    runs.set_live(folder, "running")
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=5000)
    epochs, time = COLUMNS.index("Epochs"), COLUMNS.index("Time (s)")
    assert table.item(0, COLUMNS.index("Status")).text() == "training"
    assert table.item(0, epochs).text() == "0 of 1" and table.item(0, time).text() == ""
    assert "progress panel" in table.item(0, time).toolTip()
    runs.set_live(None, "")  # killed in its first epoch: no time recorded, none said
    assert table.item(0, epochs).text() == "0" and table.item(0, time).text() == ""
    metrics.write_text("".join(line for line in lines if '"summary"' not in line))  # its epoch ended
    runs.refresh()
    runs.set_live(folder, "paused")
    assert table.item(0, COLUMNS.index("Status")).text() == "paused"
    assert table.item(0, epochs).text() == "1 of 1" and table.item(0, time).text() == f"{runs.runs[0].seconds:.1f}"
    assert table.item(0, time).toolTip() == "The 1 whole epoch so far (still training)"


def test_where_alive_is_not_enough_fvu_then_the_least_needed_columns_give_way_and_are_named(qtbot, gui_window,
                                                                                           tiny_dataset):
    """At 1024×768 beside the training panel, five runs of two penalties, the table still scrolled
    sideways after Alive gave way: Mean act. was cut at its edge ("0.075" for 0.0752), Time out of view.
    FVU (Test MSE ÷ the test images' variance, one dataset) gives way next, then Mean act. and Time, each
    named above the table; they come back with room, and a column the user shows again stays."""
    for i, penalty in enumerate(("kl", "topk", "kl", "topk", "kl")):
        cfg = TINY.replace(seed=i, penalty=penalty, k=2)
        list(recorded(train(cfg, tiny_dataset), RunFolder.create(cfg)))
    runs, table = gui_window.runs_view, gui_window.runs_view.table
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: table.rowCount() == 5, timeout=5000)
    font = table.font()
    font.setPointSize(font.pointSize() + 5)
    table.setFont(font)
    bar = table.horizontalScrollBar()
    narrow = 1440
    while narrow > 400 and len(table.derived.hidden) < 3:
        narrow -= 20
        gui_window.resize(narrow, 900)
        qtbot.wait(30)
    assert list(table.derived.hidden)[:3] == ["Alive", "FVU", "Mean act."]  # in this order
    qtbot.waitUntil(lambda: bar.maximum() == 0, timeout=3000)  # nothing cut at the table's edge
    assert "Penalty" not in table.folding.folded  # (two penalties: not one value)
    assert runs.hint.text().endswith("· FVU, Alive, Mean act. hidden to fit")  # (in the columns' order)
    # on a line of its own, the names whole (beside the buttons: "All: mnist … · 3 columns hidde…")
    assert runs.hint.isVisible() and runs.hint.shown_text().endswith("FVU, Alive, Mean act. hidden to fit")
    assert runs.hint.geometry().top() >= runs.refresh_button.geometry().bottom()
    labels = {a.text() for a in table.columns_menu().actions()}
    assert {"FVU (= Test MSE ÷ the test images' variance: hidden to fit)", "Mean act. (hidden to fit)"} <= labels
    table.show_column("Mean act.")  # the user's from now on: shown, and not hidden to fit again
    qtbot.wait(100)
    assert not table.isColumnHidden(COLUMNS.index("Mean act.")) and "Mean act." not in table.derived.hidden
    gui_window.resize(1440, 900)
    qtbot.waitUntil(lambda: not table.derived.hidden, timeout=3000)
    assert not table.isColumnHidden(COLUMNS.index("FVU")) and "hidden to fit" not in runs.hint.text()


def test_a_lone_runs_columns_fold_too_where_the_table_would_scroll(qtbot, gui_window, tiny_dataset):
    """Alone at 1024×768 beside the training panel, a run's row scrolled sideways, Dense cut to "Den" and four
    columns hidden to fit, beside its Dataset, Latents, Epochs and Status (folding waited for a second run)."""
    runs, table = runs_tab_at_1024(qtbot, gui_window, tiny_dataset, 1)
    qtbot.waitUntil(lambda: table.horizontalScrollBar().maximum() == 0, timeout=3000)
    assert table.folding.folded and runs.hint.text().startswith("The run: ")  # (not "Every run")
    assert len(table.derived.hidden) < 4  # what the folding left for them


def test_the_selected_run_is_in_view_after_a_refresh(qtbot, gui_window, tiny_dataset):
    """After Refresh (a new run listed), the selected run was scrolled out of the six rows in view, while the
    frontier still made it glow."""
    runs, table = runs_tab_at_1024(qtbot, gui_window, tiny_dataset, 10)
    table.sortItems(COLUMNS.index("Run"), Qt.SortOrder.AscendingOrder)  # the oldest first
    runs._select_run(table.item(table.rowCount() - 1, 0).data(Qt.ItemDataRole.UserRole))  # the newest, at the foot
    folder = runs.selected_runs()[0].folder
    table.scrollToTop()
    qtbot.wait(50)
    make_runs(tiny_dataset, 1)
    runs.refresh()
    qtbot.waitUntil(lambda: table.rowCount() == 11, timeout=5000)
    assert [r.folder for r in runs.selected_runs()] == [folder]
    row = table.selectedItems()[0].row()
    assert table.visualItemRect(table.item(row, 0)).intersects(table.viewport().rect())
