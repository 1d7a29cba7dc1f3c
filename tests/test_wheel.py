"""Installable: the wheel carries the bundled model and the icon, and an unpacked wheel (no
source tree anywhere on the path) probes an image with the bundled model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
RESOURCES = ("pretrained_mnist_kl.safetensors", "sae-desktop.svg", "sae-desktop.png")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """``pip wheel`` of a copy of the sources (the build leaves build/ and egg-info behind), offline."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "sae_desktop", src / "sae_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheelhouse")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(out)], capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PIP_NO_INPUT="1"))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("sae_desktop-*.whl")
    return built


def test_the_wheel_contains_the_package_its_resources_and_the_command(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for resource in RESOURCES:
        assert f"sae_desktop/resources/{resource}" in names, resource
    model = zipfile.ZipFile(wheel).getinfo("sae_desktop/resources/pretrained_mnist_kl.safetensors")
    assert model.file_size == (REPO / "sae_desktop" / "resources" / "pretrained_mnist_kl.safetensors").stat().st_size
    modules = {p.relative_to(REPO).as_posix() for p in (REPO / "sae_desktop").rglob("*.py")}
    assert modules <= names, modules - names
    assert not any(n.startswith(("tests/", "benchmarks/")) for n in names)
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    assert "sae-desktop = sae_desktop.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_an_unpacked_wheel_probes_with_its_bundled_model_and_no_source_tree(wheel, tmp_path):
    site = tmp_path / "site-packages"
    zipfile.ZipFile(wheel).extractall(site)
    digit = np.zeros((28, 28), dtype=np.uint8)
    digit[6:22, 13:16] = 255  # a "1"
    Image.fromarray(digit).save(tmp_path / "one.png")
    code = (f"import sys; sys.path.insert(0, {str(site)!r}); from sae_desktop.cli import main; import sae_desktop; "
            "print(sae_desktop.__file__, file=sys.stderr); sys.exit(main(['probe', '--json', 'one.png']))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr.startswith(str(site))  # the unpacked wheel's package, not this checkout
    record = json.loads(done.stdout)
    assert record["ok"] and len(record["latents"]) == 32 and record["active"]
