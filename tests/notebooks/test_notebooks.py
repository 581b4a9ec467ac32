"""Every notebook executes top to bottom (nbclient) on a small simulation, so none of them rots."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from moderation.settings import PROJECT_ROOT
from pipelines.simulate import SimConfig, simulate

pytestmark = pytest.mark.slow

NOTEBOOKS = sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate(out, SimConfig(days=3, drift_day=2, listings_per_day=2_000, retrain_every=0, model_trees=40),
             log=lambda _m: None)
    return out


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    """A kernelspec for this interpreter (.venv's python), whatever `python` is on PATH."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / "moderation-venv"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "moderation (.venv)", "language": "python",
    }))
    return root


def test_notebooks_exist_and_are_stored_without_outputs():
    assert {p.name for p in NOTEBOOKS} >= {"closed_loop.ipynb", "rule_performance.ipynb", "queue_health.ipynb"}
    for path in NOTEBOOKS:
        book = nbformat.read(path, as_version=4)
        leftovers = [i for i, c in enumerate(book.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
        assert not leftovers, f"{path.name}: clear the outputs of cells {leftovers} before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_executes(path, sim_dir, kernel_dir, monkeypatch):
    monkeypatch.setenv("MODERATION_SIM_DIR", str(sim_dir))
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    book = nbformat.read(path, as_version=4)
    client = NotebookClient(book, kernel_name="moderation-venv", timeout=600,
                            resources={"metadata": {"path": str(PROJECT_ROOT)}})
    client.execute()
    errors = [o for c in book.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert any(c.outputs for c in book.cells if c.cell_type == "code")
