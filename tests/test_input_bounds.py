"""Hostile datasets and images are refused in one line, in bounded memory and time (issue 18)."""

import gzip
import json
import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sae_desktop.cli import main
from sae_desktop.cli_probe import output_stems
from sae_desktop.data import FILES, MAX_IDX_BYTES, DatasetError, load_dataset, raw_folder, read_idx, write_idx
from sae_desktop.images import WORK_SIZE, ImageError, load_image_file
from tests.conftest import make_dataset_dir

REPO = Path(__file__).resolve().parent.parent


def dataset_with(tmp_path: Path, stem: str, content: bytes, gz: bool = False) -> Path:
    root = make_dataset_dir(tmp_path / "data", n_train=64, n_test=16)
    folder = raw_folder("mnist", root)
    (folder / stem).unlink()
    (folder / (stem + ".gz" if gz else stem)).write_bytes(content)
    return root


def refused(root: Path, match: str) -> str:
    with pytest.raises(DatasetError, match=match) as info:
        load_dataset("mnist", root)
    assert "\n" not in str(info.value)
    return str(info.value)


def idx_header(magic: int, *dims: int) -> bytes:
    return magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)


def test_a_corrupt_gzip_file(tmp_path):
    good = gzip.compress(idx_header(2051, 64, 28, 28) + bytes(64 * 784))
    broken = good[:20] + bytes(b ^ 0x5A for b in good[20:60]) + good[60:]
    refused(dataset_with(tmp_path, FILES[0], broken, gz=True), "corrupt compressed|cannot read")
    refused(dataset_with(tmp_path / "b", FILES[0], good[: len(good) // 2], gz=True), "corrupt compressed")


def test_a_decompression_bomb_stops_at_the_bound(tmp_path):
    path = tmp_path / "bomb.gz"
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(idx_header(2051, 200_000, 28, 28))
        chunk = bytes(1 << 20)
        for _ in range(MAX_IDX_BYTES // len(chunk) + 8):
            f.write(chunk)
    assert path.stat().st_size < MAX_IDX_BYTES // 50  # tiny on disk
    with pytest.raises(DatasetError, match="expands to more than"):
        read_idx(path, 2051)


def test_a_huge_sparse_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / FILES[0]
    with open(path, "wb") as f:
        f.truncate(20 * 2**30)  # 20 GB of nothing, instantly
    tracemalloc.start()
    with pytest.raises(DatasetError, match="far more than an MNIST-like dataset"):
        read_idx(path, 2051)
    assert tracemalloc.get_traced_memory()[1] < 2**20
    tracemalloc.stop()


def test_header_dimensions_that_overflow(tmp_path):
    # 2^31 × 2^31 × 4 = 2^64: NumPy's product wrapped to 0, which matched the empty data
    root = dataset_with(tmp_path, FILES[0], idx_header(2051, 2**31, 2**31, 4))
    refused(root, "corrupt or partial IDX file")


def test_zero_images_and_bad_labels(tmp_path):
    refused(dataset_with(tmp_path, FILES[0], idx_header(2051, 0, 28, 28)), "no images|0 labels|labels for")
    root = make_dataset_dir(tmp_path / "z", n_train=64, n_test=16)
    for stem, array in zip(FILES, (np.zeros((0, 28, 28)), np.zeros(0), np.zeros((16, 28, 28)), np.zeros(16))):
        write_idx(raw_folder("mnist", root) / stem, array)
    refused(root, "hold no images")
    labels = np.full(64, 200, np.uint8)
    refused(dataset_with(tmp_path / "l", FILES[1], idx_header(2049, 64) + labels.tobytes()), "label 200")


def test_an_unreadable_folder(tmp_path, monkeypatch):
    """Simulated: the tests may run as root, which reads every folder."""
    root = make_dataset_dir(tmp_path / "data", n_train=64, n_test=16)

    def denied(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "is_file", denied)
    refused(root, "cannot read the folder .*Permission denied")


def test_train_on_a_bad_dataset_is_one_line_exit_1(tmp_path, capsys):
    root = dataset_with(tmp_path, FILES[0], idx_header(2051, 2**31, 2**31, 4))
    assert main(["train", "--data-dir", str(root), "--no-download", "--device", "cpu"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_extreme_aspect_ratios_are_reduced_before_anything_else(tmp_path):
    strip = np.zeros((1, 3_000_000), np.uint8)
    strip[0, 1_000_000:1_000_050] = 255
    path = tmp_path / "strip.png"
    Image.fromarray(strip).save(path)
    tracemalloc.start()
    grey = load_image_file(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert max(grey.shape) <= WORK_SIZE and min(grey.shape) >= 1
    assert peak < 64 * 2**20  # float64 of the whole strip alone was 24 MB; its copies more


def test_a_fifo_is_refused_at_once_not_waited_on(tmp_path):
    fifo = tmp_path / "digit.png"
    os.mkfifo(fifo)
    code = f"from sae_desktop.images import load_image_file\nload_image_file({str(fifo)!r})"
    try:  # a hang is the failure this guards against; the limit is far above any run's time
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    except subprocess.TimeoutExpired:
        pytest.fail("reading a FIFO hung")
    assert "not a regular file" in proc.stderr
    with pytest.raises(ImageError, match="not a regular file"):
        load_image_file(tmp_path)


def test_a_float_image_in_0_1_is_not_blank(tmp_path):
    a = np.zeros((60, 60), np.float32)
    a[10:50, 27:33] = 1.0  # a white "1" on black, as a float TIFF in [0, 1]
    path = tmp_path / "one.tif"
    Image.fromarray(a, mode="F").save(path)
    grey = load_image_file(path)
    assert grey.max() == pytest.approx(1.0) and grey[30, 30] > 0.9 and grey[5, 5] == 0


def digit_png(path: Path, column: int) -> Path:
    a = np.zeros((28, 28), np.uint8)
    a[5:23, column:column + 3] = 255
    a[5:8, column:column + column // 2] = 255  # a foot whose length depends on the column: distinct digits
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(a).save(path)
    return path


def test_probe_save_dir_names_are_unique_for_same_named_inputs(tmp_path, capsys):
    a, b = digit_png(tmp_path / "a" / "7.png", 8), digit_png(tmp_path / "b" / "7.png", 18)
    out = tmp_path / "out"
    assert main(["probe", str(a), str(b), "--save-dir", str(out), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    written = {r[stage] for r in records for stage in ("input", "reconstruction", "levelled", "strokes")}
    assert len(written) == 8 and len(list(out.iterdir())) == 8
    first, second = (np.asarray(Image.open(r["input"])) for r in records)
    assert not np.array_equal(first, second)  # neither overwrote the other
    assert output_stems(["x/7.png", "y/7.png", "7-2.png", "Z.PNG", "z.png"]) == ["7", "7-2", "7-2-2", "Z", "z-2"]


def test_json_never_prints_bare_nan(tmp_path, capsys):
    from sae_desktop.checkpoint import load_checkpoint, save_checkpoint
    from sae_desktop.snapshot import bundled_model_path

    ckpt = load_checkpoint(bundled_model_path())
    ckpt.test_error_quantiles = ckpt.test_score_quantiles = None  # no reference: the percentiles are unknown
    model = save_checkpoint(ckpt, tmp_path / "m.safetensors")
    assert main(["probe", str(digit_png(tmp_path / "d.png", 12)), "--model", str(model), "--json"]) == 0

    def no_constants(name):
        raise AssertionError(f"bare {name} in JSON output")

    record = json.loads(capsys.readouterr().out, parse_constant=no_constants)
    assert record["percentile"] is None and record["mse_percentile"] is None


@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0, 2.5])
def test_ctrl_c_in_the_first_instant_exits_cleanly(tmp_path, tiny_data_dir, delay):
    env = dict(os.environ, SAE_DESKTOP_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    proc = subprocess.Popen([sys.executable, "-m", "sae_desktop", "train", "--data-dir", str(tiny_data_dir),
                             "--device", "cpu", "--no-download", "--epochs", "2"], stderr=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env, cwd=tmp_path)
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert "Traceback" not in err, err
    assert proc.returncode in (130, -signal.SIGINT, 0), (proc.returncode, err)  # -2: before Python's handler


def tiff_whose_second_page_has_no_size(path: Path) -> Path:
    """A TIFF whose second page (IFD) holds only a photometric tag: Pillow's frame count raised
    TypeError ("Missing dimensions"), which came out as a traceback."""
    import io
    import struct

    buffer = io.BytesIO()
    Image.new("L", (64, 64), 255).save(buffer, "TIFF")
    data = bytearray(buffer.getvalue())
    first = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[first:first + 2])[0]
    link = first + 2 + 12 * entries
    second = len(data)
    data += struct.pack("<H", 1) + struct.pack("<HHII", 262, 3, 1, 1) + struct.pack("<I", 0)
    data[link:link + 4] = struct.pack("<I", second)
    path.write_bytes(bytes(data))
    return path


def test_a_damaged_file_is_one_line_and_the_other_images_are_still_probed(tmp_path, capsys):
    damaged = tiff_whose_second_page_has_no_size(tmp_path / "pages.tif")
    with pytest.raises(ImageError, match="pages.tif: cannot read the image, it is damaged"):
        load_image_file(damaged)
    seven = digit_png(tmp_path / "7.png", 12)
    assert main(["probe", "--json", str(damaged), str(seven)]) == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["ok"] for r in records] == [False, True] and "damaged" in records[0]["error"]
    assert err == f"{damaged}: error: cannot read the image, it is damaged (TypeError: Missing dimensions)\n"


@pytest.mark.parametrize("scale", [1000.0, 1e10, 3e38])
def test_a_float_image_on_a_scale_of_its_own_reads_as_on_255(tmp_path, scale):
    """Paper at 1000 was divided as 16-bit ("Too faint (contrast 2%)"). A float image above 255 is read on its
    own scale, up to float32's largest."""
    a = np.full((112, 112), 255.0, np.float32)
    a[16:96, 50:60] = 0.0  # a dark "1" on white paper
    Image.fromarray(a, mode="F").save(tmp_path / "on255.tif")
    Image.fromarray(a * np.float32(scale / 255), mode="F").save(tmp_path / "own.tif")
    np.testing.assert_allclose(load_image_file(tmp_path / "own.tif"), load_image_file(tmp_path / "on255.tif"),
                               atol=1e-5)


def test_not_a_number_in_a_float_image_is_paper_not_ink(tmp_path):
    """A float TIFF of dark ink on white paper with a band of NaN and ±inf: they became 0, the
    ink's tone, and the band was probed as a solid stroke."""
    a = np.ones((60, 60), np.float32)
    a[10:50, 28:32] = 0.0  # a stroke
    a[:, :6] = np.nan
    a[:3, :] = np.inf
    a[-3:, :] = -np.inf
    Image.fromarray(a, mode="F").save(tmp_path / "f.tif")
    ink = load_image_file(tmp_path / "f.tif")
    assert ink[30, 30] > 0.9  # the stroke is the ink
    assert ink[:, :6].max() == 0 and ink[:3].max() == 0 and ink[-3:].max() == 0  # the rest is paper
    # a drawing on a NaN layer (most of the image): the NaN is still the paper, not the ink's tone
    layer = np.full((60, 60), np.nan, np.float32)
    layer[10:50, 28:32] = 0.0  # dark ink, nothing else finite
    Image.fromarray(layer, mode="F").save(tmp_path / "layer.tif")
    ink = load_image_file(tmp_path / "layer.tif")
    assert ink[30, 30] > 0.9 and ink[:, :6].max() == 0  # (it read "nothing drawn": the ink was the paper)


def test_exif_orientation_is_applied_as_pillow_applies_it(tmp_path):
    """The image is turned after it is reduced (a turned copy of a 59-MP photo took 0.7 GB more),
    by the same eight orientations as PIL.ImageOps.exif_transpose."""
    from PIL import ImageOps

    a = np.full((40, 60), 255, np.uint8)
    a[5:10, 5:30] = 0
    a[5:35, 25:30] = 40  # an asymmetric mark: each orientation differs
    for orientation in range(1, 9):
        img = Image.fromarray(a)
        exif = img.getexif()
        exif[0x0112] = orientation
        img.save(tmp_path / "o.png", exif=exif.tobytes())
        expected = 1 - np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png")), np.float32) / 255
        assert np.allclose(load_image_file(tmp_path / "o.png"), expected, atol=1e-6), orientation


@pytest.mark.parametrize("compression", ["tiff_lzw", "raw"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_a_tiffs_orientation_is_applied_once(tmp_path, orientation, compression):
    """Pillow's TIFF reader turns the image by its Orientation tag as it loads (and drops the tag); read
    before, the tag turned it a second time: a photo's 7 lay on its side, or upside down. An uncompressed
    TIFF turned by a quarter (5-8) was garbled: Pillow mapped the file's rows at the turned width."""
    from PIL import ImageOps

    a = np.full((40, 60), 255, np.uint8)
    a[5:10, 5:30] = 0
    a[5:35, 25:30] = 40  # an asymmetric mark
    Image.fromarray(a).save(tmp_path / "o.tif", compression=compression, tiffinfo={0x0112: orientation})
    exif = Image.fromarray(a).getexif()
    exif[0x0112] = orientation
    Image.fromarray(a).save(tmp_path / "o.png", exif=exif.tobytes())  # (PNG: its tag read, the reader turns none)
    expected = 1 - np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / "o.png")), np.float32) / 255
    assert np.allclose(load_image_file(tmp_path / "o.tif"), expected, atol=1e-6)


def test_postscript_is_never_run(tmp_path, capsys):
    """Pillow's EPS reader runs Ghostscript on the file: a PostScript program named .eps (or .png) wrote
    files, looped for ever, and printed into the --json output. Only raster formats read in-process."""
    made = tmp_path / "made"
    program = (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n(" + str(made).encode()
               + b") (w) file (x) writestring showpage\n")
    for name in ("w.eps", "w.png"):
        (tmp_path / name).write_bytes(program)
        with pytest.raises(ImageError, match="PostScript, which this app does not read: save it as a PNG or JPEG"):
            load_image_file(tmp_path / name)
    assert not made.exists()


def test_an_empty_file_a_vector_image_and_a_pdf_say_what_they_are(tmp_path):
    """An empty file, an SVG (an image, though not of pixels) and a PDF all read "not an image, or not in a
    format this app reads (PNG, JPEG, HEIC, BMP, GIF, TIFF, WebP)", a list that left out most of what it reads."""
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "d.svg").write_text('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>\n')
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    (tmp_path / "notes.txt").write_text("seven")
    said = {}
    for name in ("empty.png", "d.svg", "scan.pdf", "notes.txt"):
        with pytest.raises(ImageError) as caught:
            load_image_file(tmp_path / name)
        said[name] = str(caught.value)
    assert said["empty.png"] == "empty.png: the file is empty (0 bytes)"
    assert said["d.svg"] == "d.svg: a vector image (SVG), which this app does not read: save it as a PNG or JPEG"
    assert said["scan.pdf"].startswith("scan.pdf: a PDF, which this app does not read")
    assert "not an image" in said["notes.txt"] and all(f in said["notes.txt"] for f in ("AVIF", "PPM", "TGA", "QOI"))


def test_odd_file_names_stay_one_line_valid_json_and_plain_output_names(tmp_path, capsys):
    """A name with a newline broke its stdout and stderr lines in two ("each failure is one line") and named
    the outputs with it; a byte that is not UTF-8 reached --json as a lone surrogate (\\udcff), which strict
    JSON parsers refuse."""
    newline = digit_png(tmp_path / "new\nline.png", 10)
    odd = digit_png(tmp_path / os.fsdecode(b"bad\xffname.png"), 12)
    missing = tmp_path / "gone\nfile.png"
    assert main(["probe", "--json", "--save-dir", str(tmp_path / "out"), str(newline), str(odd), str(missing)]) == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3 and "\udcff" not in out
    records = [json.loads(line) for line in lines]
    assert records[0]["image"] == str(newline) and records[1]["image"].endswith("bad\\xffname.png")
    json.loads(out.splitlines()[1], strict=True)
    assert err.count("\n") == 1 and "gone\\nfile.png: error: " in err  # one line, the newline shown as \n
    # a failed record has the probed ones' fields, null (an evaluator's r["percentile"] raised a KeyError)
    assert set(records[0]) - {"input", "reconstruction", "levelled", "strokes"} <= set(records[2])
    assert records[2]["ok"] is False and records[2]["percentile"] is None and records[2]["mse"] is None
    saved = sorted(os.listdir(tmp_path / "out"))
    assert "new_line_input.png" in saved and "bad_xffname_input.png" in saved and all(n.isprintable() for n in saved)
    main(["probe", str(newline)])
    out, _ = capsys.readouterr()
    assert out.count("\n") == 1 and "new\\nline.png: mse" in out


def test_a_known_container_with_pixels_pillow_cannot_decode_is_named(tmp_path):
    """A TIFF of 32-bit colour was "not an image, or not in a format this app reads (… TIFF …)"."""
    import struct

    header = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 2)  # a TIFF whose two tags Pillow cannot use
    header += struct.pack("<HHII", 258, 3, 3, 0) + struct.pack("<HHII", 339, 3, 1, 3) + struct.pack("<I", 0)
    (tmp_path / "odd.tif").write_bytes(header)
    with pytest.raises(ImageError, match="odd.tif: a TIFF that is damaged, or whose kind of pixels this app cannot"):
        load_image_file(tmp_path / "odd.tif")


@pytest.mark.parametrize("kind", ["PNG", "GIF", "JPEG", "BMP", "TIFF"])
def test_a_file_cut_short_is_said_to_be(tmp_path, kind):
    """A PNG or a GIF cut inside its header read "a PNG whose kind of pixels this app cannot decode" (Pillow
    decodes every kind they hold), others "(Truncated File Read)" or "(image file is truncated (4 bytes
    not processed))": each says the file is damaged or cut short, in words."""
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (60, 60), dtype=np.uint8)).save(buffer, kind)
    data = buffer.getvalue()
    for cut in (6, 10, 20, 40, 100, len(data) // 2, len(data) * 3 // 4):  # (its last bytes gone, a PNG reads whole)
        path = tmp_path / f"cut{cut}.{kind.lower()}"
        path.write_bytes(data[:cut])
        with pytest.raises(ImageError) as caught:
            load_image_file(path)
        said = str(caught.value)
        assert "cut short" in said or "damaged" in said, said
        assert "truncated" not in said.lower() and "File Read" not in said, said
        if kind in ("PNG", "GIF"):
            assert "kind of pixels" not in said, said


def test_a_float_image_of_signed_values_is_read_on_its_own_range(tmp_path):
    """Ink at -1 on paper at 0 (a float TIFF of signed values) was clipped to 0 everywhere: "the image is blank"."""
    layer = np.zeros((60, 60), np.float32)
    layer[10:50, 28:32] = -1.0
    Image.fromarray(layer, mode="F").save(tmp_path / "signed.tif")
    ink = load_image_file(tmp_path / "signed.tif")
    assert ink[30, 30] > 0.9 and ink[:, :6].max() == 0  # the dark stroke is the ink, the rest paper


def test_a_png_with_large_metadata_is_read(tmp_path):
    """A 3 MB text chunk (Pillow's limit is 1 MB a chunk) refused an image whose pixels were fine."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * (3 << 20), zip=True)
    a = np.zeros((28, 28), np.uint8)
    a[5:23, 12:16] = 255
    Image.fromarray(a).save(tmp_path / "big.png", pnginfo=info)
    assert load_image_file(tmp_path / "big.png")[14, 13] > 0.9


def test_one_image_whose_outputs_cannot_be_written_stops_nothing_else(tmp_path, capsys, monkeypatch):
    """An output that cannot be written (a full disk here), a file name too long for the file system's
    255 bytes, an output named like another input (q.png's q_input.png): the batch ended at that image,
    the images after it never probed; and q's outputs were refused, as over an input."""
    import sae_desktop.safe_write as safe_write

    folder = tmp_path / "in"
    q, q_input = digit_png(folder / "q.png", 10), digit_png(folder / "q_input.png", 14)
    long = digit_png(tmp_path / ("x" * 246 + ".png"), 12)
    seven, full = digit_png(tmp_path / "7.png", 16), digit_png(tmp_path / "full.png", 18)
    write = safe_write.atomic_write_bytes

    def disk_full(path, *args, **kwargs):
        if Path(path).name.startswith("full_"):
            raise OSError(28, "No space left on device", str(path))
        return write(path, *args, **kwargs)

    monkeypatch.setattr(safe_write, "atomic_write_bytes", disk_full)
    images = [str(p) for p in (q, q_input, full, long, seven)]
    assert main(["probe", "--json", "--save-dir", str(folder), *images]) == 1
    out, err = capsys.readouterr()
    records = [json.loads(line) for line in out.splitlines()]
    assert [r["image"] for r in records] == images
    assert all(r["ok"] for r in records)  # each probed
    assert "No space left" in records[2]["save_error"] and "input" not in records[2]
    assert err.count("\n") == 1 and err.startswith(f"{full}: error: ")
    for r in records[:2] + records[3:]:
        assert "save_error" not in r and Path(r["strokes"]).is_file()
    assert Path(records[0]["input"]).name == "q-2_input.png"  # (q_input.png is taken: an input)
    assert len(Path(records[3]["input"]).name.encode()) <= 255
    assert np.asarray(Image.open(q_input)).max() == 255  # the input is as it was


def test_a_second_probe_into_one_save_dir_never_replaces_the_firsts_images(tmp_path, capsys):
    """Probed again into the same folder, a letter's images replaced a 7's, which the first call's JSON
    still named (exit 0, nothing said)."""
    a, b = digit_png(tmp_path / "a" / "clean.png", 8), digit_png(tmp_path / "b" / "clean.png", 18)
    out = tmp_path / "out"
    assert main(["probe", "--json", "--save-dir", str(out), str(a)]) == 0
    first = json.loads(capsys.readouterr().out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    (out / "clean-2_strokes.png").symlink_to(tmp_path / "elsewhere.png")  # a link, dangling: taken too
    assert main(["probe", "--json", "--save-dir", str(out), str(b)]) == 0
    second = json.loads(capsys.readouterr().out)
    assert Path(first["input"]).name == "clean_input.png" and Path(second["input"]).name == "clean-3_input.png"
    assert all(out.joinpath(name).read_bytes() == data for name, data in before.items())  # the first's, as written
    assert not (tmp_path / "elsewhere.png").exists() and len(list(out.iterdir())) == 9


def test_save_dir_must_name_a_folder(tmp_path, capsys):
    seven = digit_png(tmp_path / "7.png", 12)
    assert main(["probe", "--save-dir", "", str(seven)]) == 2  # was ignored: nothing written, exit 0
    assert "--save-dir: the folder's name is empty" in capsys.readouterr().err
    (tmp_path / "file").write_text("keep")
    assert main(["probe", "--save-dir", str(tmp_path / "file"), str(seven)]) == 1
    said = capsys.readouterr().err.strip()
    assert said == f"sae-desktop probe: --save-dir: {tmp_path / 'file'} is a file, not a folder"


def test_plain_output_names_a_failing_image_once(tmp_path, capsys):
    (tmp_path / "zero.png").write_bytes(b"")
    assert main(["probe", str(tmp_path / "zero.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{tmp_path / 'zero.png'}: error: the file is empty (0 bytes)") and err.count("zero.png") == 1


def test_light_strokes_on_a_transparent_layer_are_ink(tmp_path):
    """A drawing app's white pen on an empty layer: over white paper its strokes vanished and the
    probe said "nothing drawn". A dark pen's layer, and a photo with transparent corners, still
    go over white."""
    alpha = np.zeros((60, 60), np.uint8)
    alpha[10:50, 27:33] = 255  # a stroke
    alpha[10:50, 26] = alpha[10:50, 33] = 128  # anti-aliased edges
    for rgb in ((255, 255, 255), (250, 230, 40), (0, 0, 0), (20, 40, 160)):
        layer = np.dstack([np.full((60, 60), c, np.uint8) for c in rgb] + [alpha])
        Image.fromarray(layer, "RGBA").save(tmp_path / "layer.png")
        ink = load_image_file(tmp_path / "layer.png")
        assert ink[30, 30] > 0.5 and ink[5, 5] == 0 and ink[30, 10] == 0, rgb
    photo = np.full((60, 60, 4), 235, np.uint8)  # a light sheet with a pencil stroke…
    photo[10:50, 28:32, :3] = 60
    photo[..., 3] = 255
    photo[:6, :6, 3] = 0  # …and a transparent corner: paper, not ink
    Image.fromarray(photo, "RGBA").save(tmp_path / "photo.png")
    ink = load_image_file(tmp_path / "photo.png")
    assert ink[30, 30] > 0.5 and ink[2, 2] < 0.1 and ink[40, 10] < 0.1


def test_an_iphones_heic_photo_is_read(tmp_path, capsys):
    """HEIC, an iPhone's own format, read "not an image, or not in a format this app reads"."""
    pillow_heif = pytest.importorskip("pillow_heif")  # (a dependency; the device machine's core tests lack it)

    seven = np.full((120, 90), 235, np.uint8)
    seven[20:26, 15:75] = 40
    seven[20:100, 60:66] = 40
    pillow_heif.from_pillow(Image.fromarray(seven).convert("RGB")).save(tmp_path / "IMG_0001.HEIC", quality=95)
    ink = load_image_file(tmp_path / "IMG_0001.HEIC")
    assert ink.shape == (120, 90) and ink[60, 62] > 0.5 and ink[60, 30] < 0.1
    assert main(["probe", "--json", str(tmp_path / "IMG_0001.HEIC")]) == 0
    assert json.loads(capsys.readouterr().out)["ok"]


def test_a_damaged_tiffs_native_complaints_stay_out_of_the_probes_output(tmp_path):
    """libtiff wrote "tempfile.tif: Using code not yet in table." to stderr beside the probe's own
    line, which said "decoder error -2" and no more."""
    import io

    pixels = (np.random.default_rng(0).random((64, 64)) * 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "TIFF", compression="tiff_lzw")
    data = bytearray(buffer.getvalue())
    data[200:600] = b"\xff" * 400  # the compressed strip overwritten
    (tmp_path / "lzw.tif").write_bytes(bytes(data))
    env = dict(os.environ, SAE_DESKTOP_HOME=str(tmp_path), PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-m", "sae_desktop", "probe", str(tmp_path / "lzw.tif")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1  # one line (libtiff's own were more), naming the file and what is wrong
    assert proc.stderr.startswith(f"{tmp_path / 'lzw.tif'}: error: cannot read the image")
    assert "decoder error" not in proc.stderr or "its data is damaged (decoder error" in proc.stderr
