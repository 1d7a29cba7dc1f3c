"""View ▸ Theme (system, light, dark) and View ▸ Presentation (F11), on the real window."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QLayout, QWidget

from benchmarks.synthetic_inputs import polyline
from sae_desktop.qt import theme
from sae_desktop.qt.app import build_window
from sae_desktop.qt.image_tile import ImageTile
from sae_desktop.qt.settings import app_settings
from sae_desktop.qt.probe_view import VERDICT_LINES
from sae_desktop.qt.theme import DARK, LIGHT, ThemeController
from sae_desktop.verdict import evidence


def lightness(colour) -> int:
    return QColor(colour).lightness()


@pytest.fixture(autouse=True)
def light_again():
    yield
    theme.apply(LIGHT)  # the theme is application-wide: leave it as the next test expects


def test_dark_theme_colours_the_palette_plots_tiles_and_marks(qtbot, gui_window):
    w = gui_window
    loss, bars = w.training_view.loss_plot, w.probe_view.bars
    assert theme.current() is LIGHT and lightness(loss.backgroundBrush().color()) > 240
    w.view.theme_actions["dark"].trigger()
    assert theme.current() is DARK and app_settings().value("view/theme") == "dark"
    assert lightness(QApplication.palette().color(QPalette.ColorRole.Window)) < 80
    assert lightness(QApplication.palette().color(QPalette.ColorRole.WindowText)) > 200
    for plot in (loss, bars, w.atlas_view.density_plot, w.runs_view.frontier):  # pyqtgraph, set explicitly
        assert plot.backgroundBrush().color().name() == DARK.plot_background
        assert plot.getAxis("left").textPen().color().name() == DARK.plot_foreground
        assert plot.getPlotItem().titleLabel.opts["color"] == DARK.plot_foreground
    assert bars.marks.opts["brush"].color().name() == DARK.ink
    assert w.atlas_view.plot.backgroundBrush().color().name() == DARK.plot_background  # the mosaic's too
    for _, label in bars.legend.items:  # legend entries drawn before the change are redrawn in its colour
        assert DARK.plot_foreground in label.item.toHtml().lower()
    title = w.atlas_view.dashboard.title  # styled by a style sheet (size, weight): its text follows the theme
    assert lightness(title.palette().color(QPalette.ColorRole.WindowText)) > 200
    assert lightness(loss.smooth[3].opts["pen"].color()) > 200  # the total loss, light on dark
    legend = w.runs_view.frontier.legend
    assert lightness(legend.opts["brush"].color()) < 80
    tile = w.probe_view.recon_tile.pixels  # empty: painted in the theme's tile colour
    image = tile.grab().toImage()
    assert image.pixelColor(tile.width() // 2, tile.height() // 2).name() == DARK.tile_empty
    axis = w.training_view.rho_plot.getAxis("left")
    for presenting in (True, False):  # larger text and back: the axis titles keep the theme's colour
        w.view.set_presentation(presenting)
        assert axis.labelStyle.get("color") == DARK.plot_foreground, axis.labelStyle
    w.view.theme_actions["light"].trigger()
    assert loss.backgroundBrush().color().name() == LIGHT.plot_background
    assert lightness(title.palette().color(QPalette.ColorRole.WindowText)) < 80
    assert bars.marks.opts["brush"].color().name() == LIGHT.ink
    assert lightness(QApplication.palette().color(QPalette.ColorRole.Window)) > 200


def test_diverging_tiles_have_a_dark_zero_in_the_dark_theme_and_are_redrawn_when_it_changes(qtbot, gui_window):
    w = gui_window
    w.tabs.setCurrentWidget(w.atlas_view)
    qtbot.waitUntil(lambda: w.atlas_view.mosaic_image is not None, timeout=5000)
    values = w.atlas_view.mosaic_image
    nearest_zero = np.unravel_index(np.nanargmin(np.where(np.isnan(values), np.inf, np.abs(values))), values.shape)
    residual = ImageTile("residual")  # as the probe's and the dashboard's diverging tiles
    qtbot.addWidget(residual)
    residual.set_diverging(np.zeros((28, 28), np.float32), 1.0)

    def zero_lightness():
        mosaic = w.atlas_view.plot.image.image[nearest_zero]  # RGB of the mosaic's pixel nearest zero
        tile = residual.qimage().pixelColor(14, 14)
        return QColor(*(int(c) for c in mosaic[:3])).lightness(), tile.lightness()

    assert min(zero_lightness()) > 200  # light: zero is near-white
    w.view.theme_actions["dark"].trigger()
    assert max(zero_lightness()) < 60  # dark: near-black, both drawn again at once
    w.view.theme_actions["light"].trigger()
    assert min(zero_lightness()) > 200


def test_the_panels_float_and_close_buttons_are_drawn_in_the_themes_text_colour(qtbot, gui_window):
    """Fusion draws a dock's title buttons dark grey whatever the palette: unseen on the dark theme."""
    from PySide6.QtWidgets import QAbstractButton

    w = gui_window
    w.show()
    qtbot.waitExposed(w)

    def inks() -> list[int]:  # the lightness of each button's strokes (its most opaque pixels)
        qtbot.wait(50)
        found = []
        for name in ("qt_dockwidget_floatbutton", "qt_dockwidget_closebutton"):
            image = w.dock.findChild(QAbstractButton, name).icon().pixmap(10, 10).toImage()
            pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
            found.append(max(pixels, key=lambda c: c.alpha()).lightness())
        return found

    w.view.theme_actions["dark"].trigger()
    assert min(inks()) > 180  # light strokes on the dark title bar
    w.view.theme_actions["light"].trigger()
    assert max(inks()) < 80


def test_the_theme_is_remembered_and_system_follows_the_colour_scheme_hint(qtbot, gui_window, monkeypatch):
    gui_window.view.theme.set_mode("dark")
    second = build_window()  # a new session reads the remembered choice
    qtbot.addWidget(second)
    assert second.view.theme.mode == "dark" and second.view.theme_actions["dark"].isChecked()
    assert theme.current() is DARK
    scheme = {"now": Qt.ColorScheme.Light}
    monkeypatch.setattr(ThemeController, "system_scheme", staticmethod(lambda: scheme["now"]))
    second.view.theme_actions["system"].trigger()
    assert theme.current() is LIGHT
    scheme["now"] = Qt.ColorScheme.Dark  # the desktop switches to dark: the window follows, live
    second.view.theme.refresh()
    assert theme.current() is DARK
    second.view.theme_actions["light"].trigger()  # an override wins over the system
    assert theme.current() is LIGHT


def child_widgets(layout: QLayout) -> list[QWidget]:
    """The visible widgets a layout (and the layouts in it) places. Without ``itemAt``: its
    QWidgetItem wrappers outlive the items Qt deletes when a layout changes (they are no
    QObjects), and shiboken then handed a later widget at the same address out as a stale
    QWidgetItem (CI: "'QWidgetItem' object has no attribute 'setText'" in the next test)."""
    parent = layout.parentWidget()
    out = [w for w in parent.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
           if layout.indexOf(w) >= 0 and w.isVisible()] if parent is not None else []
    for sub in layout.children():  # nested layouts are the layout's QObject children
        if isinstance(sub, QLayout):
            out.extend(child_widgets(sub))
    return out


def check_fits(window) -> list[str]:
    """Problems: a visible widget outside the window, smaller than its minimum, or overlapping
    a sibling in its layout."""
    problems = []
    frame = window.rect()
    for widget in window.findChildren(QWidget):
        if not widget.isVisible() or widget.isWindow() or widget.width() == 0:
            continue
        name = f"{type(widget).__name__} {widget.objectName()!r}"
        if widget.parentWidget() is window or isinstance(widget.parentWidget(), QWidget):
            top_left = widget.mapTo(window, widget.rect().topLeft())
            rect = QRect(top_left, widget.size())
            if not frame.contains(rect) and not _clipped_by_scroll_area(widget):
                problems.append(f"{name} at {rect.getRect()} outside the window {frame.getRect()}")
        minimum = widget.minimumSizeHint().expandedTo(widget.minimumSize())
        parent_layout = widget.parentWidget().layout()  # sized by a layout (not by its view, like a header)
        laid_out = parent_layout is not None and widget in child_widgets(parent_layout)
        squeezed = widget.width() < minimum.width() - 1 or widget.height() < minimum.height() - 1
        if laid_out and widget.layout() is None and squeezed:
            if not _clipped_by_scroll_area(widget):
                problems.append(f"{name} squeezed to {widget.size().toTuple()} below {minimum.toTuple()}")
        if widget.layout() is not None:
            siblings = child_widgets(widget.layout())
            for i, a in enumerate(siblings):
                for b in siblings[i + 1:]:
                    if a.geometry().intersects(b.geometry()):
                        problems.append(f"{type(a).__name__} {a.geometry().getRect()} overlaps "
                                        f"{type(b).__name__} {b.geometry().getRect()} in {name}")
    return problems


def _clipped_by_scroll_area(widget: QWidget) -> bool:
    parent = widget.parentWidget()
    while parent is not None:
        if parent.objectName() == "qt_scrollarea_viewport":
            return True
        parent = parent.parentWidget()
    return False


def rows_of_unequal_pictures(view) -> list:
    """Rows of the probe's tiles whose pictures (the squares drawn, at the bottom of their cells)
    differ in side or height on screen, or sit apart from their captions."""
    n = view.stages_view.columns
    rows = [view.stages_view.tiles[i:i + n] for i in range(0, len(view.stages_view.tiles), n)]
    rows.append([view.input_tile, view.recon_tile, view.residual_tile])
    unequal = []
    for row in rows:
        drawn = [t.pixels.picture_rect().translated(t.pixels.mapTo(view, QPoint(0, 0)).toPointF()) for t in row]
        sides, tops = [r.height() for r in drawn], [r.top() for r in drawn]
        gaps = [t.caption.mapTo(view, QPoint(0, 0)).y() - r.bottom() for t, r in zip(row, drawn)]
        if max(sides) - min(sides) > 2 or max(tops) - min(tops) > 2 or max(gaps) > 12:
            unequal.append((sides, tops, gaps))
    return unequal


