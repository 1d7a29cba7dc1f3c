"""Dataset discovery and IDX parsing; missing or corrupt data gives one clear message."""

import gzip
from pathlib import Path

import numpy as np
import pytest

from sae_desktop.data import FILES, DatasetError, load_dataset, read_idx, write_idx
from tests.conftest import make_dataset_dir


def test_tiny_dataset_loads_with_shapes(tiny_dataset):
    assert tiny_dataset.train_images.shape == (640, 28, 28)
    assert tiny_dataset.test_labels.shape == (160,)
    assert tiny_dataset.train_images.dtype == np.uint8 and tiny_dataset.train_images.max() > 200


def test_folder_resolution_order(tmp_path, monkeypatch, tiny_data_dir):
    monkeypatch.setenv("SAE_DESKTOP_DATA", str(tiny_data_dir))
    assert load_dataset("mnist").root == tiny_data_dir  # from the environment
    with pytest.raises(DatasetError):
        load_dataset("mnist", tmp_path)  # an explicit folder wins over the environment


def test_missing_data_message_names_folder_files_and_fix(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_dataset("mnist", tmp_path / "nowhere")
    message = str(err.value)
    assert str(tmp_path / "nowhere" / "MNIST" / "raw") in message
    assert all(name in message for name in FILES)
    assert "SAE_DESKTOP_DATA" in message and "--data-dir" in message
    assert "Expected the four files" in message and "download them" in message
    with pytest.raises(DatasetError) as err:  # the test split alone (evaluate), which is never downloaded
        load_dataset("mnist", tmp_path / "nowhere", test_only=True)
    message = str(err.value)
    assert f"Expected the two files {FILES[2]}, {FILES[3]}" in message and FILES[0] not in message
    assert "download" not in message  # (it advised running online, which evaluate never does)


def test_a_data_folder_that_is_a_file_is_said_so(tmp_path):
    """It said MNIST was not found in …/d.bmp/MNIST/raw, and advised downloading into the file
    (the window: "Start offers to download them")."""
    from sae_desktop.data import missing_files

    picture = tmp_path / "d.bmp"
    picture.write_bytes(b"BM")
    with pytest.raises(DatasetError) as err:
        load_dataset("mnist", picture)
    assert str(err.value).startswith(f"The data folder {picture} is a file, not a folder.")
    assert "download" not in str(err.value)
    with pytest.raises(DatasetError, match="is a file, not a folder"):
        missing_files("mnist", picture)


def test_a_cut_idx_file_says_how_much_is_there_and_how_much_its_header_promises(tmp_path):
    root = make_dataset_dir(tmp_path, n_train=20, n_test=10)
    path = root / "MNIST" / "raw" / FILES[3]
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(DatasetError) as err:
        load_dataset("mnist", root)
    assert str(err.value).endswith(": 9 data bytes, where its header says 10")  # (it read "10 = 10")


def test_offline_download_failure_is_the_same_clear_message(tmp_path, monkeypatch):
    import sae_desktop.data as data

    def offline(name, root):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "download", offline)
    monkeypatch.delenv("SAE_DESKTOP_OFFLINE")
    with pytest.raises(DatasetError, match="download failed: no network: the server's name could not be looked up"):
        load_dataset("mnist", tmp_path, allow_download=True)


def test_offline_switch_never_tries_to_download(tmp_path, monkeypatch):
    import sae_desktop.data as data

    monkeypatch.setattr(data, "download", lambda name, root: pytest.fail("tried to download"))
    monkeypatch.setenv("SAE_DESKTOP_OFFLINE", "1")
    with pytest.raises(DatasetError, match="missing"):
        load_dataset("mnist", tmp_path, allow_download=True)


def test_gzip_files_are_read(tmp_path):
    root = make_dataset_dir(tmp_path, n_train=20, n_test=10)
    raw = root / "MNIST" / "raw"
    for name in FILES:
        (raw / (name + ".gz")).write_bytes(gzip.compress((raw / name).read_bytes()))
        (raw / name).unlink()
    assert load_dataset("mnist", root).train_images.shape == (20, 28, 28)


@pytest.mark.parametrize("damage", ["truncate", "magic", "empty"])
def test_corrupt_idx_files_are_refused(tmp_path, damage):
    root = make_dataset_dir(tmp_path, n_train=20, n_test=10)
    path = root / "MNIST" / "raw" / FILES[0]
    data = path.read_bytes()
    path.write_bytes({"truncate": data[:-100], "magic": b"\0\0\x09\x03" + data[4:], "empty": b""}[damage])
    with pytest.raises(DatasetError, match="corrupt|partial"):
        load_dataset("mnist", root)


def test_label_count_mismatch_is_refused(tmp_path):
    root = make_dataset_dir(tmp_path, n_train=20, n_test=10)
    write_idx(root / "MNIST" / "raw" / FILES[1], np.zeros(19, np.uint8))
    with pytest.raises(DatasetError, match="19 labels for 20 images"):
        load_dataset("mnist", root)


def test_idx_round_trip(tmp_path):
    array = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    write_idx(tmp_path / "x", array)
    np.testing.assert_array_equal(read_idx(tmp_path / "x", 2051), array)


