"""A run renamed from the Runs table (F2, or the rows' menu): its folder, and all that names it, follow."""

from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt

from sae_desktop.qt.shown_model import remembered_model_path
from sae_desktop.runs import rename_problem
from sae_desktop.snapshot import ModelSnapshot
from tests.test_gui_runs_table import make_runs


def test_a_runs_new_name_must_be_a_folders_and_free(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for bad in ("", ".", "..", "x/y", "x\\y", "tab\there", "line\nbreak", "x" * 256):
        assert rename_problem(bad, tmp_path / "a") is not None, bad
    assert "already holds b" in rename_problem("b", tmp_path / "a")
    assert rename_problem("lecture, k = 4", tmp_path / "a") is None
    assert rename_problem("a", tmp_path / "a") is None  # (itself: a change of case on a case-blind disk)


def select_rows(table, rows):
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
    table.selectionModel().select(table.model().index(rows[0], 0), flags)
    for row in rows[1:]:
        table.selectionModel().select(table.model().index(row, 0), QItemSelectionModel.SelectionFlag.Select
                                      | QItemSelectionModel.SelectionFlag.Rows)


def test_a_run_renamed_keeps_its_place_in_the_shown_model_and_the_comparison(qtbot, gui_window, tiny_dataset):
    """The Runs menu had no rename: a lecture's runs kept their time stamps as names. F2 renames the
    selected run's folder; the table selects it under its new name, the shown model (its file, which
    Save writes, and the one the next launch opens) and the comparison follow it."""
    make_runs(tiny_dataset, 2)
    window, runs = gui_window, gui_window.runs_view
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    window.tabs.setCurrentWidget(runs)
    table, actions = runs.table, runs.run_actions
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5000)
    first = runs.runs[table.item(0, 0).data(Qt.ItemDataRole.UserRole)]
    old = Path(first.folder)
    window.show_model(ModelSnapshot.load(old / "checkpoint.safetensors"))
    window.tabs.setCurrentWidget(runs)
    shown = []
    runs.compare.modelsShown.connect(lambda: shown.append(True))
    select_rows(table, [0, 1])
    runs.compare_selected()
    qtbot.waitUntil(lambda: len(shown) == 1, timeout=10000)
    assert not actions.rename_action.isEnabled()  # two runs selected: one name can't be both's
    menu = [a.text() for a in actions.menu().actions() if not a.isSeparator()]
    assert menu == [runs.show_button.text(), runs.compare_button.text(), "Open run folder", "Rename…",
                    "Move to trash…"]
    select_rows(table, [0])
    asked = []
    actions.ask_name = lambda parent, current: asked.append(current) or "  lecture: k=4  "
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_F2)
    new = old.parent / "lecture: k=4"  # (the name as typed, less its outer spaces)
    assert asked == [old.name] and new.is_dir() and not old.exists()
    assert [r.name for r in runs.selected_runs()] == ["lecture: k=4"]
    assert window.statusBar().currentMessage() == f"Renamed {old.name} to lecture: k=4"
    snap = window.shown.snapshot
    assert snap.path == new / "checkpoint.safetensors" and snap.run_name == "lecture: k=4"
    assert snap.name.startswith("lecture: k=4, ") and remembered_model_path() == str(new / "checkpoint.safetensors")
    assert table.shown_folder == new.resolve()  # (its name bold: the shown model's run)
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=10000)  # compared again, under its new name
    assert "lecture: k=4" in runs.compare.title.text() and "no longer" not in runs.compare.title.text()


def test_a_rename_is_refused_with_a_reason_and_never_for_the_run_training(qtbot, gui_window, tiny_dataset):
    make_runs(tiny_dataset, 2)
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    table, actions = runs.table, runs.run_actions
    qtbot.waitUntil(lambda: table.rowCount() == 2, timeout=5000)
    names = sorted(r.name for r in runs.runs)
    select_rows(table, [0])
    current = runs.selected_runs()[0]
    other = next(n for n in names if n != current.name)
    for answer, said in ((None, None), (current.name, None), ("", "cannot be empty"), ("a/b", "no slashes"),
                         (other, f"already holds {other}")):
        notices = len(window.notices)
        actions.ask_name = lambda parent, now, answer=answer: answer
        actions.rename_action.trigger()
        assert sorted(r.name for r in runs.runs) == names and Path(current.folder).is_dir()
        if said is None:  # cancelled, or the same name: nothing said
            assert len(window.notices) == notices
        else:
            assert said in window.notices[-1]
            window.notice_box.done(0)
    runs.set_live(Path(current.folder), "running")  # the run this window trains: never renamed
    select_rows(table, [next(r for r in range(2) if runs.runs[table.item(r, 0).data(Qt.ItemDataRole.UserRole)]
                             .name == current.name)])
    asked = []
    actions.ask_name = lambda parent, now: asked.append(now) or "renamed"
    actions.rename_action.trigger()
    assert not asked and Path(current.folder).is_dir() and "is training" in window.notices[-1]


def test_the_run_last_trained_here_follows_its_folder(qtbot, gui_window, tiny_dataset):
    """The run this window trained (ended), renamed: the progress panel named the old folder, and
    Continue training (its model chosen) found no run there and began a new folder."""
    make_runs(tiny_dataset, 1)
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    old = Path(runs.runs[0].folder)
    model = ModelSnapshot.load(old / "checkpoint.safetensors")
    window.run.prepare(old)  # (as the controller leaves it once the run has ended)
    window.run.set_resume(model)  # Continue training chose it
    panel = window.progress
    panel.render()
    assert panel.name.toolTip() == str(old)
    resumed = []
    window.run.resume_changed.connect(resumed.append)
    select_rows(runs.table, [0])
    runs.run_actions.ask_name = lambda parent, now: "kept for the lecture"
    runs.run_actions.rename_action.trigger()
    new = old.parent / "kept for the lecture"
    assert window.run.run_dir == new and panel.name.toolTip() == str(new)
    assert window.run.resume_from.path == new / "checkpoint.safetensors" and resumed[-1] is window.run.resume_from
    assert window.run.resume_from.run_name == "kept for the lecture"


def test_the_training_header_names_no_run_when_the_shown_model_is_the_renamed_runs(qtbot, gui_window, tiny_dataset):
    """The run trained here, its model shown, renamed: the header put the old name in front ("Run
    20261206-022443-mnist-batchtopk · Completed 1 epoch: …", its figures cut for room), as if the Probe
    and the Atlas showed another run's model (the shown model was told of the new name first)."""
    make_runs(tiny_dataset, 1)
    window, runs = gui_window, gui_window.runs_view
    window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.table.rowCount() == 1, timeout=5000)
    old = Path(runs.runs[0].folder)
    window.run.prepare(old)
    window.show_model(ModelSnapshot.load(old / "checkpoint.safetensors"))
    header = window.training_view.summary
    window.training_view._say("Completed 1 epoch")
    assert header.text() == "Completed 1 epoch"  # (the shown model is this run's: no run named)
    select_rows(runs.table, [0])
    runs.run_actions.ask_name = lambda parent, now: "btk4"
    runs.run_actions.rename_action.trigger()
    assert window.shown.snapshot.run_name == "btk4" and window.run.run_dir.name == "btk4"
    assert header.text() == "Completed 1 epoch"
    window.show_model(ModelSnapshot.load(old.parent / "btk4" / "checkpoint.safetensors").saved_as(
        old.parent / "elsewhere.safetensors"))  # (another file's model: the header names the run it tells of)
    assert header.text() == "Run btk4 · Completed 1 epoch"