def assert_rows_of_equal_pictures(view) -> None:
    """A residual drawn smaller than the reconstruction beside it (its caption wrapped to two
    lines), "ink box" lower than "paper removed": the sizes read as data."""
    assert rows_of_unequal_pictures(view) == []


@pytest.mark.parametrize("size", [(1280, 720), (1024, 768)])
def test_presentation_mode_is_larger_hides_the_panel_and_fits_a_projector(qtbot, gui_window, size):
    w = gui_window
    base = QApplication.font().pointSizeF()
    loss = w.training_view.loss_plot
    pen_width = loss.smooth[1].opts["pen"].widthF()
    qtbot.keyClick(w.tabs, Qt.Key.Key_F11)
    assert w.view.presenting and w.view.presentation_action.isChecked()
    assert QApplication.font().pointSizeF() == pytest.approx(base * 1.5)
    assert not w.dock.isVisible() and w.isFullScreen()
    assert loss.smooth[1].opts["pen"].widthF() == pytest.approx(pen_width * 1.5)
    w.view.theme_actions["dark"].trigger()  # the total's pen is the theme's: it kept its base width there
    assert loss.smooth[3].opts["pen"].widthF() == pytest.approx(pen_width * 1.5)  # (3: the total)
    w.view.theme_actions["light"].trigger()
    assert loss.getPlotItem().titleLabel.opts["size"] == "16.5pt"
    w.tabs.setCurrentWidget(w.probe_view)  # legends drawn before, and the probe's bars' legend
    qtbot.waitUntil(lambda: w.probe_view.bars_place.is_built, timeout=3000)

    def small():  # a label whose style sheet kept the old font
        return [label.text() for label in w.probe_view.findChildren(QLabel)
                if label.text() and label.isVisible() and label.font().pointSizeF() not in (-1.0, base * 1.5)]

    try:  # the new font reaches the widgets through posted events
        qtbot.waitUntil(lambda: not small(), timeout=2000)
    except Exception:
        pass
    assert small() == []
    legends = [loss.getPlotItem().legend, w.probe_view.bars.legend]
    for legend in legends:
        assert legend.items and all(label.opts["size"] == "13.5pt" for _, label in legend.items)
    assert str(app_settings().value("view/presentation")).lower() == "true"
    # the projector: the window at its size (offscreen, full screen would be the 800×600 test screen)
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(0, 0, *size)
    # a drawing, and the longest verdict: its lines must not make the window taller than the screen
    w.probe_view.canvas.set_array(polyline((280, 280), [(60, 70), (60, 210), (230, 120)], 20.0))
    qtbot.waitUntil(lambda: "test digits" in w.probe_view.ood_label.text(), timeout=3000)
    longest = f"Unlike MNIST: {evidence(0.45, 99.95, 99.9, 99.9, 99.9)}"
    w.probe_view.ood_label.set_text_or_short(longest, longest.partition(" (")[0], VERDICT_LINES)
    for tab in (w.probe_view, w.training_view, w.atlas_view, w.runs_view):
        w.tabs.setCurrentWidget(tab)
        qtbot.wait(60)
        assert w.minimumSizeHint().width() <= size[0] and w.minimumSizeHint().height() <= size[1]
        try:  # once the layout has settled (new sizes propagate up one level per event-loop pass)
            qtbot.waitUntil(lambda: not check_fits(w), timeout=3000)
        except Exception:
            pass
        problems = check_fits(w)
        assert problems == [], (w.tabs.tabText(w.tabs.currentIndex()), problems)
    w.tabs.setCurrentWidget(w.atlas_view)
    qtbot.wait(60)
    atlas = w.atlas_view  # the tiles get the height, not the density plot under them
    assert atlas.plot.height() >= 1.8 * atlas.density_plot.height(), (atlas.plot.height(), atlas.density_plot.height())
    w.tabs.setCurrentWidget(w.probe_view)
    qtbot.wait(60)
    text = w.probe_view.ood_label.text()  # the verdict's figures did not fit: its headline, the whole on hover
    assert text == "Unlike MNIST: fewer than 1% of test digits are as unusual"
    heading = w.probe_view.error_label  # the column is narrower than "Reconstruction" in this font: a short word
    assert heading.text().startswith("Error (MSE) ") or size[0] > 1024
    canvas, bars = w.probe_view.canvas, w.probe_view.bars
    assert min(canvas.width(), canvas.height()) >= 0.55 * size[1] - 120  # the drawing gets the room
    assert bars.height() >= 200
    widths = [tile.pixels.width() for tile in w.probe_view.stages_view.tiles]  # one row of equal tiles
    assert max(widths) - min(widths) <= 2, widths
    assert_rows_of_equal_pictures(w.probe_view)
    from sae_desktop.qt.canvas import HINT  # the browser is hidden: the empty canvas says what R does
    assert not w.probe_view.browser.isVisible() and "press R for a test digit" in HINT
    w.view.set_presentation(False)
    qtbot.waitUntil(lambda: not rows_of_unequal_pictures(w.probe_view), timeout=2000)
    assert QApplication.font().pointSizeF() == pytest.approx(base) and w.dock.isVisible()
    assert loss.smooth[1].opts["pen"].widthF() == pytest.approx(pen_width)
    assert all(label.opts["size"] == "9.0pt" for legend in legends for _, label in legend.items)


def test_leaving_presentation_gives_the_window_back_as_it_was(qtbot, gui_window):
    """F11 twice left the window full screen under openbox: showing the training panel in a full-screen
    window turned Qt's state to "normal" unasked, so leaving full screen was no change to send to the
    window manager; and the panel, shown with the old fonts' sizes, widened the window past the screen."""
    from PySide6.QtCore import QRect, Qt

    w = gui_window
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(QRect(40, 50, 1100, 640))
    qtbot.waitUntil(lambda: w.geometry() == QRect(40, 50, 1100, 640), timeout=2000)
    states = []  # the window's state each time the panel is shown
    w.dock.visibilityChanged.connect(lambda shown: states.append(w.windowState()) if shown else None)
    w.view.set_presentation(True)
    qtbot.waitUntil(lambda: w.isFullScreen() and not w.dock.isVisible(), timeout=2000)
    w.view.set_presentation(False)
    assert states and not states[-1] & Qt.WindowState.WindowFullScreen  # full screen was left before
    qtbot.waitUntil(lambda: w.geometry() == QRect(40, 50, 1100, 640), timeout=3000)
    qtbot.wait(300)  # and stays so once the layouts have settled
    assert w.geometry() == QRect(40, 50, 1100, 640) and w.dock.isVisible() and not w.isFullScreen()
    w.showMaximized()  # a maximized window comes back maximized
    qtbot.waitUntil(w.isMaximized, timeout=2000)
    w.view.set_presentation(True)
    qtbot.waitUntil(w.isFullScreen, timeout=2000)
    w.view.set_presentation(False)
    qtbot.wait(300)
    assert w.isMaximized() and not w.isFullScreen()


def test_leaving_presentation_leaves_full_screen_after_the_panel_floated_and_hid(qtbot, gui_window, monkeypatch):
    """F11, View ▸ Training panel twice (it floats, then hides), F11: the text came back normal and the window
    stayed full screen under openbox, its title bar gone (F11 twice more left it 1024 px wide, the bar above
    the screen). The floating panel had turned Qt's state to "normal" unasked (offscreen too), so leaving full
    screen asked the window manager for no change: it is asked for full screen first, then to leave it."""
    from PySide6.QtCore import QRect, Qt

    w = gui_window
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(QRect(26, 38, 972, 691))
    qtbot.waitUntil(lambda: w.geometry() == QRect(26, 38, 972, 691), timeout=2000)
    w.view.set_presentation(True, remember=False)
    qtbot.waitUntil(lambda: w.isFullScreen() and not w.dock.isVisible(), timeout=2000)
    for _ in range(2):  # floated over the views, then hidden
        w.dock.toggleViewAction().trigger()
        qtbot.wait(100)
    assert not w.dock.isVisible() and not w.isFullScreen()  # (Qt's own state: what it would ask to leave)
    asked = []
    real = w.setWindowState
    monkeypatch.setattr(w, "setWindowState", lambda state: asked.append(state) or real(state))
    w.view.set_presentation(False, remember=False)
    full = Qt.WindowState.WindowFullScreen
    assert len(asked) >= 2 and asked[-2] & full and not asked[-1] & full  # a change the window manager sees
    qtbot.waitUntil(lambda: w.geometry() == QRect(26, 38, 972, 691), timeout=3000)
    assert w.dock.isVisible() and not w.dock.isFloating()


def test_presentation_is_remembered(qtbot, gui_window):
    gui_window.view.set_presentation(True)
    gui_window.close()
    again = build_window()
    qtbot.addWidget(again)
    try:
        assert again.view.presenting and again.dock.isHidden()  # (not shown: isHidden, not isVisible)
        assert again.windowState() & Qt.WindowState.WindowFullScreen
    finally:
        again.view.set_presentation(False)
    assert not again.dock.isHidden() and not again.windowState() & Qt.WindowState.WindowFullScreen
    assert pg.getConfigOption("background") == LIGHT.plot_background


def test_quitting_in_presentation_remembers_the_window_as_it_was_before(qtbot, gui_window, monkeypatch):
    """Closed in presentation mode, the window came back 82 px wider (1200 → 1282 under openbox): its
    geometry was saved at once after leaving presentation, the layouts still holding the larger text's sizes."""
    from sae_desktop.qt.main_window import MainWindow

    w = gui_window
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(QRect(40, 50, 1100, 640))
    qtbot.waitUntil(lambda: w.geometry() == QRect(40, 50, 1100, 640), timeout=2000)
    before = bytes(w.saveGeometry())  # (the offscreen screen is too small to compare pixel sizes)
    w.view.set_presentation(True)
    qtbot.waitUntil(lambda: w.isFullScreen() and not w.dock.isVisible(), timeout=2000)
    qtbot.wait(200)  # (its layouts settled in the larger text)
    w.close()
    restored = []
    monkeypatch.setattr(MainWindow, "restoreGeometry", lambda self, data: restored.append(bytes(data)) or True)
    again = build_window()
    qtbot.addWidget(again)
    again.view.set_presentation(False)
    assert restored == [before]


