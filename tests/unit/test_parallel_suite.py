"""make test runs the suite on pytest-xdist workers and prints the time of each stage (issue 13, point 8)."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

from local.template import ROOT
from tests.conftest import PORTS_PER_WORKER, worker_port


def make(*args: str) -> str:
    command = ["make", "--no-print-directory", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout


def test_each_worker_hands_out_free_ports_of_its_own_below_the_kernels_ephemeral_ones() -> None:
    ephemeral = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    ports = {worker: [worker_port(worker=worker) for _ in range(5)] for worker in (0, 1, 2)}

    for worker, handed in ports.items():
        assert len(set(handed)) == 5  # never the same port twice in a row
        assert all(
            20000 + worker * PORTS_PER_WORKER <= port < 20000 + (worker + 1) * PORTS_PER_WORKER
            for port in handed
        )
        assert max(handed) < ephemeral
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        assert worker_port() != taken.getsockname()[1]


def test_the_suite_runs_on_workers_with_the_coverage_floor() -> None:
    recipe = make("-n", "pytest", "-o", ".venv/.stamp", "-o", "browser", "WORKERS=4")

    assert "-m pytest -n 4 --dist loadgroup --cov " in recipe
    assert "--cov-fail-under=93" in recipe


def test_make_test_ends_with_the_time_of_each_stage(tmp_path: Path) -> None:
    (tmp_path / ".start").write_text("0")  # nanoseconds: a start long ago
    for stage, milliseconds in {"pytest": 250_000, "lint": 1_500, "complexity": 800}.items():
        (tmp_path / stage).write_text(f"{milliseconds}\n")

    table = make("-s", "times", f"TIMES={tmp_path}").splitlines()

    assert table[0].startswith("==> make test: seconds per stage")
    rows = [line.split() for line in table[1:]]
    assert rows[:3] == [["lint", "1.5"], ["pytest", "250.0"], ["complexity", "0.8"]]
    assert rows[3][0] == "total" and float(rows[3][1]) > 250
