"""Layout rules from STYLE.md that a machine can check."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bnn").rglob("*.py")), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_package_never_imports_streamlit(path):
    assert not {"streamlit", "streamlit_drawable_canvas"} & _imported_modules(path)


def test_the_app_holds_no_maths():
    assert not {"tensorflow", "tensorflow_probability", "tf_keras", "numpy"} & _imported_modules(ROOT / "app.py")


def test_public_api_lists_every_export():
    import bnn

    assert sorted(bnn.__all__) == sorted(bnn._EXPORTS)
    for name in bnn.__all__:
        assert getattr(bnn, name) is not None


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff") or str(Path(sys.executable).with_name("ruff"))
    if not Path(ruff).exists():
        pytest.fail("ruff is missing: pip install -r requirements-dev.txt")
    result = subprocess.run([ruff, "check", str(ROOT)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