def test_the_panel_shown_in_presentation_floats_where_it_would_widen_the_window_past_the_screen(qtbot, gui_window):
    """View ▸ Training panel in presentation mode at 1024×768 grew the window to 1282 px: the plots'
    right side and the status bar were off-screen, the panel squeezed behind a sideways scroll bar."""
    window = gui_window
    window.show()
    qtbot.waitExposed(window)
    room = window.screen().availableGeometry().width()  # (offscreen: 800 px, narrower than either fits)
    window.view.set_presentation(True, remember=False)
    try:
        qtbot.wait(300)  # (the layouts settle in the new text size ~100 ms after)
        alone = window.minimumSizeHint().width()
        assert alone + window.dock.minimumSizeHint().width() > room  # docked, it could not fit beside
        window.dock.toggleViewAction().trigger()  # View ▸ Training panel
        qtbot.waitUntil(window.dock.isFloating, timeout=2000)
        assert window.dock.isVisible() and window.minimumSizeHint().width() == alone  # over the views, not beside
        bar = window.tabs.tabBar()  # …below the tabs (over them, it hid Training and Probe)
        assert window.dock.geometry().top() >= bar.mapToGlobal(bar.rect().bottomLeft()).y()
    finally:
        window.view.set_presentation(False, remember=False)
    assert not window.dock.isFloating() and window.dock.isVisible()  # docked again, as before presentation


def test_a_tab_built_after_presentation_was_turned_on_is_presented_too(qtbot, gui_window):
    """The hidden tabs are built after the first paint, perhaps in presentation mode (remembered
    from the last session): their headline labels and plots take its sizes like the rest."""
    gui_window.view.set_presentation(True)
    try:
        tabs = gui_window.tabs
        page = next(p for p in tabs.pages() if tabs.tabText(tabs.indexOf(p)) == "Atlas")
        assert not page.is_built  # nothing asked for the atlas yet
        atlas = gui_window.atlas_view
        assert page.is_built and gui_window.tabs.indexOf(atlas) == gui_window.tabs.indexOf(page)
        assert "font-size: 24px" in atlas.dashboard.title.styleSheet()  # 16 px × 1.5
        axis_font = atlas.density_plot.getAxis("bottom").style["tickFont"]
        assert axis_font is not None and axis_font.pointSizeF() == pytest.approx(QApplication.font().pointSizeF())
    finally:
        gui_window.view.set_presentation(False)
    assert "font-size: 16px" in atlas.dashboard.title.styleSheet()


def test_revisiting_the_runs_tab_rebuilds_only_after_a_run_changed(qtbot, gui_window):
    from sae_desktop.config import TrainConfig
    from sae_desktop.runs import RunFolder

    made = []
    for seed in range(3):
        run = RunFolder.create(TrainConfig(seed=seed))
        run.write_config(TrainConfig(seed=seed))
        run.append({"type": "epoch", "epoch": 1, "step": 10, "metrics/test_mse": 0.03, "metrics/l0": 5.0})
        made.append(run)
    runs_view, tabs = gui_window.runs_view, gui_window.tabs
    tabs.setCurrentWidget(runs_view)  # the first visit fills the table at once
    assert runs_view.table.rowCount() == 3
    first_item = runs_view.table.item(0, 0)

    def revisit():  # later visits show the table as it was, then what a background scan found
        tabs.setCurrentIndex(0)
        with qtbot.waitSignal(runs_view.scanned, timeout=5000):
            tabs.setCurrentWidget(runs_view)

    revisit()
    assert runs_view.table.item(0, 0) is first_item  # nothing changed: the table was left as it was
    made[1].append({"type": "epoch", "epoch": 2, "step": 20, "metrics/test_mse": 0.02, "metrics/l0": 4.0})
    revisit()
    epochs = {runs_view.table.item(r, 0).text(): runs_view.table.item(r, 5).text() for r in range(3)}
    assert epochs == {made[0].path.name: "1", made[1].path.name: "2", made[2].path.name: "1"}
    assert first_item in [runs_view.table.item(r, 0) for r in range(3)]  # its cells rewritten, not replaced
    runs_view.table.sortItems(5)  # sorting by Epochs uses the rewritten value
    assert runs_view.table.item(2, 0).text() == made[1].path.name
    for epoch in (2, 3):  # a rewrite in the sorted column sorts the rows again
        made[0].append({"type": "epoch", "epoch": epoch, "step": 10 * epoch, "metrics/test_mse": 0.02,
                        "metrics/l0": 4.0})
    revisit()
    order = [runs_view.table.item(r, 0).text() for r in range(3)]
    assert order[1:] == [made[1].path.name, made[0].path.name] and runs_view.table.item(2, 5).text() == "3"
    RunFolder.create(TrainConfig(seed=9)).write_config(TrainConfig(seed=9))  # a new run: a new table
    revisit()
    assert runs_view.table.rowCount() == 4


def test_a_background_scan_that_ends_late_never_shows_an_older_list(qtbot, gui_window, monkeypatch):
    """A rescan begun before a newer one (e.g. a run ended meanwhile) is dropped when it returns."""
    import threading
    import time

    from sae_desktop.config import TrainConfig
    from sae_desktop.qt import runs_view as runs_module
    from sae_desktop.runs import RunFolder

    view = gui_window.runs_view
    qtbot.waitUntil(lambda: not view._scanning, timeout=5000)  # the scan its construction began
    real_scan = runs_module.scan_runs

    def slow_off_the_gui_thread():
        found = real_scan()
        if threading.current_thread() is not threading.main_thread():
            time.sleep(0.4)  # returns after the newer scan below
        return found

    monkeypatch.setattr(runs_module, "scan_runs", slow_off_the_gui_thread)
    view.refresh_in_background()  # sees no run yet
    qtbot.wait(100)
    run = RunFolder.create(TrainConfig(seed=1))
    run.write_config(TrainConfig(seed=1))
    view.refresh()  # the newer scan: one run
    assert view.table.rowCount() == 1
    qtbot.waitUntil(lambda: not view._scanning, timeout=5000)
    qtbot.wait(50)
    assert view.table.rowCount() == 1  # the older scan's empty list was not shown



def test_the_training_header_is_one_line_cut_with_an_ellipsis_and_grows_with_presentation(qtbot, gui_window):
    w, summary = gui_window, gui_window.training_view.summary
    w.tabs.setCurrentWidget(w.training_view)
    w.resize(1024, 768)
    text = "Completed 10 epochs:  " + "   ".join(["test MSE 0.01736", "FVU 0.258", "L0 7.32", "dead latents 0",
                                                 "dense latents 32", "mean activation 0.0702"] * 2)
    summary.setText(text)
    qtbot.waitUntil(lambda: summary.width() < summary.fontMetrics().horizontalAdvance(text))  # too long for it
    assert summary.toolTip() == text  # the whole, on hover
    assert summary.fontMetrics().elidedText(text, summary.elide, summary.width() - 8).endswith("…")
    small = summary.height()
    w.view.set_presentation(True)
    qtbot.waitUntil(lambda: summary.height() > small)  # one line of the larger font, not cut through
    assert summary.height() >= summary.fontMetrics().lineSpacing()


def test_leaving_presentation_gives_legends_and_bar_labels_their_normal_size_back(qtbot, gui_window):
    """Legends are laid out again at each size (their text was cut in presentation mode, and
    their boxes stayed large after it), and the probe's bar labels follow the plot's width."""
    from tests.test_gui_probe import draw_seven

    w = gui_window
    w.setGeometry(0, 0, 1280, 720)
    w.tabs.setCurrentWidget(w.probe_view)
    qtbot.waitUntil(lambda: w.probe_view.bars_place.is_built, timeout=3000)
    draw_seven(qtbot, w.probe_view.canvas)
    bars = w.probe_view.bars
    qtbot.waitUntil(lambda: bars._ticks_for is not None, timeout=3000)
    qtbot.wait(100)
    legends = [w.training_view.loss_plot.getPlotItem().legend, bars.legend, w.runs_view.frontier.legend]
    before = [legend.boundingRect().width() for legend in legends]
    texts = [max(label.boundingRect().width() for _, label in legend.items) for legend in legends]
    step = bars._ticks_for[0]

    def fits(legend):  # every entry's text inside the legend's box
        return all(label.mapRectToItem(legend, label.boundingRect()).right() <= legend.boundingRect().right() + 1
                   for _, label in legend.items)

    least = w.minimumSizeHint().width()
    w.view.set_presentation(True)
    qtbot.wait(100)
    for legend, text in zip(legends, texts):  # (the frontier's legend takes one column there: not wider)
        assert max(label.boundingRect().width() for _, label in legend.items) > 1.2 * text and fits(legend)
    w.tabs.setCurrentWidget(w.runs_view)  # the Probe hidden while the fonts change back
    qtbot.wait(100)
    w.view.set_presentation(False)
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(0, 0, 1280, 720)
    try:  # not the presentation layout's minimum, which held the window wider than the screen
        qtbot.waitUntil(lambda: abs(w.minimumSizeHint().width() - least) <= 4, timeout=2000)
    except Exception:
        pass
    assert w.minimumSizeHint().width() == pytest.approx(least, abs=4)
    w.tabs.setCurrentWidget(w.probe_view)
    qtbot.waitUntil(lambda: bars._ticks_for[0] == step, timeout=3000)  # labels spaced for the normal width
    for legend, width in zip(legends, before):
        assert legend.boundingRect().width() == pytest.approx(width, abs=2) and fits(legend)