def test_fashion_mnist_layout_loads_and_trains(tmp_path):
    from sae_desktop.config import TrainConfig
    from sae_desktop.engine import train

    root = make_dataset_dir(tmp_path, name="fashion-mnist", n_train=64, n_test=32)
    assert (root / "FashionMNIST" / "raw" / FILES[0]).is_file()
    dataset = load_dataset("fashion-mnist", root)
    assert dataset.name == "fashion-mnist" and dataset.train_images.shape == (64, 28, 28)
    with pytest.raises(DatasetError, match="Fashion-MNIST"):
        load_dataset("fashion-mnist", tmp_path / "elsewhere")
    cfg = TrainConfig(dataset="fashion-mnist", epochs=1, batch_size=32, d_hidden=8, d_latent=4, device="cpu")
    assert list(train(cfg, dataset))[-1].status == "completed"


def test_a_failed_download_names_its_cause_and_leaves_no_empty_folders(tmp_path, monkeypatch):
    import urllib.error

    import torchvision.datasets

    from sae_desktop import data

    class Unreachable:  # torchvision's behaviour offline: folders made, a partial file, an error
        def __init__(self, root, train, download):
            raw = Path(root) / "MNIST" / "raw"
            raw.mkdir(parents=True, exist_ok=True)
            (raw / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b partial")
            try:
                raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
            except urllib.error.URLError as exc:
                raise RuntimeError("Error downloading train-images-idx3-ubyte.gz:\n") from exc

    monkeypatch.setattr(torchvision.datasets, "MNIST", Unreachable)
    monkeypatch.delenv(data.OFFLINE_ENV, raising=False)
    root = tmp_path / "user-data"
    with pytest.raises(DatasetError) as caught:
        load_dataset("mnist", root, allow_download=True)
    message = str(caught.value)
    assert "(download failed: no network: the server's name could not be looked up)" in message  # (plain words,
    assert "RuntimeError" not in message and "URLError" not in message  # not torchvision's error chain)
    assert not root.exists()  # nothing left behind: no partial file, no empty folders
    kept = tmp_path / "kept"
    (kept / "notes").mkdir(parents=True)  # a folder the user already had is kept, only emptied of ours
    with pytest.raises(DatasetError):
        load_dataset("mnist", kept, allow_download=True)
    assert sorted(p.name for p in kept.iterdir()) == ["notes"]


def test_describe_failure_is_never_empty():
    from sae_desktop.data import describe_failure

    assert describe_failure(RuntimeError("")) == "RuntimeError"
    assert describe_failure(OSError(28, "No space left on device")) == "OSError: [Errno 28] No space left on device"


def test_missing_files_names_each_absent_file_without_reading(tmp_path, tiny_data_dir):
    from sae_desktop.data import FILES, missing_files

    assert missing_files("mnist", tiny_data_dir) == []
    assert missing_files("fashion-mnist", tiny_data_dir) == list(FILES)
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte.gz").write_bytes(b"not even gzip")  # present by name; read later
    assert missing_files("mnist", tmp_path) == list(FILES[1:])


def test_dataset_root_is_the_folder_above_a_picked_dataset_folder(tmp_path):
    from sae_desktop.data import dataset_root

    assert dataset_root(tmp_path) == tmp_path
    assert dataset_root(tmp_path / "MNIST") == tmp_path
    assert dataset_root(tmp_path / "FashionMNIST" / "raw") == tmp_path
    assert dataset_root(tmp_path / "raw") == tmp_path / "raw"  # not a dataset's raw folder
    assert dataset_root(tmp_path / "MNIST-copy") == tmp_path / "MNIST-copy"


def test_a_data_folder_given_as_the_datasets_own_or_its_raw_folder_is_the_one_above(tiny_data_dir):
    """--data-dir …/MNIST/raw failed ("MNIST was not found in …/MNIST/raw/MNIST/raw"), while the
    window's Choose… takes either for the folder above."""
    whole = load_dataset("mnist", tiny_data_dir)
    for given in (tiny_data_dir / "MNIST", tiny_data_dir / "MNIST" / "raw"):
        assert len(load_dataset("mnist", given).test_images) == len(whole.test_images)


def test_a_download_that_fails_offline_says_so_in_plain_words():
    """Offline, `train` said "download failed: RuntimeError: Error downloading train-images-idx3-ubyte.gz: Tried
    https://ossci-datasets.s3.amazonaws.com/mnist/, got: <urlopen error [Errno -2] Name or service not known> Tried
    http://yann.lecun.com/exdb/mnist/, got: …", in the terminal and in the window's dialog."""
    from urllib.error import HTTPError, URLError

    from sae_desktop.data import download_failure

    offline = RuntimeError("Error downloading train-images-idx3-ubyte.gz:\\nTried https://ossci-datasets.s3.amazonaws"
                           ".com/mnist/, got:\\n<urlopen error [Errno -2] Name or service not known>\\n")
    assert download_failure(offline) == "no network: the server's name could not be looked up"
    try:
        raise RuntimeError("Error downloading t10k-labels-idx1-ubyte.gz") from URLError(OSError(101, "Network is "
                                                                                                 "unreachable"))
    except RuntimeError as exc:
        assert download_failure(exc) == "no network: the server could not be reached"
    forbidden = HTTPError("https://example.org/x.gz", 403, "Forbidden", {}, None)
    assert download_failure(forbidden) == "the server answered HTTP 403"
    assert download_failure(OSError(28, "No space left on device")) == "the disk is full"
    assert download_failure(ValueError("odd")) == "ValueError: odd"  # (else the error as it is)
