"""Layout rules from STYLE.md that a machine can check."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT


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


TEST_KINDS = ("unit", "shipped", "system")  # STYLE.md: tests/ by kind; helpers/ holds what they share


def test_every_test_module_sits_in_the_folder_of_its_kind_under_a_name_of_its_own():
    tests = sorted((ROOT / "tests").rglob("test_*.py"))
    assert [path for path in tests if path.parent.relative_to(ROOT / "tests").as_posix() not in TEST_KINDS] == []
    names = [path.name for path in tests]  # pytest's default import mode needs each name once
    assert sorted(name for name in set(names) if names.count(name) > 1) == []


def test_no_test_module_imports_another():
    """What tests share lives in tests/helpers/, never in a test module."""
    importing = {
        str(path.relative_to(ROOT)): sorted(name for name in _imported_modules(path) if name.startswith("test_"))
        for path in (ROOT / "tests").rglob("*.py")
    }
    assert {path: names for path, names in importing.items() if names} == {}


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
