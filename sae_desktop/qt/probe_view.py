"""The "Probe" tab: draw a digit and watch its sparse code and reconstruction change.

canvas → preprocess (core) → the shown model's snapshot (NumPy) → :class:`ProbeState` →
tiles, bars and labels, redone at most once per frame while drawing. A test digit or an
image file is probed exactly as given (the same path as ``sae-desktop probe``) until the
canvas is edited. The state holds the input's source, the clamps and the result; the widgets here only mirror it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QFileDialog, QPushButton, QWidget

from sae_desktop.architecture import learned_thresholds
from sae_desktop.preprocess import Preprocessed, as_drawn, preprocess
from sae_desktop.probe import ProbeResult, probe
from sae_desktop.probe_state import NO_INPUT, InputSource, ProbeState, image_file
from sae_desktop.qt import theme
from sae_desktop.qt.canvas import DRAW_HINT, HINT, DrawingCanvas
from sae_desktop.qt.deferred import Deferred
from sae_desktop.qt.digit_browser import DigitBrowser
from sae_desktop.qt.drawing_tools import DrawingTools
from sae_desktop.qt.image_files import ImageFileReader, file_name, file_not_probed, image_filter
from sae_desktop.qt.image_tile import ImageTile
from sae_desktop.qt.labels import WrappedLabel
from sae_desktop.qt.rich_text import breakable_words
from sae_desktop.qt.probe_layout import lay_out
from sae_desktop.qt.probe_words import code_titles, headline, source_line, verdict_text, without_lists
from sae_desktop.qt.settings import last_folder, remember_folder
from sae_desktop.qt.shown_model import ShownModel
from sae_desktop.qt.stage_tiles import StageTiles
from sae_desktop.qt.test_set import TestSetProvider
from sae_desktop.snapshot import ModelSnapshot

if TYPE_CHECKING:
    from sae_desktop.images import ImageRead
    from sae_desktop.qt.latent_bars import LatentBars

FRAME_MS = 16
VERDICT_LINES = 4  # the verdict with its figures at most; beyond, its headline (the figures in its tooltip)


class ProbeView(QWidget):
    image_loaded = Signal(bool)  # a file asked for by load_image is shown (True), or not (False: said why)
    bar_said = Signal(str)  # a bar in words, for the status bar: true of the input probed, until its result changes

    def __init__(self, shown: ShownModel, provider: TestSetProvider, parent: QWidget | None = None):
        super().__init__(parent)
        self.shown = shown
        self.state = ProbeState()
        self._bars_source: InputSource | None = None  # the input whose code the bars' axis was fitted to
        self.files = ImageFileReader(self)
        self.files.answered.connect(self._image_read)
        self.canvas = DrawingCanvas()
        self.canvas.edit_tag = lambda source: (source or NO_INPUT).edited()
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # showing the tab, or a click in it: see focusInEvent
        self.browser = DigitBrowser(provider)
        # the code's bar chart needs pyqtgraph (0.5 s to import): built just after the first paint
        self.bars_place = Deferred(self._make_bars, build_on_show=False, size_hint=QSize(600, 480))  # a plot's hint
        self.stages_view = StageTiles()
        # Minimum sides small enough for a 1024×768 projector; the tiles grow with the window
        self.input_tile, self.recon_tile = ImageTile("model input", 96), ImageTile("reconstruction", 96)
        self.residual_tile = ImageTile("residual: red added, blue missed", 96)
        # Text changes on every stroke: it wraps instead of widening the column, in the lines it may take
        self.error_label, self.ood_label, self.source_label = (WrappedLabel(n) for n in (2, VERDICT_LINES, 2))
        # run names are long: one line, shorter forms where it is narrow, the narrowest (the run's name
        # without its date) wrapped at its hyphens (cut in its middle, "…194056…tchtopk" at 1024 px in
        # presentation mode, no name was left)
        self.model_label = WrappedLabel(1)
        self.model_label.setStyleSheet("color: palette(placeholder-text);")
        self.error_label.setStyleSheet("font-size: 15px; font-weight: 600;")
        self.sorted_box = QCheckBox("Sort by activation")
        self.reset_button = QPushButton("Reset code")
        self.reset_button.setToolTip("Release all clamped latents: back to the encoder's values")
        self.tools = DrawingTools(self.canvas, self.browser.pick_random, self.browser.step, host=self)
        lay_out(self)
        state = self.state
        self.canvas.changed.connect(self._on_canvas_changed)
        # a finished stroke is probed at once, not a frame later (the throttle's first call showed its
        # start: since a tap draws a dot, "A dot" stood for a moment under a finished 7)
        self.canvas.strokeFinished.connect(self.update_probe)
        self.reset_button.clicked.connect(state.reset_clamps)
        state.clamps_changed.connect(lambda _: self._publish(state.stages))
        state.source_changed.connect(self._show_source)
        state.source_changed.connect(self.browser.show_source)
        state.result_changed.connect(self._render)
        state.reading_changed.connect(lambda _: self._render(state.result))
        theme.follow(self._on_theme)  # the verdict's colour is the theme's
        self.sorted_box.toggled.connect(lambda on: self.bars.set_sorted(on))
        self.browser.digitChosen.connect(self.show_source)
        self.browser.label.currentIndexChanged.connect(lambda _: self._show_source(self.state.source))
        self.browser.fileRequested.connect(self.choose_image_file)
        # "or press R for a test digit" only where R shows one (with no data folder it did nothing)
        self.browser.availabilityChanged.connect(lambda on: self.canvas.set_hint(HINT if on else DRAW_HINT))
        shown.changed.connect(self._on_model)
        # the verdict's statistics arrived, or the model was saved as another file (its name)
        shown.evaluated.connect(lambda snap: (self._name_model(snap), self.update_probe()))
        self.schedule = self.update_probe  # every change at once, until complete() throttles it
        self._show_source(state.source)
        self._on_model(shown.snapshot)

    def complete(self) -> None:
        """What the first paint goes without (pyqtgraph and superqt take ~0.5 s to import): the
        code's bars, and redrawing at most once a frame while drawing (a stroke's ~100 events a
        second each probed, 1-3 ms apiece, until then)."""
        from superqt.utils import qthrottled

        self.bars  # noqa: B018
        if self.schedule == self.update_probe:
            self.schedule = qthrottled(self.update_probe, timeout=FRAME_MS, leading=True)

    @property
    def bars(self) -> LatentBars:
        return self.bars_place.widget

    def _make_bars(self) -> LatentBars:
        from sae_desktop.qt.latent_bars import LatentBars

        bars = LatentBars()
        bars.clampRequested.connect(self.state.set_clamp)
        bars.releaseRequested.connect(self.state.release)
        bars.described.connect(self.bar_said)
        bars.sorted = self.sorted_box.isChecked()
        self._model_to_bars(bars, self.shown.snapshot)
        self._code_to_bars(bars, self.state.result)
        return bars

    @property
    def result(self) -> ProbeResult | None:
        return self.state.result

    @property
    def stages(self) -> Preprocessed:
        return self.state.stages

    def fit_text_heights(self) -> None:
        """Two lines for the error, four for the verdict and its evidence, two for the input and the stages'
        heading, one for the model, in the labels' own fonts (what is below never moves as the text changes)."""
        for label in (self.error_label, self.ood_label, self.source_label, self.model_label, self.stages_view.heading):
            label.refit()

    def changeEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Larger text (presentation mode): the fixed-height labels grow with it, once the
        style sheets have their new sizes too."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            QTimer.singleShot(0, self.fit_text_heights)
            QTimer.singleShot(0, self.stages_view, self.stages_view.equalise)

    # -- inputs ---------------------------------------------------------------------------
    def _on_canvas_changed(self) -> None:
        """Strokes, undo, redo, clear or a loaded input: the canvas's tag says what it now shows."""
        self.state.set_source(self.canvas.tag)
        self.schedule()

    def show_source(self, source: InputSource, picture: np.ndarray | None = None) -> None:
        """Put a test digit or a file in the probe (``picture``: what the canvas shows, if not
        the model's input itself); the same test digit again changes nothing."""
        current = self.state.source
        if source.kind == "test" and current.kind == "test" and current.index == source.index:
            return
        self.canvas.set_array(source.image if picture is None else picture, tag=source)  # (probed at its end)

    def _show_source(self, source: InputSource) -> None:
        """The input's line; while the browser is hidden (presentation mode), the label filter it
        still applies (R kept giving 2s, with the filter out of sight)."""
        only = self.browser.filter_label() if self.browser.isHidden() else None
        self.source_label.fit_text(*source_line(source, only))

    def browser_shown(self, shown: bool) -> None:
        """Presentation mode hides the test-digit browser (R still picks a digit)."""
        self.browser.setVisible(shown)
        self._show_source(self.state.source)

    def choose_image_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Probe an image", last_folder("images"), image_filter(),
                                              options=QFileDialog.Option.HideNameFilterDetails)
        if path:
            self.load_image(path)

    def load_image(self, path: str) -> None:
        """Read and preprocess the file in a worker thread (image_files.py); :attr:`image_loaded`
        says how it went. The file is shown unless another input was chosen meanwhile (drawn, a
        test digit, a later file)."""
        self.state.set_reading(path)
        self.files.read(path)

    def _image_read(self, path: str, read: tuple[ImageRead, Preprocessed] | str, latest: bool) -> None:
        if not (latest and self.state.reading == path):  # another input was chosen meanwhile: that one stays
            return self.image_loaded.emit(False)
        self.state.set_reading("")
        if not isinstance(read, str):
            remember_folder("images", path)
        if (unusable := file_not_probed(file_name(path), read, self.state.source)) is not None:
            self.error_label.fit_text(unusable[0])
            self.ood_label.fit_text(unusable[1], without_lists(unusable[1]))  # (without its list of formats)
            return self.image_loaded.emit(False)
        file, stages = read
        # the canvas shows it as the pen draws, white ink on black paper, its strokes as wide as the pen's
        # (drawn over as it was read, the grey paper and the black beside a portrait photo were ink: "a filled
        # shape"; drawn over as levelled, a photo's thin strokes beside the pen's broke up)
        self.show_source(image_file(file_name(path), stages.image, stages, file.frames, file.part),
                         picture=as_drawn(stages))
        self.image_loaded.emit(True)

    def focusInEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        """Showing the tab, or a click anywhere in it, gives the canvas the keyboard. (Not as the
        canvas's focus proxy: Qt's Tab then skipped the canvas, so the keyboard never reached it.)"""
        super().focusInEvent(event)
        self.canvas.setFocus(event.reason())

    # -- model and results ------------------------------------------------------------------
    def _name_model(self, snap: ModelSnapshot | None) -> None:
        if snap is None:
            self.model_label.setText("")
        else:  # narrower: without its date (its status kept: "epoch 1" read as finished when dropped), then the
            whole, status = f"Model: {snap.name}", snap.name.removeprefix(snap.short_name)  # run's name alone
            dated = (f"Model: {snap.undated_name}{status}", f"{snap.undated_name}{status}") if status else ()
            self.model_label.set_text_or_short(whole, (*dated, f"Model: {snap.short_name}", snap.short_name,
                                                       breakable_words(snap.undated_name, 12)), 1, whole)

    def _on_model(self, snap: ModelSnapshot | None) -> None:
        self._name_model(snap)
        if snap is not None:
            self.state.set_dictionary((snap.short_name, snap.config.d_latent))  # another one: no clamps
            if (bars := self.bars_place.peek()) is not None:
                self._model_to_bars(bars, snap)
            self.browser.set_dataset(snap.dataset)
        self.update_probe()

    @staticmethod
    def _model_to_bars(bars: LatentBars, snap: ModelSnapshot | None) -> None:
        if snap is not None:
            target = snap.train_config.kl_target if snap.train_config is not None else None
            bars.set_model(snap.config, target, learned_thresholds(snap.weights, snap.config))

    def current_input(self) -> np.ndarray | None:
        source = self.state.source
        return source.image if source.fixed else self.state.stages.image

    def update_probe(self) -> None:
        """Preprocess, encode, decode, publish. Cheap enough (~1-3 ms) to run every frame."""
        source = self.state.source
        self._publish(source.stages or preprocess(source.image if source.fixed else self.canvas.array(),
                                                  black_paper=True))  # (a test digit, or the canvas)

    def _publish(self, stages: Preprocessed) -> None:
        """Encode and decode (with the clamps) into the state."""
        snap, source = self.shown.snapshot, self.state.source
        image28 = source.image if source.fixed else stages.image
        result = None if snap is None or image28 is None else probe(snap, image28, self.state.clamps, stages)
        self.state.set_result(result, stages)

    def _on_theme(self, _theme: theme.Theme) -> None:
        if hasattr(self, "bars_place"):  # the first call comes while the view is being built
            self._render(self.state.result)

    def _code_to_bars(self, bars: LatentBars, r: ProbeResult | None) -> None:
        latents = None if r is None else r.latents
        # a clamp leaves the encoder's latents as they were: the bars keep their order then
        same_input = latents is not None and bars.latents is not None and np.array_equal(latents, bars.latents)
        refit = self.state.source is not self._bars_source  # another input: its own axis
        self._bars_source = self.state.source
        bars.set_latents(latents, self.state.clamps, reorder=not same_input, refit=refit)

    def _render(self, r: ProbeResult | None) -> None:
        """Mirror the state: the result's stages, tiles, bars and text; a file being read says so."""
        self._render_result(r)
        if self.state.reading:
            self.error_label.fit_text(f"Reading {file_name(self.state.reading)}…")
            self.ood_label.setText("")

    def _render_result(self, r: ProbeResult | None) -> None:
        stages, snap = self.state.stages, self.shown.snapshot
        self.stages_view.show_stages(stages, self.current_input(), as_stored=self.state.source.kind == "test")
        if (bars := self.bars_place.peek()) is not None:
            self._code_to_bars(bars, r)
        self._show_source(self.state.source if self.current_input() is not None else NO_INPUT)
        clamps, drawn = self.state.clamps, self.state.source.kind == "drawing"
        if bars is not None:  # a file says whose code it is, and that it is steered (its orange bars)
            titles = code_titles(self.state.source, clamps) if r is not None else (None, None)
            bars.export_title, bars.export_name = titles
        if r is None:
            for tile in (self.input_tile, self.recon_tile, self.residual_tile):
                tile.set_grey(None)
            head, short, tip = headline(None, clamps, snap is not None)
            self.error_label.set_text_or_short(head, short, 2, tip)
            self.ood_label.setText("Draw on the canvas, or pick a test digit or an image file.")
            return
        self.input_tile.set_grey(r.input)
        self.recon_tile.set_grey(r.reconstruction)
        self.residual_tile.set_diverging(r.residual, max(0.25, float(np.abs(r.residual).max())))
        head, short, tip = headline(r.mse, clamps, True)
        self.error_label.set_text_or_short(head, short, 2, tip)
        message, shorter, tooltip = verdict_text(r.verdict, bool(clamps), theme.current().verdict, drawn)
        self.ood_label.set_text_or_short(message, shorter, VERDICT_LINES, tooltip)
