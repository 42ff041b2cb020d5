"""The scale-out recipe's files, read without serving: ``scripts/serve_many.sh`` refuses a wrong number of ports,
CI installs nginx, the Dockerfile builds the app with its shipped weights (it cannot be built here: no Docker).
Serving through nginx: tests/system/test_proxy.py."""

from __future__ import annotations

import os
import re
import subprocess
import tomllib

import pytest
from helpers import ROOT

from bench.browser.proxy import nginx_path


def test_the_script_refuses_a_wrong_number_of_ports(tmp_path):
    if nginx_path() is None:
        pytest.skip("nginx is missing")
    completed = subprocess.run(
        ["bash", str(ROOT / "scripts" / "serve_many.sh"), "2", "18999"],
        env={**os.environ, "BNN_BACKEND_PORTS": "19001", "BNN_RUN_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 2 and "1 ports for 2 processes" in completed.stderr


def test_ci_installs_nginx():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    test_packages = re.search(r'if \[ "\$target" = test \]; then\s+packages=\(([^)]*)\)', setup)
    assert test_packages and "nginx" in test_packages.group(1).split()


def test_the_dockerfile_builds_the_app_with_its_shipped_weights():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [line.strip() for line in dockerfile.splitlines() if line.strip() and not line.startswith("#")]
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    python = re.fullmatch(r">=(\d+\.\d+)", requires).group(1)
    assert instructions[0] == f"FROM python:{python}-slim"
    copies = {line.split()[1].rstrip("/") for line in instructions if line.startswith("COPY ")}
    assert {"requirements.txt", "bnn", "assets", ".streamlit", "app.py"} <= copies
    assert "RUN pip install -r requirements.txt" in instructions
    assert (ROOT / ".streamlit" / "config.toml").is_file() and list((ROOT / "assets").glob("*.weights.npz"))
    assert "EXPOSE 8501" in instructions and re.search(r'CMD \["streamlit", "run", "app.py"', dockerfile)
    ignored = {line.strip().rstrip("/") for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert not ignored & {"assets", ".streamlit", "bnn", "app.py", "requirements.txt"}