def test_the_frontiers_legend_stays_within_its_plot_in_presentation_mode(qtbot, gui_window):
    """At 1440×900 in presentation mode the Runs tab gave the frontier 380 px (and it could be
    dragged to 280): its legend, in one column, was wider than the plot, covered the y axis and
    had its swatches cut."""
    from sae_desktop.config import TrainConfig
    from sae_desktop.qt.frontier_plot import MIN_WIDTH
    from sae_desktop.runs import RunFolder

    run = RunFolder.create(TrainConfig())  # a stopped run: the legend's widest entry, "not completed (hollow)"
    run.write_config(TrainConfig())
    run.append({"type": "summary", "status": "stopped", "epochs_done": 1, "test_mse": 0.03, "l0": 5.0,
                "dead_latents": 0, "epoch_seconds": [1.0]})
    w = gui_window
    w.setGeometry(0, 0, 1440, 900)
    w.tabs.setCurrentWidget(w.runs_view)
    frontier = w.runs_view.frontier
    box = frontier.getViewBox()

    def inside() -> bool:  # the legend's box within the view box's, in the widget's pixels
        legend = frontier.legend.mapRectToScene(frontier.legend.boundingRect())
        return box.mapRectToScene(box.boundingRect()).left() <= legend.left() + 0.5

    qtbot.waitUntil(lambda: w.runs_view.table.rowCount() == 1 and inside(), timeout=3000)
    w.view.set_presentation(True)
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(0, 0, 1440, 900)
    try:
        qtbot.wait(50)  # (the fonts: posted)
        splitter = frontier.parentWidget()
        splitter.setSizes([0, splitter.width()])  # the frontier dragged as narrow as it goes
        qtbot.waitUntil(lambda: frontier.legend.columnCount == 1 and inside(), timeout=3000)
        assert frontier.width() > MIN_WIDTH  # the plot gave way, not the legend
    finally:
        w.view.set_presentation(False)


def test_the_status_bars_model_keeps_its_words_in_presentation_mode(qtbot, gui_window):
    """Its 420 px held less of the larger text: "20261204-043753-mnist-kl, completed", without
    "Model:", beside a status bar with room to spare."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    w = gui_window
    w.setGeometry(0, 0, 1440, 900)
    run = "20261204-043753-mnist-kl"
    cfg = ModelConfig()
    w.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), f"{run}, completed (10 epochs)", run_name=run))
    label = w.model_label
    qtbot.waitUntil(lambda: label.shown_text() == f"Model: {run}, completed (10 epochs)", timeout=3000)
    normal = label.width()
    w.view.set_presentation(True)
    try:
        from PySide6.QtCore import Qt

        w.setWindowState(Qt.WindowState.WindowNoState)  # a 1440-px screen's width (full screen offscreen is 800)
        w.setGeometry(0, 0, 1440, 900)
        qtbot.waitUntil(lambda: label.font().pointSizeF() > QApplication.font().pointSizeF() / 1.5 * 1.4, timeout=3000)
        qtbot.waitUntil(lambda: label.shown_text() == f"Model: {run}, completed (10 epochs)", timeout=3000)
    finally:
        w.view.set_presentation(False)
    qtbot.waitUntil(lambda: label.width() == normal <= 420, timeout=3000)  # and back
    # no wider than its text: the status bar's messages get the rest (a 630-px label beside "Model:
    # bundled MNIST model" cut them after 250 px at 1280 px in presentation mode)
    w.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "bundled MNIST model"))
    assert label.shown_text() == "Model: bundled MNIST model"
    assert label.width() < label.fontMetrics().horizontalAdvance(label.shown_text()) + 20 < 420


def test_the_status_bars_model_is_as_wide_as_the_form_it_shows(qtbot, gui_window):
    """Sized to its whole text, a stopped run's label drew its shorter form with 90 px of blank
    beside it (the whole, with "(during epoch 2)", did not fit)."""
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    w = gui_window
    w.resize(1280, 700)
    run = "20261204-143157-mnist-kl"
    cfg = ModelConfig()
    name = f"{run}, stopped at step 565 (during epoch 2 of 10, the rest of it not trained)"
    w.shown.set(ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), name, run_name=run))
    label = w.model_label
    shown = label.shown_text()
    assert shown != f"Model: {name}" and shown.startswith("Model: ")  # a shorter form…
    drawn = label.fontMetrics().horizontalAdvance(shown)
    assert label.contentsRect().width() - drawn <= 4  # …and no wider than it


def test_the_status_bar_never_holds_a_1024_px_window_wider_in_presentation_mode(qtbot, gui_window):
    """At the end of a run in presentation mode at 1024×768, the model's label ("…, completed (10
    epochs)") beside the run's progress bar, each fixed at its whole text's width, widened the
    window to 1060 px: the header's check box and the plots' right edges were cut off."""
    from PySide6.QtCore import Qt

    from sae_desktop.config import TrainConfig

    w = gui_window
    w.panel.set_config(TrainConfig(epochs=2, batch_size=64, d_hidden=32, d_latent=8, device="cpu"))
    w.view.set_presentation(True, remember=False)
    try:
        w.setWindowState(Qt.WindowState.WindowNoState)  # (full screen offscreen is 800 × 800)
        w.resize(1024, 768)
        w.tabs.setCurrentIndex(0)
        qtbot.waitUntil(lambda: w.width() == 1024, timeout=3000)
        widths = []  # the window's width, sampled through the run and its end
        with qtbot.waitSignal(w.controller.runEnded, timeout=30000):
            w.start_action.trigger()
            while w.controller.state != "idle":
                qtbot.wait(20)
                widths.append(w.width())
        qtbot.wait(200)
        widths.append(w.width())
        assert max(widths) == 1024
        shown = w.model_label.shown_text()
        assert shown.startswith("Model: ") and "…" not in shown  # a form of it, whole
    finally:
        w.view.set_presentation(False, remember=False)


def test_a_status_message_is_cut_again_when_the_labels_beside_it_move(qtbot, gui_window):
    """Cut to the room of the moment: "Stopped at step 32, d…" stayed beside 400 px of space once
    the run's progress bar gave the device its place back."""
    from PySide6.QtWidgets import QStatusBar

    w = gui_window
    w.resize(1024, 700)
    bar = w.statusBar()
    text = "Stopped at step 32, during epoch 1. No epoch completed, so Probe and Atlas still show " * 2
    w.device_label.setFixedWidth(500)  # a wide label beside the message (as the progress bar was)
    bar.showMessage(text, 60000)
    qtbot.wait(50)
    before = QStatusBar.currentMessage(bar)
    assert before.endswith("…") and bar.currentMessage() == text
    w.device_label.hide()
    qtbot.waitUntil(lambda: len(QStatusBar.currentMessage(bar)) > len(before), timeout=2000)
    assert bar.currentMessage() == text  # the whole, as before


def test_a_status_message_has_the_room_up_to_the_model_before_any_run(qtbot, gui_window):
    """The device's label, blank until a run starts, kept its 345 px in presentation mode: at
    1280 px "Showing 20261204-103142-m…" was cut beside that much empty bar."""
    from PySide6.QtWidgets import QStatusBar

    w = gui_window
    w.resize(1280, 700)
    w.view.set_presentation(True)
    try:
        bar = w.statusBar()
        assert w.device_label.text() == "" and w.device_label.isVisible()
        qtbot.waitUntil(lambda: w.device_label.width() <= 12, timeout=2000)
        text = "Showing 20261204-103142-mnist-jumprelu in Probe and Atlas. " * 4
        bar.showMessage(text, 60000)
        metrics = bar.fontMetrics()
        # cut where the model's label begins (less the gap before it), not 345 px before it (once the
        # labels have settled: the message is cut again as they move; on a busy machine 50 ms was short)
        qtbot.waitUntil(lambda: metrics.horizontalAdvance(QStatusBar.currentMessage(bar))
                        > w.model_label.x() - 4 * metrics.averageCharWidth() - 30, timeout=3000)
        assert QStatusBar.currentMessage(bar).endswith("…") and bar.currentMessage() == text
        w.device_label.setText("Device: cpu (2 threads)")  # a run started: the device has its room
        qtbot.waitUntil(lambda: w.device_label.shown_text() == "Device: cpu (2 threads)", timeout=2000)
    finally:
        w.view.set_presentation(False)


def test_many_latents_mean_activation_bars_show_in_the_dark_theme(qtbot, gui_window):
    """With 256 latents the bars were all outline, in the light theme's dark grey: near invisible
    on the dark plot."""
    from sae_desktop.qt.plot_style import COLORS

    w = gui_window
    w.tabs.setCurrentWidget(w.training_view)
    plot = w.training_view.rho_plot
    theme.apply(theme.DARK)
    try:
        plot.clear_data(256)
        plot.set_test_values(np.full(256, 0.05), "epoch 1")
        plot.refresh()
        blue = QColor(COLORS["bars"])

        def blue_pixels() -> int:
            image = plot.grab().toImage()
            return sum(max(abs(image.pixelColor(x, y).red() - blue.red()), abs(image.pixelColor(x, y).green()
                           - blue.green()), abs(image.pixelColor(x, y).blue() - blue.blue())) < 40
                       for x in range(0, image.width(), 2) for y in range(0, image.height(), 3))

        qtbot.waitUntil(lambda: blue_pixels() > 300, timeout=3000)  # a band of blue bars, not dark outlines
    finally:
        theme.apply(theme.LIGHT)


