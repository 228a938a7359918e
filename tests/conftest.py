"""Shared fixtures: real faces and real models, fetched by tools/fetch_assets.py."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
MODELS = ROOT / "models" / "pc"
sys.path.insert(0, str(ROOT))


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


@pytest.fixture(scope="session")
def pipeline_factory(models_dir):
    """Build a PC FacePipeline (LiteRT models loaded once per configuration)."""
    from app.core.pipeline import FacePipeline
    from app.pc.detector import BlazeFaceDetector
    from app.pc.landmarker import AttentionLandmarker

    cache: dict = {}

    def make(variant: str = "auto", tiling: str = "auto", still: bool = True,
             every_frame: bool = False):
        key = variant
        if key not in cache:
            cache[key] = (BlazeFaceDetector(models_dir, variant), AttentionLandmarker(models_dir))
        detector, landmarker = cache[key]
        detector.tiling, detector.still, detector.every_frame = tiling, still, every_frame
        return FacePipeline(detector, landmarker)

    return make
