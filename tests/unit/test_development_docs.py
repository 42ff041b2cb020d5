"""docs/development.md tells a newcomer where each setting lives: every file and name in its table is right."""

from __future__ import annotations

import ast
import re

import pytest
from helpers import ROOT

TABLE = re.compile(r"^\| (?P<setting>[^|]+) \| `(?P<file>[^`]+)` \| `(?P<name>[^`]+)` \|$", re.MULTILINE)
ROWS = TABLE.findall((ROOT / "docs" / "development.md").read_text())


def _defined(path, name: str) -> bool:
    """Whether ``name`` (``NAME`` or ``Class.field``) is assigned or defined at the top of the module at ``path``."""
    tree = ast.parse(path.read_text())
    owner, _, field = name.partition(".")
    for node in tree.body:
        names = []
        if isinstance(node, ast.Assign):
            names = [target.id for target in node.targets if isinstance(target, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names = [node.target.id]
        elif isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names = [node.name]
        if owner not in names:
            continue
        if not field:
            return True
        body = node.body if isinstance(node, ast.ClassDef) else []
        fields = [item.target.id for item in body if isinstance(item, ast.AnnAssign)]
        return field in fields
    return False


def test_the_table_names_at_least_ten_settings():
    assert len(ROWS) >= 10


@pytest.mark.parametrize(("setting", "file", "name"), ROWS, ids=[row[2] for row in ROWS])
def test_each_setting_lives_where_the_table_says(setting, file, name):
    path = ROOT / file
    assert path.is_file(), f"{file} (for {setting.strip()}) does not exist"
    assert _defined(path, name), f"{name} is not defined at the top of {file}"
