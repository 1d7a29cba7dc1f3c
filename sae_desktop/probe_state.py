"""What the probe is looking at, as one small evented model (no Qt).

The input's source (nothing, a drawing, test digit #i with its label, an image file), the
latents the user has clamped, and the latest result. The probe's views (header, digit
browser, bars, tiles) mirror it through its signals; none keeps its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from psygnal import Signal

from sae_desktop.images import PARTS
from sae_desktop.preprocess import NOTHING, Preprocessed
from sae_desktop.probe import ProbeResult


@dataclass(frozen=True, eq=False)
class InputSource:
    """Where the probe's input came from. A test digit or a file is probed exactly as given
    (``image``, 28×28 in [0, 1]); a drawing is whatever the canvas holds."""

    kind: str  # "nothing", "drawing", "test" or "file"
    index: int = -1  # test digit
    label: str = ""  # test digit's label ("7", or "sneaker" for Fashion-MNIST)
    name: str = ""  # file name
    image: np.ndarray | None = None
    based_on: InputSource | None = None  # a drawing made over a test digit or a file
    stages: Preprocessed | None = None  # a file's preprocessing (shown while it is the input)
    frames: int = 1  # a file's frames (an animation's, a multi-page TIFF's): the first is the input
    part: str = ""  # the part of a file's image that is the input (images.PARTS: a screenshot's canvas), or all

    @property
    def fixed(self) -> bool:
        return self.image is not None

    def describe(self, notes: bool = True) -> str:
        """What the input is; ``notes``: with a file's (which frame, which part of it)."""
        if self.kind == "test":
            return f"test #{self.index}, label {self.label}"
        if self.kind == "file":
            return f"file {self.name}" + (file_notes(self.frames, self.part) if notes else "")
        if self.kind == "drawing":
            return f"your drawing over {self.based_on.describe(notes)}" if self.based_on else "your drawing"
        return "nothing yet"

    def edited(self) -> InputSource:
        """What an input becomes once the user draws on it: a drawing (over what it was)."""
        if self.kind == "drawing":
            return self
        return InputSource("drawing", based_on=self if self.kind in ("test", "file") else None)


NO_INPUT = InputSource("nothing")


def file_notes(frames: int, part: str) -> str:
    """What a file's name is followed by where its input is not all of it: " (its first frame of 3; the
    sheet alone, cut out of the photo)", or ""."""
    notes = ([f"its first frame of {frames}"] if frames > 1 else []) + ([PARTS[part]] if part else [])
    return f" ({'; '.join(notes)})" if notes else ""


def from_test_set(index: int, label: str, image_uint8: np.ndarray) -> InputSource:
    return InputSource("test", index=index, label=label, image=np.asarray(image_uint8, dtype=np.float32) / 255.0)


def image_file(name: str, image28: np.ndarray, stages: Preprocessed | None = None, frames: int = 1,
               part: str = "") -> InputSource:
    return InputSource("file", name=name, image=np.asarray(image28, dtype=np.float32), stages=stages, frames=frames,
                       part=part)


class ProbeState:
    source_changed = Signal(object)  # InputSource
    clamps_changed = Signal(dict)  # {latent: value}
    result_changed = Signal(object)  # ProbeResult | None
    reading_changed = Signal(str)  # the image file being read ("" for none)

    def __init__(self) -> None:
        self.source: InputSource = NO_INPUT
        self.clamps: dict[int, float] = {}
        self.result: ProbeResult | None = None
        self.stages: Preprocessed = NOTHING  # the drawing's preprocessing (a fixed input's is trivial)
        self.reading = ""  # path of the image file being read (shown once read, unless another input comes first)
        self.dictionary: object = None  # the model the clamps' latent numbers belong to (see set_dictionary)

    def set_source(self, source: InputSource | None) -> None:
        source = source or NO_INPUT
        if source is not self.source:
            self.set_reading("")  # another input chosen: the file being read is no longer wanted
            self.source = source
            self.source_changed.emit(source)

    def set_reading(self, path: str) -> None:
        if path != self.reading:
            self.reading = path
            self.reading_changed.emit(path)

    # -- clamps ---------------------------------------------------------------------------------
    def set_clamp(self, latent: int, value: float) -> None:
        self.clamps[int(latent)] = float(value)
        self.clamps_changed.emit(dict(self.clamps))

    def release(self, latent: int) -> None:
        if self.clamps.pop(int(latent), None) is not None:
            self.clamps_changed.emit(dict(self.clamps))

    def set_dictionary(self, key: object) -> None:
        """The model probed, as a key (its run and its number of latents): another run's model
        releases the clamps, for latent i means something else there (a clamp set on one run's
        model steered the next run's, of the same size); the same run's next epoch keeps them."""
        if key != self.dictionary:
            self.dictionary = key
            self.reset_clamps()

    def reset_clamps(self) -> None:
        if self.clamps:
            self.clamps.clear()
            self.clamps_changed.emit({})

    # -- result --------------------------------------------------------------------------------
    def set_result(self, result: ProbeResult | None, stages: Preprocessed = NOTHING) -> None:
        self.result, self.stages = result, stages
        self.result_changed.emit(result)