def test_the_mouse_wheel_scrolls_the_training_panel_without_changing_a_setting(qtbot, gui_window):
    """Scrolling the panel with the wheel changed the batch size that passed under the pointer
    (128 became 127, unseen); a box takes the wheel only once focused (click or Tab)."""
    from PySide6.QtCore import QPoint, QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication, QScrollArea

    gui_window.resize(1280, 720)
    panel = gui_window.panel
    batch, penalty = panel.inputs["batch_size"], panel.inputs["penalty"]
    before = (batch.value(), penalty.currentIndex())
    scroll = batch.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    bar = scroll.verticalScrollBar()
    bar.setValue(0)

    def wheel(widget, clicks=-1):
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                            QPoint(0, 120 * clicks), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                            Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(widget, event)

    gui_window.tabs.currentWidget().setFocus()
    for widget in (batch, penalty):
        wheel(widget)
    assert (batch.value(), penalty.currentIndex()) == before
    # (the panel scrolls instead: a real wheel turn propagates; a sent one stops at the box)
    batch.setFocus()
    wheel(batch)
    assert batch.value() == before[0] - 1  # focused, the wheel still steps it


def test_the_checked_drawing_tool_stands_out_in_both_themes(qtbot, gui_window):
    """In the dark theme Fusion's checked shade (one step darker) left Brush and Eraser alike."""
    from PySide6.QtWidgets import QToolButton

    probe = gui_window.probe_view
    gui_window.tabs.setCurrentWidget(probe)
    buttons = {b.defaultAction(): b for b in probe.findChildren(QToolButton) if b.defaultAction() is not None}
    brush, eraser = buttons[probe.tools.brush_action], buttons[probe.tools.eraser_action]

    def mean_colour(button) -> np.ndarray:
        image = button.grab().toImage()
        return np.mean([QColor(image.pixel(x, y)).getRgb()[:3] for x in range(2, image.width() - 2, 3)
                        for y in range(2, image.height() - 2, 3)], axis=0)

    for t in (LIGHT, DARK):
        theme.apply(t)
        probe.tools.set_eraser(False)
        qtbot.wait(20)
        on, off = mean_colour(brush), mean_colour(eraser)
        assert np.abs(on - off).sum() > 60, (t.name, on, off)  # the checked one is plainly another colour


def test_check_boxes_are_outlined_plainly_in_the_dark_theme(qtbot, gui_window):
    """Fusion outlines a check box a shade darker than the window: on the dark theme's window
    "Resample dead" was a black square on near black."""
    from PySide6.QtWidgets import QCheckBox, QStyle, QStyleOptionButton

    box = gui_window.panel.findChildren(QCheckBox)[0]

    def outline_contrast() -> float:
        image = box.grab().toImage()
        option = QStyleOptionButton()
        box.initStyleOption(option)
        rect = box.style().subElementRect(QStyle.SubElement.SE_CheckBoxIndicator, option, box)
        background = np.array(QColor(image.pixel(rect.right() + 2, rect.center().y())).getRgb()[:3], float)
        edge = [np.array(QColor(image.pixel(x, rect.top())).getRgb()[:3], float)
                for x in range(rect.left() + 3, rect.right() - 2)]
        return float(np.mean([np.abs(e - background).max() for e in edge]))

    theme.apply(DARK)
    qtbot.wait(20)
    assert outline_contrast() > 30  # it was 11: the outline all but the colour around it (now 38)
    theme.apply(LIGHT)
    qtbot.wait(20)
    assert outline_contrast() > 30  # (Fusion's own outline, unchanged)


def test_the_comparison_strip_follows_the_theme_and_is_no_taller_than_its_digits(qtbot, gui_window):
    """It kept a white background in the dark theme, and grew into an empty frame that pushed
    the captions and the codes below the fold."""
    from sae_desktop.qt.compare_view import STRIP_ASPECT

    runs = gui_window.runs_view
    gui_window.resize(1280, 720)
    gui_window.tabs.setCurrentWidget(runs)
    model = gui_window.shown.snapshot
    runs.compare.set_models(model, model)
    qtbot.wait(50)
    strip = runs.compare.strip
    assert strip.height() <= strip.width() * STRIP_ASPECT + 30
    theme.apply(DARK)
    assert strip.backgroundBrush().color().name() == DARK.plot_background
    for bar in runs.compare.bars:  # the codes' colour scales: their ticks and label in the theme's ink
        for side in ("left", "right"):
            assert bar.getAxis(side).textPen().color().name() == DARK.plot_foreground


def test_two_relu_models_codes_share_one_colour_scale(qtbot, gui_window):
    """A's scale read 0-17 beside B's 0-27: one colour stood for two values side by side. Two
    unbounded (ReLU-like) codes share one scale; a sigmoid's keeps its 0-1."""
    import torch

    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.compare.test_set.get("mnist") is not None, timeout=10000)
    torch.manual_seed(0)
    models = []
    for name, scale in (("a", 1.0), ("b", 3.0)):
        cfg = ModelConfig(d_hidden=16, d_latent=8, latent="relu")
        weights = {k: v * scale if k.startswith("W_enc") else v for k, v in SparseAutoencoder(cfg).snapshot().items()}
        models.append(ModelSnapshot(cfg, weights, name))
    runs.compare.set_models(*models)
    levels = [tuple(bar.levels()) for bar in runs.compare.bars]
    assert levels[0] == levels[1] and levels[0][1] > 0
    runs.compare.set_models(gui_window.shown.snapshot, models[1])  # the bundled model's sigmoid: 0-1
    assert tuple(runs.compare.bars[0].levels()) == (0.0, 1.0) and runs.compare.bars[1].levels()[1] != 1.0


def test_matched_latents_say_which_are_dead(qtbot):
    """The mean matched similarity averaged in dead latents' noise tiles unsaid (0.250 over 32
    pairs, most of both models' latents dead), and a pair's tooltip did not mark them."""
    import torch

    from sae_desktop.config import ModelConfig
    from sae_desktop.evaluation import Evaluation
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.qt.match_view import MatchView
    from sae_desktop.snapshot import ModelSnapshot

    torch.manual_seed(0)
    cfg = ModelConfig(d_hidden=16, d_latent=8)
    latents = np.full((20, 8), 0.3, np.float32)
    latents[:, :3] = 0.0  # latents 0-2 never fire: dead
    models = [ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), name).with_evaluation(
        Evaluation(np.full(20, 0.02), latents, 0.1)) for name in "ab"]
    view = MatchView()
    qtbot.addWidget(view)
    view.set_models(*models)
    m = view.matching
    live = ~np.isin(m.a, [0, 1, 2]) & ~np.isin(m.b, [0, 1, 2])
    text = view.summary.text()
    assert "Dead latents in the pairs: A 3, B 3" in text and f"the {int(live.sum())} live pairs: mean" in text
    assert f"{m.similarity[live].mean():.3f}" in text and "unpaired" not in text
    # and faded, as in the Atlas (at full strength a dead latent's noise read as a feature)
    from sae_desktop.atlas import DEAD_FADE, decoder_tiles, normalise_tiles

    full = normalise_tiles(decoder_tiles(models[0], models[0].evaluation))[m.a]
    dead_a = np.isin(m.a, [0, 1, 2])
    assert dead_a.any() and np.allclose(view.tiles[0][dead_a], full[dead_a] * DEAD_FADE)
    assert np.allclose(view.tiles[0][~dead_a], full[~dead_a])
    first = int(m.a[0]), int(m.b[0]), float(m.similarity[0])
    tip = view.pair_text(*first)
    assert ("(dead) ↔" in tip) == (first[0] < 3) and tip.endswith(f"cosine similarity {first[2]:.3f}")
    wide_cfg = ModelConfig(d_hidden=16, d_latent=20)  # B wider: 8 pairs, and B's dead counted among them
    wide_latents = np.full((20, 20), 0.3, np.float32)
    wide_latents[:, 10:] = 0.0  # 10 of B's latents dead
    wide = ModelSnapshot(wide_cfg, SparseAutoencoder(wide_cfg).snapshot(), "wide").with_evaluation(
        Evaluation(np.full(20, 0.02), wide_latents, 0.1))
    view.set_models(models[0], wide)
    in_pairs = int(np.sum(view.matching.b >= 10))
    assert "over 8 pairs (B's other 12 latents unpaired)" in view.summary.text()
    assert f"Dead latents in the pairs: A 3, B {in_pairs};" in view.summary.text()


def test_the_matched_latents_count_agrees_with_the_captions(qtbot, monkeypatch):
    """"0 pairs at 0.7 or more" sat above a first pair captioned "0.70" (its similarity 0.699)."""
    import torch

    from sae_desktop import matching
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.qt.match_view import MatchView
    from sae_desktop.snapshot import ModelSnapshot

    torch.manual_seed(0)
    cfg = ModelConfig(d_hidden=16, d_latent=4)
    models = [ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), name) for name in "ab"]
    given = matching.Matching(np.arange(4), np.arange(4), np.array([0.699, 0.6949, 0.5, 0.1]))
    monkeypatch.setattr(matching, "match_models", lambda a, b: given)
    view = MatchView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.set_models(*models)
    captions = [label.toPlainText() for label in view.labels]
    assert captions[:2] == ["0.70", "0.69"]
    assert "; 1 pair at 0.70 or more" in view.summary.text()


def test_the_comparisons_codes_grow_with_the_text_in_presentation_mode(qtbot, gui_window):
    """At 170 px in presentation mode the codes' eight row labels ran together ("4 4 5 0 0 9 1 3"
    as one blob) and their axis label was cut; side by side at 1024×768, their titles overlapped."""
    from sae_desktop.qt.compare_view import CODES_HEIGHT

    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    model = gui_window.shown.snapshot
    runs.compare.set_models(model, model)
    codes = runs.compare.plots[1:]
    def named():  # every row named (the plots grown to a text line a row, as the layout settles)
        return all(text for p in codes for _, text in p.getAxis("left")._tickLevels[0])

    qtbot.waitUntil(named, timeout=3000)
    least = [p.minimumHeight() for p in codes]  # (CODES_HEIGHT's, or taller: a text line a row)
    assert all(h >= CODES_HEIGHT[0] for h in least)
    gui_window.view.set_presentation(True)
    try:
        qtbot.waitUntil(lambda: all(p.minimumHeight() >= 1.4 * CODES_HEIGHT[0] and p.height() >= p.minimumHeight()
                                    for p in codes) and named(), timeout=3000)
    finally:
        gui_window.view.set_presentation(False)
    qtbot.waitUntil(lambda: [p.minimumHeight() for p in codes] == least, timeout=3000)


