"""The core never imports Qt: an import-linter contract, and it must list every core module."""

import pkgutil
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import sae_desktop

REPO = Path(__file__).resolve().parent.parent


def contract():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in config if c["name"] == "The core does not import Qt")


def test_contract_lists_every_core_module():
    core = {f"sae_desktop.{m.name}" for m in pkgutil.iter_modules(sae_desktop.__path__)} - {
        "sae_desktop.qt", "sae_desktop.cli", "sae_desktop.__main__"}
    assert core <= set(contract()["source_modules"]), "add new core modules to the import-linter contract"


def test_import_linter_contract_holds():
    lint = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    assert lint, "import-linter is part of the test extra"
    proc = subprocess.run([lint, "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KEPT" in proc.stdout


def test_importing_the_core_loads_no_qt():
    code = ("import sys, sae_desktop.engine, sae_desktop.runs, sae_desktop.checkpoint, sae_desktop.evaluation, "
            "sae_desktop.benchmark, sae_desktop.cli\n"
            "print([m for m in sys.modules if m.split('.')[0] in ('PySide6', 'pyqtgraph', 'superqt')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
