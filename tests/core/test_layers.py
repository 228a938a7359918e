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