def test_axis_labels_fit_their_axes_in_a_narrow_window(qtbot, gui_window):
    """At 1216 px "latent (test set, epoch 2)" ran past the plot's edge (its ")" cut off), and
    the class chart's "mean activation" showed as "vation": a label takes a shorter form."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.plot_style import label_font

    w = gui_window
    w.resize(1024, 768)
    view = w.training_view
    w.tabs.setCurrentWidget(view)
    w.view.set_presentation(True)  # text 1.5× (a desktop's large font does the same)
    w.setWindowState(Qt.WindowState.WindowNoState)
    w.setGeometry(0, 0, 1024, 768)
    qtbot.wait(150)
    view.rho_plot.set_test_values(np.full(32, 0.05), "epoch 10")
    view.histogram.set_histogram(np.ones(40), np.linspace(0, 1, 41), 0.1, "epoch 10")
    view.refresh_all()
    qtbot.wait(50)

    def fits(plot, side):
        axis = plot.getAxis(side)
        room = axis.width() if side == "bottom" else axis.height()
        return QFontMetrics(label_font(axis)).horizontalAdvance(axis.labelText) <= room

    for plot in (view.rho_plot, view.histogram):
        assert fits(plot, "bottom") and "epoch 10" in plot.getAxis("bottom").labelText  # the source stays said
    assert "test" in view.rho_plot.getAxis("bottom").labelText
    view.rho_plot.add_batch_estimate(np.full(32, 0.05))  # while a run trains: the axis is still named
    view.refresh_all()
    qtbot.wait(50)
    assert fits(view.rho_plot, "bottom") and view.rho_plot.getAxis("bottom").labelText.startswith("latent")
    w.tabs.setCurrentWidget(w.atlas_view)
    w.atlas_view.select(0)
    qtbot.wait(50)
    assert fits(w.atlas_view.dashboard.classes, "left")
    w.view.set_presentation(False)


def test_in_presentation_mode_the_class_plot_has_room_for_its_ticks(qtbot, gui_window):
    """At 1.5× text the by-class plot kept its 130 px: ~40 px for the bars, its y ticks ran
    together ("0.10" over "0.08") and its label read "m…"."""
    from PySide6.QtGui import QFontMetrics

    w = gui_window
    qtbot.waitUntil(lambda: w.shown.snapshot.evaluation is not None, timeout=10000)
    w.tabs.setCurrentWidget(w.atlas_view)
    w.view.set_presentation(True)
    w.atlas_view.select(3)
    qtbot.waitUntil(lambda: w.test_set.get("mnist") is not None, timeout=10000)
    w.atlas_view.select(3)
    qtbot.wait(100)
    plot = w.atlas_view.dashboard.classes
    axis = plot.getAxis("left")
    _, (y0, y1) = plot.getViewBox().viewRange()
    major, values = axis.tickValues(y0, y1, axis.height())[0]
    line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    assert len(values) >= 2 and major * axis.height() / (y1 - y0) >= line  # a line apart at least
    assert axis.labelText in ("mean activation", "mean")  # one of its forms, not cut ("m…")
    w.view.set_presentation(False)
    assert plot.minimumHeight() == 130


@pytest.mark.parametrize("top", [4.18, 0.418, 1.1, 45.0, 9.9])
def test_a_short_spaced_axis_always_shows_two_values(qtbot, top):
    """The Atlas's by-class chart of a latent whose class means reach 3.8 (its axis to 4.18) showed "0" alone: a
    span of 4-5 × 10ⁿ rounded the step up past the top. Two labels at least, a line apart at least."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.log_axis import SpacedAxis

    axis = SpacedAxis("left")
    size = 70  # px: the chart's height
    major, values = axis.tickValues(0.0, top, size)[0]
    assert len([v for v in values if 0 <= v <= top]) >= 2, (top, values)
    line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
    assert major * size / top >= line  # (apart by a text line at least)


def test_an_axis_label_is_fitted_by_the_width_it_is_drawn_at(qtbot, monkeypatch):
    """In a real X window "latent (training batches, smoo" was cut at the plot's edge: the text came
    out wider than the font's metrics said. Metrics that say every text fits (a tiny font) stand
    in for that here: the label drawn still fits its axis."""
    from PySide6.QtGui import QFont

    from sae_desktop.qt import plot_style

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(260, 200)
    plot.show()
    qtbot.waitExposed(plot)
    monkeypatch.setattr(plot_style, "label_font", lambda axis: QFont("DejaVu Sans", 1))
    texts = ("latent (training batches, smoothed)", "latent (training batches)", "latent")
    plot_style.fit_axis_label(plot, "bottom", *texts)
    axis = plot.getAxis("bottom")
    assert axis.labelText in texts[1:] and axis.label.boundingRect().width() <= axis.width()


def test_an_axis_label_that_grows_is_centred_again(qtbot):
    """"latent (training batches, smoc" during training: after an epoch's "latent (test set, epoch
    13)", the longer text began where the shorter one had (pyqtgraph centres a label only when
    its axis is resized) and ran past the plot's right edge."""
    from sae_desktop.qt import plot_style

    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.resize(330, 200)
    plot.show()
    qtbot.waitExposed(plot)
    axis = plot.getAxis("bottom")
    for text in ("latent (test set, epoch 13)", "latent (training batches, smoothed)"):
        plot_style.fit_axis_label(plot, "bottom", text, "latent")
        qtbot.wait(10)
        left, width = axis.label.pos().x(), axis.label.boundingRect().width()
        assert axis.labelText == text and left >= 0 and left + width <= axis.width()
        assert abs(left + width / 2 - axis.width() / 2) <= 1  # centred under the plot


def test_settling_the_layouts_leaves_no_python_wrappers_of_layout_items(qtbot, gui_window):
    """Presentation mode recomputes every layout. Walking them with ``itemAt`` made Python
    wrappers of their spacer items that outlived the items; a widget made later at a spacer's
    address came back from ``QApplication.allWidgets()`` as a QSpacerItem, and the theme's
    loop over the widgets failed every later test of a CI run."""
    import shiboken6
    from PySide6.QtWidgets import QLayoutItem

    def item_wrappers():
        return [w for w in shiboken6.getAllValidWrappers()
                if isinstance(w, QLayoutItem) and not isinstance(w, (QLayout, QWidget))]

    before = len(item_wrappers())
    gui_window.view._settle_layouts()
    assert len(item_wrappers()) == before


@pytest.mark.parametrize("shape, size", [((28, 28), (71, 71)), ((400, 247), (93, 93)), ((20, 12), (70, 70))])
def test_a_picture_is_drawn_inside_its_frame_whatever_its_scale(qtbot, shape, size):
    """At a fractional scale the picture ran one pixel past its grey frame on the right (a light
    or dark column beside the "ink box", "stroke width" and 28×28 tiles)."""
    from sae_desktop.qt.image_tile import ImageTile

    tile = ImageTile("x", 48)
    qtbot.addWidget(tile)
    tile.resize(*size)
    tile.show()
    tile.set_grey(np.ones(shape))  # white: anything outside the frame shows against the window
    qtbot.wait(10)
    image = tile.pixels.grab().toImage()
    rect = tile.pixels.picture_rect()
    y = int(rect.center().y())
    row = [image.pixelColor(x, y).lightness() for x in range(image.width())]
    frame = [x for x, v in enumerate(row) if v < 200]  # the grey frame's two columns on this row
    assert len(frame) == 2, row
    assert all(v == 255 for v in row[frame[0] + 1:frame[1]])  # the picture inside…
    assert not any(v == 255 for v in row[:frame[0]] + row[frame[1] + 1:])  # …and none of it outside


