"""Shared fixtures: real faces and real models, fetched by tools/fetch_assets.py."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "models" / "pc"
sys.path.insert(0, str(ROOT))


def run_main(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """`python main.py ARGS` as a user runs it, from the app folder."""
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def start_main(*args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "main.py"), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kwargs)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def one_error(result: subprocess.CompletedProcess) -> str:
    """The run's one `error:` line (the contract for bad input), checked: exit code 2,
    nothing else on stderr, no traceback."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1 and lines[0].startswith("error: "), \
        (result.returncode, result.stderr)
    return lines[0]


def _require(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path.relative_to(ROOT)} is missing: run `python tools/fetch_assets.py` "
                    "(./build.sh test does it)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return _require(DATA)


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return _require(MODELS)


def load_rgb(name: str) -> np.ndarray:
    from app.pc.sources import read_image
    return read_image(_require(DATA / name))


def load_video(name: str) -> list[np.ndarray]:
    """Every frame of a test video, RGB."""
    from app.pc.sources import Source
    source = Source.open(str(_require(DATA / name)))
    try:
        return list(source.frames())
    finally:
        source.close()


def _model_settings(settings: dict) -> dict:
    """The settings the models are built with (the rest are the tracker's)."""
    return {k: v for k, v in settings.items()
            if k.startswith("pc_") or k in ("detector_conf_threshold", "detector_iou_threshold")}


@pytest.fixture(scope="session")
def pc_models(models_dir):
    """`pc_models(still=True, tracking=False, **settings)`: the PC backend's models as the
    app assembles them (app.backends.pc_models), loaded once per configuration."""
    from app import backends
    from app.core.settings import Settings

    cache: dict = {}

    def make(still: bool = True, tracking: bool = False, **settings):
        key = (still, tracking, tuple(sorted(settings.items())))
        if key not in cache:
            cache[key] = backends.pc_models(Settings().replace(**settings), still=still,
                                            tracking=tracking)
        return cache[key]

    return make


@pytest.fixture(scope="session")
def find_faces(pc_models):
    """`find_faces(rgb, max_faces=10, **settings)`: the faces the app finds in a photo."""
    from app import backends
    from app.core.settings import Settings

    def find(rgb: np.ndarray, max_faces: int = 10, **settings):
        models = pc_models(still=True, tracking=False, **_model_settings(settings))
        chosen = Settings().replace(max_faces=max_faces, smoothing=0.0, **settings)
        return backends.make_tracker(models, chosen, tracking=False).update(rgb, 0.0)

    return find


@pytest.fixture(scope="session")
def pc_tracker(pc_models):
    """`pc_tracker(tracking=True, **settings)`: a new tracker on the PC models for video
    frames, as the app runs it."""
    from app import backends
    from app.core.settings import Settings

    def make(tracking: bool = True, **settings):
        chosen = backends.pc_settings(Settings()).replace(**settings)
        models = pc_models(still=False, tracking=tracking, **_model_settings(settings))
        return backends.make_tracker(models, chosen, tracking=tracking)

    return make
