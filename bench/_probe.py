"""Cold-import probe, run in a fresh interpreter: `python -B -P bench/_probe.py MODE LAYER ...`.

Standard library only, so nothing the benchmark uses is loaded when the timer starts; `-P` keeps
bench/ off sys.path and `-B` leaves no .pyc behind. Every mode imports the same modules and puts the
function's layers (LAYER: their directories, os.pathsep between them) first on sys.path (as
`local.template.load_module` does) before doing its one thing:

  modules LAYER FILE NAME   import the handler; print every module it added, with its origin file
  handler LAYER FILE NAME   time importing the handler module (as NAME, from FILE); the top-level
                            packages loaded then
  deps    LAYER NAMES.json  time importing exactly these module names, in order

The result is one line on stdout: MARK followed by JSON. Timings are wall clock (perf_counter_ns) and
this process's CPU time (process_time_ns, which a busy shared machine disturbs less).
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

MARK = "BENCH-PROBE "


def load_handler(module_file: str, module_name: str) -> None:
    spec = importlib.util.spec_from_file_location(module_name, module_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)


def origin(module: object) -> str | None:
    file = getattr(module, "__file__", None)
    if file:
        return str(file)
    paths = list(getattr(module, "__path__", None) or [])
    return str(paths[0]) if paths else None


def main(argv: list[str]) -> dict[str, object]:
    mode, layer = argv[0], argv[1]
    sys.path[:0] = layer.split(os.pathsep)
    if mode == "modules":
        before = set(sys.modules)
        load_handler(argv[2], argv[3])
        added = [name for name in list(sys.modules) if name not in before]
        return {"modules": [[name, origin(sys.modules[name])] for name in added]}
    if mode == "handler":
        start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
        load_handler(argv[2], argv[3])
        elapsed, cpu = time.perf_counter_ns() - start, time.process_time_ns() - cpu_start
        return {
            "ns": elapsed,
            "cpu_ns": cpu,
            "packages": sorted({name.split(".")[0] for name in sys.modules}),
        }
    if mode == "deps":
        names = json.loads(Path(argv[2]).read_text())
        failed: list[str] = []
        start, cpu_start = time.perf_counter_ns(), time.process_time_ns()
        for name in names:
            if name not in sys.modules:
                try:
                    importlib.import_module(name)
                except Exception as error:  # reported, not fatal
                    failed.append(f"{name}: {error!r}")
        elapsed, cpu = time.perf_counter_ns() - start, time.process_time_ns() - cpu_start
        own = sorted(name for name in sys.modules if name.split(".")[0] == "purchasing")
        return {"ns": elapsed, "cpu_ns": cpu, "failed": failed, "own_loaded": own}
    raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    print(MARK + json.dumps(main(sys.argv[1:])))