def test_a_large_picture_shrunk_into_its_tile_keeps_its_thin_strokes(qtbot):
    """A 2000-px photo's stage drawn in a ~50-px tile by sampling: a 14-px diagonal stroke fell
    between the samples, shown as three dashes (a lecturer: "the paper removal broke the 4")."""
    from sae_desktop.qt.image_tile import ImageTile

    tile = ImageTile("paper removed", 48)
    qtbot.addWidget(tile)
    tile.resize(60, 70)
    tile.show()
    picture = np.zeros((2000, 2000))
    for i in range(2000):
        picture[i, 493 + i // 2:507 + i // 2] = 1.0  # a white slanted stroke 14 px wide on black
    tile.set_grey(picture)
    qtbot.wait(10)
    image = tile.pixels.grab().toImage()
    rect = tile.pixels.picture_rect().adjusted(3, 3, -3, -3)  # (the frame and its neighbours left out)
    rows = [max(image.pixelColor(x, y).lightness() for x in range(int(rect.left()), int(rect.right())))
            for y in range(int(rect.top()), int(rect.bottom()))]
    assert len(rows) > 30
    assert min(rows) >= 40, rows  # the stroke on every row, dimmed (its share of a pixel), never gone
    assert max(rows) < 200  # averaged, not one sampled pixel at full white


def test_leaving_presentation_gives_the_verdict_its_figures_back(qtbot, gui_window):
    """The verdict shows its figures where they fit in four lines, its headline alone where not
    (presentation's larger font). Its label had grown taller there, and QLabel measures text as at
    least the label's own height: back in normal mode the figures never came back."""
    w = gui_window
    w.resize(1440, 900)
    view = w.probe_view
    w.tabs.setCurrentWidget(view)
    view.browser.index.setValue(9544)
    qtbot.waitUntil(lambda: view.result is not None, timeout=5000)
    qtbot.wait(50)
    before = (view.ood_label.text(), view.ood_label.height())
    assert "unexplained" in before[0]  # the figures, at 1440×900
    w.view.set_presentation(True)
    qtbot.wait(50)
    w.view.set_presentation(False)
    w.showNormal()
    w.resize(1440, 900)
    qtbot.wait(100)
    assert (view.ood_label.text(), view.ood_label.height()) == before


def test_inactive_latents_recede_in_the_dark_theme_too(qtbot, gui_window):
    """On the dark plot the inactive bars' light grey outshone the active blue ones."""
    w = gui_window
    w.tabs.setCurrentWidget(w.probe_view)
    w.probe_view.browser.index.setValue(3)
    qtbot.waitUntil(lambda: w.probe_view.bars_place.is_built and w.probe_view.result is not None, timeout=5000)
    bars = w.probe_view.bars

    def lightness(kind):
        brushes = bars.bars.opts["brushes"]
        return {b.color().lightness() for b, k in zip(brushes, kinds()) if k == kind}

    def kinds():
        return ["active" if v > bars.config.active_threshold else "inactive" for v in bars.latents[bars.order]]

    for mode in ("dark", "light"):
        w.view.theme_actions[mode].trigger()
        background = QColor(theme.current().plot_background).lightness()
        inactive, active = lightness("inactive"), lightness("active")
        assert len(inactive) == len(active) == 1
        # nearer the plot's background than the active bars are: they recede
        assert abs(inactive.pop() - background) < abs(active.pop() - background), mode


def test_the_frontiers_legend_stays_inside_the_plot_in_presentation_mode(qtbot, gui_window):
    """Two columns of presentation's larger text ran over the y axis; it takes one column there,
    and the room above the points follows its height."""
    from PySide6.QtCore import QPointF

    w = gui_window
    w.resize(1440, 900)
    frontier = w.runs_view.frontier
    w.tabs.setCurrentWidget(w.runs_view)

    def check() -> int:
        qtbot.wait(100)
        legend, box = frontier.legend.sceneBoundingRect(), frontier.getViewBox()
        points = [box.mapViewToScene(QPointF(r["l0"], r["test_mse"])) for r in frontier.reference]
        assert legend.left() >= box.sceneBoundingRect().left() and not any(legend.contains(p) for p in points)
        return frontier.legend.columnCount

    assert check() == 3
    w.view.set_presentation(True)
    w.runs_view.splits.split(2 / 3)  # beside a comparison: one column
    assert check() == 1
    w.view.set_presentation(False)
    w.showNormal()
    w.resize(1440, 900)
    w.runs_view.splits.split(1 / 3)
    assert check() == 3


def contrast(colour: QColor, background: str) -> float:
    """How far ``colour``, drawn at its opacity over ``background``, stands out from it (lightness)."""
    a, back = colour.alphaF(), QColor(background)
    return abs(a * colour.lightness() + (1 - a) * back.lightness() - back.lightness())


def test_faint_lines_and_filled_bars_stand_out_on_the_dark_plot_as_on_the_light(qtbot, gui_window):
    """At the light theme's opacities the losses of each report and the feature density's bars all
    but vanished into the dark plot (fresh-eyes pass): they stand out as much on either."""
    w = gui_window
    loss, density = w.training_view.loss_plot, w.atlas_view.density_plot.curve

    def shown(t):
        return ([contrast(loss.raw[column].opts["pen"].color(), t.plot_background) for column in loss.raw]
                + [contrast(pg.mkBrush(density.opts["fillBrush"]).color(), t.plot_background)])
    on_light = shown(LIGHT)
    w.view.theme_actions["dark"].trigger()
    on_dark = shown(DARK)
    assert all(dark >= 0.9 * light for dark, light in zip(on_dark, on_light)), (on_dark, on_light)
    w.view.theme_actions["light"].trigger()
    assert shown(LIGHT) == on_light


def test_the_frontiers_faint_points_and_glow_stand_out_on_the_dark_plot_as_on_the_light(qtbot, gui_window):
    """On the dark plot the reference points all but vanished, their legend swatch too, and the
    selection's glow turned a dull olive (fresh-eyes pass); the runs' own points still stand out more."""
    from sae_desktop.qt.frontier_plot import PENALTY_COLOURS

    frontier = gui_window.runs_view.frontier

    def shown(t):
        faint = [contrast(brush.color(), t.plot_background) for brush in frontier.reference_scatter.data["brush"]]
        glow = frontier.selected_marks.opts["symbolBrush"]
        return faint, contrast(frontier.reference_sample.opts["brush"].color(), t.plot_background), \
            contrast(pg.mkBrush(glow).color(), t.plot_background)
    if not frontier.reference:
        pytest.skip("no reference runs shipped")
    (faint, swatch, glow), light = shown(LIGHT), LIGHT
    gui_window.view.theme_actions["dark"].trigger()
    try:
        dark_faint, dark_swatch, dark_glow = shown(DARK)
        assert min(dark_faint) >= 0.95 * min(faint) and dark_swatch >= 0.95 * swatch and dark_glow >= 0.95 * glow
        runs = [contrast(QColor(c), DARK.plot_background) for c in PENALTY_COLOURS.values()]
        assert max(dark_faint) < min(runs)  # still fainter than any run's point
    finally:
        gui_window.view.theme_actions["light"].trigger()
    assert shown(light)[1] == swatch


def test_in_presentation_mode_the_status_bars_last_label_keeps_off_the_screens_edge(qtbot, gui_window):
    """Full screen has no size grip: "Device: cpu (2 threads)" touched the right edge of the screen."""
    window = gui_window
    window.device_label.setText("Device: cpu (2 threads)")
    window.view.set_presentation(True)
    try:
        bar = window.statusBar()
        qtbot.waitUntil(lambda: window.isFullScreen(), timeout=2000)
        qtbot.wait(100)
        shown = [w for w in (window.model_label, window.device_label, window.run_brief) if w.isVisible()]
        right = max(w.geometry().right() for w in shown)
        assert right <= bar.width() - 6, (right, bar.width())
    finally:
        window.view.set_presentation(False)


def test_a_wide_dictionarys_codes_show_the_latents_active_on_the_digits(qtbot, gui_window):
    """A 1024-latent model's codes were 1024 columns in a ~300-px plot: a third of a pixel each, its
    16 active latents per digit specks. A wide code shows the latents active on these digits, named
    on its axis; a small one every latent."""
    import torch

    from sae_desktop.architecture import active
    from sae_desktop.config import ModelConfig
    from sae_desktop.model import SparseAutoencoder
    from sae_desktop.snapshot import ModelSnapshot

    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.compare.test_set.get("mnist") is not None, timeout=10000)
    torch.manual_seed(0)
    cfg = ModelConfig(d_hidden=16, d_latent=512, latent="topk", k=4)
    wide = ModelSnapshot(cfg, SparseAutoencoder(cfg).snapshot(), "wide")
    small = gui_window.shown.snapshot  # the bundled model: 32 latents
    runs.compare.set_models(wide, small)
    test = runs.compare.test_set.get("mnist")
    x = test.images[runs.compare.indices].reshape(len(runs.compare.indices), -1).astype(np.float32) / 255.0
    z = wide.encode(x)
    lit = np.flatnonzero(active(z, cfg.active_threshold).any(axis=0))
    assert 0 < len(lit) <= 4 * len(x)
    shown = runs.compare.codes[0].image
    assert shown.shape == (len(x), len(lit)) and np.array_equal(shown, z[:, lit])
    axis = runs.compare.plots[1].getAxis("bottom")
    assert axis.labelText == f"latent (the {len(lit)} of 512 active on these digits)"
    named = [(pos, text) for pos, text in axis._tickLevels[0]]
    assert named and all(text == str(lit[int(pos)]) for pos, text in named)  # each column named by its latent
    assert runs.compare.codes[1].image.shape == (len(x), 32)  # the small one: every latent, numbered as usual
    assert runs.compare.plots[2].getAxis("bottom").labelText == "latent"
    small_ticks = runs.compare.plots[2].getAxis("bottom")._tickLevels[0]  # every 5th, at the columns' centres
    assert small_ticks == [(i + 0.5, str(i)) for i in range(0, 32, 5)]


