"""make test runs the suite on pytest-xdist workers and prints the time of each stage (issue 13, point 8)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from local.template import ROOT


def make(*args: str) -> str:
    command = ["make", "--no-print-directory", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_the_suite_runs_on_workers_with_the_coverage_floor() -> None:
    recipe = make("-n", "pytest", "-o", ".venv/.stamp", "-o", "browser", "WORKERS=4")

    assert "-m pytest -n 4 --dist worksteal --cov " in recipe
    assert "--cov-fail-under=95" in recipe


def test_make_test_ends_with_the_time_of_each_stage(tmp_path: Path) -> None:
    (tmp_path / ".start").write_text("0")  # nanoseconds: a start long ago
    for stage, milliseconds in {"pytest": 250_000, "lint": 1_500, "later-stage": 800}.items():
        (tmp_path / stage).write_text(f"{milliseconds}\n")

    table = make("-s", "times", f"TIMES={tmp_path}").splitlines()

    assert table[0].startswith("==> make test: seconds per stage")
    rows = [line.split() for line in table[1:]]
    assert rows[:3] == [["lint", "1.5"], ["pytest", "250.0"], ["later-stage", "0.8"]]
    assert rows[3][0] == "total" and float(rows[3][1]) > 250


def test_coverage_is_measured_through_sys_monitoring() -> None:
    import tomllib

    run = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["run"]

    assert run["core"] == "sysmon" and not run.get("branch")  # settrace's branches cost a third
