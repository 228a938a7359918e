"""The core stands alone: no maix, no LiteRT, no reaching into the adapters."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "app" / "core"

BLOCKER = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in {'maix', 'ai_edge_litert', 'tflite_runtime', 'mediapipe'}:
            raise ImportError('blocked: ' + name)
sys.meta_path.insert(0, Block())
import pkgutil, importlib, app.core
for m in pkgutil.walk_packages(app.core.__path__, 'app.core.'):
    importlib.import_module(m.name)
print('ok', len([m for m in sys.modules if m.startswith('app.core')]))
"""


def test_core_imports_with_platform_packages_blocked():
    result = subprocess.run([sys.executable, "-c", BLOCKER], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def test_core_never_imports_the_adapters():
    for path in CORE.rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                # Relative imports climbing out of app.core (level >= 2 from app/core/x.py).
                depth = len(path.relative_to(CORE).parts)  # 1 for app/core/x.py
                assert node.level <= depth, f"{path}: reaches out of app.core"
                assert not module.startswith(("app.pc", "app.device", "maix")), f"{path}: {module}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("maix", "app.pc", "app.device")), \
                        f"{path}: imports {alias.name}"


def _imports(path: Path) -> set[str]:
    """Absolute module names imported by a file of the `app` package (relative resolved)."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_adapters_never_import_each_other():
    """app/backends.py is the one place that puts the device and the PC together."""
    for adapter, other in (("device", "app.pc"), ("pc", "app.device")):
        for path in (ROOT / "app" / adapter).rglob("*.py"):
            bad = [m for m in _imports(path) if m == other or m.startswith(other + ".")]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_core_tests_run_without_litert_or_maix():
    """tests/core runs on replayed model outputs: block the runtimes and run it."""
    blocker = ("import importlib.abc, sys\n"
               "class Block(importlib.abc.MetaPathFinder):\n"
               "    def find_spec(self, name, path=None, target=None):\n"
               "        if name.split('.')[0] in {'maix', 'ai_edge_litert', 'mediapipe'}:\n"
               "            raise ImportError('blocked: ' + name)\n"
               "sys.meta_path.insert(0, Block())\n"
               "import pytest\n"
               "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', 'tests/core',\n"
               "                      '--deselect', 'tests/core/test_layers.py']))\n")
    result = subprocess.run([sys.executable, "-c", blocker], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "error" not in result.stdout.lower()
