"""The MaixHub package: what maixtool builds is exactly what the device needs."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# The package is capped at 1 MB plus the blendshape network's weights, the one large file the
# device needs (README, Models): the cap was raised by exactly that file's size.
WEIGHTS = "app/core/expressions/face_blendshapes.npz"
WEIGHTS_BYTES = 837_795
CAP = 1_000_000 + WEIGHTS_BYTES
IGNORED = shutil.ignore_patterns(".git", ".venv*", "dist", "data", "__pycache__", ".pytest_cache",
                                 ".mypy_cache", "*.jsonl")


@pytest.fixture(scope="module")
def package(tmp_path_factory) -> tuple[zipfile.ZipFile, dict]:
    """Build the package from a copy of the checkout (test data and models included, to
    prove they are left out) with the pinned maixtool, as ./build.sh does."""
    work = tmp_path_factory.mktemp("pkg") / "src"
    shutil.copytree(ROOT, work, ignore=IGNORED)
    maixtool = Path(sys.executable).with_name("maixtool")
    result = subprocess.run([str(maixtool), "release"], cwd=work, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout
    manifest = yaml.safe_load((ROOT / "app.yaml").read_text())
    zip_path = work / "dist" / f"{manifest['id']}_v{manifest['version']}.zip"
    return zipfile.ZipFile(zip_path), manifest


def test_manifest_has_the_fields_maixtool_and_the_store_need(package):
    _, manifest = package
    for key in ("id", "name", "name[zh]", "version", "author", "desc", "desc[zh]", "icon"):
        assert manifest.get(key), key
    assert manifest["id"].replace("_", "").isalnum() and manifest["id"].islower()
    assert [int(p) for p in manifest["version"].split(".")] and manifest["version"].count(".") == 2


def test_layout_one_folder_with_main_py(package):
    zf, manifest = package
    names = zf.namelist()
    app_id = manifest["id"]
    assert all(n.startswith(app_id + "/") for n in names)
    assert f"{app_id}/main.py" in names and f"{app_id}/app.yaml" in names
    assert f"{app_id}/{manifest['icon']}" in names


def test_nothing_but_what_the_device_needs(package):
    zf, manifest = package
    inner = [n.split("/", 1)[1] for n in zf.namelist()]
    forbidden = ("tests/", "bench/", "tools/", "models/", "dist/", "data/", "out/", ".venv", "app/pc/",
                 "docs/", ".ci/")
    for name in inner:
        assert not name.startswith(forbidden), name
        assert "__pycache__" not in name and not name.endswith((".tflite", ".jpg", ".mp4"))
    assert not {"build.sh", "README.md", "requirements.txt"} & set(inner)
    assert zf.getinfo(f"{manifest['id']}/{WEIGHTS}").file_size == WEIGHTS_BYTES
    assert sum(i.file_size for i in zf.infolist()) < CAP
    assert Path(zf.filename).stat().st_size < CAP


def _imports(path: Path, package_root: Path) -> set[str]:
    """Modules of `app` that `path` imports (absolute or relative), as dotted names."""
    tree = ast.parse(path.read_text())
    module = ".".join(path.relative_to(package_root).with_suffix("").parts)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "app"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if path.name == "__init__.py" else 0)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            if name.split(".")[0] == "app":
                found.add(name)
                found |= {f"{name}.{a.name}" for a in node.names}
    return found


def test_every_module_main_py_reaches_on_the_device_is_packed(package):
    """Follow imports from main.py through app/ (skipping the PC adapter, which the device
    never loads): each module reached must be in the zip."""
    zf, manifest = package
    inner = {n.split("/", 1)[1] for n in zf.namelist()}
    todo, seen = ["main"], set()
    while todo:
        name = todo.pop()
        if name in seen or name.startswith("app.pc"):
            continue
        seen.add(name)
        candidates = [Path(*name.split(".")).with_suffix(".py"), Path(*name.split(".")) / "__init__.py"]
        path = next((c for c in candidates if (ROOT / c).exists()), None)
        if path is None:
            continue  # a name imported from a module, not a module
        assert path.as_posix() in inner, f"{path} is imported on the device but not packed"
        todo.extend(_imports(ROOT / path, ROOT))
    assert "app.device" in seen and "app.core.face.pipeline" in seen