@pytest.mark.parametrize("ratio", [1.0, 1.25, 1.5, 2.0])
def test_a_pictures_frame_is_as_wide_on_every_side_and_holds_it_at_any_display_scale(qtbot, ratio):
    """At 1.5× and 2× (a 4K laptop, a projector) a tile's 1-px frame was 2 px on one side, 1 on the
    others, and a row and a column of its picture showed outside it; so was the canvas's."""
    from PySide6.QtGui import QImage

    from sae_desktop.qt.canvas import DrawingCanvas

    tile = ImageTile("x", 96)
    canvas = DrawingCanvas()
    for widget in (tile, canvas):
        qtbot.addWidget(widget)
    tile.set_grey(np.zeros((28, 28)))  # black: frame grey, window light
    tile.resize(131, 160)
    canvas.resize(203, 203)
    for widget in (tile, canvas):
        widget.show()
        qtbot.waitExposed(widget)
    for widget, frame_colour in ((tile.pixels, QColor("#999999")), (canvas, QColor("#888888"))):
        image = QImage(round(widget.width() * ratio), round(widget.height() * ratio), QImage.Format.Format_RGB32)
        image.setDevicePixelRatio(ratio)
        image.fill(QColor(255, 0, 255))
        widget.render(image)
        rgb = np.array([[QColor(image.pixel(x, y)).rgb() & 0xFFFFFF for x in range(image.width())]
                        for y in range(image.height())])
        frame = frame_colour.rgb() & 0xFFFFFF
        rows, columns = np.nonzero(rgb == frame)
        top, bottom, left, right = rows.min(), rows.max(), columns.min(), columns.max()
        inside = rgb[top:bottom + 1, left:right + 1]
        middle_row, middle_column = inside[inside.shape[0] // 2], inside[:, inside.shape[1] // 2]

        lines = (middle_row, middle_row[::-1], middle_column, middle_column[::-1])
        widths = {int(np.argmax(line != frame)) for line in lines}  # frame pixels from each edge in
        assert widths == {max(1, round(ratio))}, (widget, ratio, widths)
        picture = np.isin(rgb, [0x000000])  # the picture's black
        assert picture[top:bottom + 1, left:right + 1].sum() == picture.sum() > 0  # none outside its frame



def test_lines_are_as_thick_beside_text_at_any_display_scale(qtbot, gui_window, monkeypatch):
    """Qt draws pyqtgraph's (cosmetic) pens in device pixels: at 2× (a projector, a 4K laptop) the
    dotted "active above" lines were hairlines, every curve half as thick as beside text of its size,
    and the lines of a legend's samples for lines not in the plot were never scaled at all."""
    from sae_desktop.qt.plot_style import scale_plot

    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    gui_window.probe_view.complete()
    bars = gui_window.probe_view.bars
    sample = bars.samples["threshold"]  # the legend's sample of the threshold
    before = bars.threshold.pen.widthF(), sample.opts["pen"].widthF()
    monkeypatch.setattr(bars, "devicePixelRatioF", lambda: 2.0)
    scale_plot(bars, 1.0)  # as style_plot does for a plot on a 2× display
    assert (bars.threshold.pen.widthF(), sample.opts["pen"].widthF()) == (2 * before[0], 2 * before[1])
    scale_plot(bars, 1.5)  # presentation mode on it: 1.5 × 2, from the first widths
    assert bars.threshold.pen.widthF() == 3 * before[0]
    monkeypatch.undo()
    scale_plot(bars, 1.0)
    assert bars.threshold.pen.widthF() == before[0]


def test_bottom_axis_ticks_point_away_from_the_bars_standing_on_it(qtbot, gui_window):
    """pyqtgraph's ticks point into the plot: the Probe's code bars (and the histograms') each had
    a dark stroke drawn up through their foot."""
    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    gui_window.probe_view.complete()
    training = gui_window.training_view
    plots = [gui_window.probe_view.bars, training.histogram, training.rho_plot, training.sparsity_plot,
             training.loss_plot, gui_window.atlas_view.up_to_date().dashboard.classes]
    assert all(plot.getAxis("bottom").style["tickLength"] > 0 for plot in plots)  # (toward the labels)


def test_a_window_moved_to_a_screen_of_another_scale_draws_its_lines_for_it(qtbot, gui_window, monkeypatch):
    """Dragged from a laptop's 2× screen to a projector's 1×, the plots kept the first screen's lines."""
    from PySide6.QtCore import QCoreApplication, QEvent

    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    gui_window.probe_view.complete()
    bars = gui_window.probe_view.bars
    before = bars.threshold.pen.widthF()
    monkeypatch.setattr(bars, "devicePixelRatioF", lambda: 2.0)  # the new screen's
    QCoreApplication.sendEvent(gui_window, QEvent(QEvent.Type.DevicePixelRatioChange))
    qtbot.waitUntil(lambda: bars.threshold.pen.widthF() == 2 * before, timeout=2000)


def test_the_training_panel_shown_in_presentation_mode_is_as_wide_as_its_larger_text(qtbot, gui_window):
    """Shown from the View menu in presentation mode it kept the normal text's width: "Quality p",
    "95,278 images/" and the run bar's "epoch 10 of 10 – 100%" were cut. Leaving, it is as it was."""
    window = gui_window
    window.resize(1600, 900)
    qtbot.waitUntil(lambda: window.dock.isVisible() and window.dock.width() > 0, timeout=3000)
    before = window.dock.width()
    window.dock.toggleViewAction().trigger()
    window.dock.toggleViewAction().trigger()  # hidden and shown in the normal text: the user's width kept
    qtbot.wait(50)
    assert window.dock.width() == before
    try:
        window.view.set_presentation(True, remember=False)
        assert not window.dock.isVisible()
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowFullScreen)  # (offscreen: a screen
        window.resize(1920, 1080)  # of a projector's size, not its own)
        window.dock.toggleViewAction().trigger()
        panel = window.dock.panel
        qtbot.waitUntil(lambda: window.dock.width() >= panel.sizeHint().width() > before, timeout=3000)
        assert panel.width() >= panel.sizeHint().width()  # its fields whole
    finally:
        window.view.set_presentation(False, remember=False)
    qtbot.waitUntil(lambda: window.dock.width() == before, timeout=3000)


def test_threshold_lines_take_the_plots_text_colour(qtbot, gui_window):
    """The Atlas dashboard's and the Probe's dotted "active above" lines were a fixed grey, all but
    invisible on the dark theme's plot (the Training histogram's had been fixed alone)."""
    gui_window.tabs.setCurrentWidget(gui_window.probe_view)
    gui_window.probe_view.complete()
    bars = gui_window.probe_view.bars
    dashboard = gui_window.atlas_view.up_to_date().dashboard
    width = bars.threshold.pen.widthF()
    try:
        for mode, t in (("dark", DARK), ("light", LIGHT)):
            gui_window.view.theme_actions[mode].trigger()
            histogram = gui_window.training_view.histogram  # (the Training tab's, one recolouring for all)
            lines = [bars.threshold.pen, bars.samples["threshold"].opts["pen"], dashboard.threshold.pen,
                     histogram.threshold.pen, histogram._threshold_sample.opts["pen"]]
            assert all(pen.color() == QColor(t.plot_foreground) for pen in lines), mode
            assert all(pen.style() == Qt.PenStyle.DotLine for pen in lines) and bars.threshold.pen.widthF() == width
    finally:
        gui_window.view.theme_actions["light"].trigger()


def test_the_compared_codes_name_their_rows_a_text_line_apart(qtbot, gui_window):
    """At 1280×720 the eight digit labels of a code's rows, ~10 px apart, were drawn over each other."""
    from PySide6.QtGui import QFontMetrics

    from sae_desktop.qt.compare_view import row_ticks
    from sae_desktop.qt.plot_style import label_font

    from sae_desktop.qt.compare_view import column_ticks

    # each latent's number at its column's centre (pyqtgraph's own ticks sat on the columns' left edges)
    assert column_ticks(np.arange(32)) == [(i + 0.5, str(i)) for i in range(0, 32, 5)]
    assert column_ticks(np.arange(64))[:2] == [(0.5, "0"), (10.5, "10")]
    assert column_ticks(np.array([3, 17, 40]))[1] == (1.5, "17")  # (a wide dictionary's active columns)
    assert row_ticks(list("abcd"), 20.0, 14.0) == [(0.5, "a"), (1.5, "b"), (2.5, "c"), (3.5, "d")]
    assert row_ticks(list("abcd"), 10.0, 14.0) == [(0.5, "a"), (1.5, ""), (2.5, "c"), (3.5, "")]
    runs = gui_window.runs_view
    gui_window.tabs.setCurrentWidget(runs)
    qtbot.waitUntil(lambda: runs.compare.test_set.get("mnist") is not None, timeout=10000)
    model = gui_window.shown.snapshot
    runs.compare.set_models(model, model)
    plot = runs.compare.plots[1]
    def every_row_named():  # as laid out: every row named (the plot taller), not every other ("4 5 0 1" beside
        ticks = plot.getAxis("left")._tickLevels[0]  # eight rows read as those rows' labels)
        return len(ticks) == len(runs.compare.indices) and all(text for _, text in ticks)

    qtbot.waitUntil(every_row_named, timeout=3000)
    for height in (plot.minimumHeight() - 60, 400):  # (squeezed below it: every so many rows named)
        plot.setFixedHeight(height)
        qtbot.wait(50)
        axis = plot.getAxis("left")
        ticks = axis._tickLevels[0]
        assert len(ticks) == len(runs.compare.indices)  # every row has its tick
        named = [pos for pos, text in ticks if text]
        row_px = plot.getViewBox().height() / len(ticks)
        line = QFontMetrics(axis.style.get("tickFont") or axis.font()).height()
        assert named and all((b - a) * row_px >= line - 0.5 for a, b in zip(named, named[1:])), (height, named)
        # and the axis's title whole along it (at the least height it read "est digit (its label)")
        assert QFontMetrics(label_font(axis)).horizontalAdvance(axis.labelText) <= axis.height() - 8, height
        assert "digit" in axis.labelText
    assert len(named) == len(ticks)  # tall enough: every row named
    columns = plot.getAxis("bottom")._tickLevels[0]
    assert columns and all(pos % 1 == 0.5 for pos, _ in columns)  # centred on the bundled model's 32 columns
    assert axis.labelText == "test digit (its label)"  # (and its whole title)


def test_subdued_text_is_legible_on_the_dark_theme(qtbot):
    """The Probe's model line (placeholder text) was #8a8f96 on the dark window: about 4:1, less on
    a group box; text for reading wants 4.5:1 (WCAG AA)."""
    from sae_desktop.qt.theme import palette

    def luminance(colour: QColor) -> float:
        def channel(c: float) -> float:
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
        return 0.2126 * channel(colour.redF()) + 0.7152 * channel(colour.greenF()) + 0.0722 * channel(colour.blueF())

    p = palette(DARK)
    text, window = (p.color(role) for role in (QPalette.ColorRole.PlaceholderText, QPalette.ColorRole.Window))
    assert (luminance(text) + 0.05) / (luminance(window) + 0.05) >= 4.5


def test_the_dead_latents_bars_stand_out_on_the_dark_plot(qtbot, gui_window):
    """The Sparsity plot's dead bars were mid grey at a third of its alpha on the near-black plot, all but
    invisible on a projector: lighter there, the light theme's grey kept."""
    from sae_desktop.qt.plot_style import COLORS

    plot = gui_window.training_view.sparsity_plot
    try:
        for t in (theme.DARK, theme.LIGHT):
            theme.apply(t)
            pen = plot.dead.opts["pen"].color()
            background = QColor(t.plot_background)
            contrast = abs(pen.lightness() - background.lightness())
            assert contrast > 120, (t.name, pen.name())
            assert plot.stop_dead.opts["pen"].color() == pen  # (the stop's dashed bar with them)
            if not t.dark:
                assert pen.name() == QColor(COLORS["dead"]).name()
    finally:
        theme.apply(theme.LIGHT)
