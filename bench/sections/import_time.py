"""(a) Cold import of each handler module, next to the cold import of its third-party dependencies alone.

What "deps alone" means here:
1. One fresh interpreter imports the handler (bench/_probe.py `modules`) and reports every module that
   import added to sys.modules, in the order they were added, with the file each came from.
2. Of those, the third-party ones are the modules whose top-level package is neither in the standard
   library (sys.stdlib_module_names) nor ours (a file under the repo outside the virtualenvs, i.e.
   `purchasing` from layers/shared and the handler module itself). That includes submodules the
   handler's code only imports lazily at import time (pydantic's schema machinery, email_validator...).
3. "Deps alone" is a fresh interpreter importing exactly that list of module names, in that order, with
   importlib.import_module (a name already loaded by an earlier one is skipped). Standard-library
   modules those packages need come in with them; standard-library modules only our code imports do
   not. Nothing of ours runs: no model classes, no Powertools resolver, no Logger/Tracer/Metrics.

So handler - deps is what our own code costs at cold start: compiling and executing our modules
(pydantic model building, route registration, pynamodb model classes) and any stdlib only we use.
Both are timed with time.perf_counter_ns around the import alone, in separate fresh processes
(interpreter start-up excluded), alternating handler and deps runs so they share the machine's noise.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from bench import env
from bench.core import Check, Context, Result, Section, Table, median, verdict

RUNS = 5  # fresh processes per measurement and kind (the minimum asked); 2 x RUNS + 1 per function
TARGET = 1.25
ROOT = Path(__file__).resolve().parents[2]
PROBE = ROOT / "bench" / "_probe.py"


def _probe(args: list[str], environment: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-B", "-P", str(PROBE), *args]
    done = subprocess.run(command, env=environment, cwd=ROOT, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH-PROBE ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"probe {args[0]} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH-PROBE "))
    return result


_STDLIB_DIRS = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib")}


def _is_stdlib(name: str, file: str | None) -> bool:
    """In sys.stdlib_module_names, or a file of the standard library's own (e.g. _sysconfigdata_*)."""
    if name.split(".")[0] in sys.stdlib_module_names:
        return True
    if not file:
        return False
    path = Path(file).resolve()
    return "site-packages" not in path.parts and any(path.is_relative_to(d) for d in _STDLIB_DIRS)


def _is_ours(file: str | None) -> bool:
    if not file:
        return False
    path = Path(file).resolve()
    return path.is_relative_to(ROOT) and not any(part.startswith(".venv") for part in path.parts)


def classify(modules: list[list[Any]], handler_name: str) -> tuple[list[str], list[str]]:
    """(third-party module names in import order, our module names) from the probe's list."""
    origins = {name: file for name, file in modules}
    own_top = {name.split(".")[0] for name, file in modules if _is_ours(file)} | {handler_name}
    third, own = [], []
    for name, file in modules:
        if name.split(".")[0] in own_top:
            own.append(name)
        elif not _is_stdlib(name, file):
            third.append(name)
    assert all(not _is_ours(origins[name]) for name in third)
    return third, own


def _bytecode_cached(module_files: list[str]) -> int:
    cached = 0
    for file in module_files:
        if file.endswith(".py") and Path(importlib.util.cache_from_source(file)).exists():
            cached += 1
    return cached


def run(ctx: Context) -> Result:
    env.configure()
    from local import template

    table = Table(
        "(a) Cold import per handler module: fresh process each, median of "
        f"{RUNS}, handler vs its third-party deps alone",
        [
            "function",
            "handler ms",
            "deps alone ms",
            "own ms",
            "ratio",
            "target",
            "verdict",
            "handler min-max",
            "deps min-max",
            "ratio of mins",
            "CPU-time ratio",
        ],
    )
    result = Result(tables=[table])
    with tempfile.TemporaryDirectory(prefix="bench-imports-") as scratch:
        for logical_id, spec in template.functions({"PurchaseOrdersTable": env.TABLE_NAME}).items():
            # The same module name local.template.load_module gives it (every function has an app.py).
            name = f"functions_{spec.code_uri.name}_{spec.module_file.stem}"
            environment = env.for_function(spec.environment)
            layers = os.pathsep.join(map(str, spec.layers))
            handler_args = [layers, str(spec.module_file), name]
            listing = _probe(["modules", *handler_args], environment)["modules"]
            third, own = classify(listing, name)
            names_file = Path(scratch) / f"{logical_id}.json"
            names_file.write_text(json.dumps(third))

            handler_ns: list[int] = []
            deps_ns: list[int] = []
            handler_cpu: list[int] = []
            deps_cpu: list[int] = []
            failed: list[str] = []
            leaked: list[str] = []
            for run_no in range(RUNS):
                order = ("handler", "deps") if run_no % 2 == 0 else ("deps", "handler")
                for kind in order:
                    if kind == "handler":
                        handler = _probe(["handler", *handler_args], environment)
                        handler_ns.append(handler["ns"])
                        handler_cpu.append(handler["cpu_ns"])
                    else:
                        deps = _probe(["deps", layers, str(names_file)], environment)
                        deps_ns.append(deps["ns"])
                        deps_cpu.append(deps["cpu_ns"])
                        failed, leaked = deps["failed"], deps["own_loaded"]

            handler_ms, deps_ms = median(handler_ns) / 1e6, median(deps_ns) / 1e6
            ratio = handler_ms / deps_ms
            table.add(
                logical_id,
                f"{handler_ms:.1f}",
                f"{deps_ms:.1f}",
                f"{handler_ms - deps_ms:+.1f}",
                f"{ratio:.2f}x",
                f"<= {TARGET:.2f}x",
                verdict(ratio <= TARGET),
                f"{min(handler_ns) / 1e6:.0f}-{max(handler_ns) / 1e6:.0f}",
                f"{min(deps_ns) / 1e6:.0f}-{max(deps_ns) / 1e6:.0f}",
                f"{min(handler_ns) / min(deps_ns):.2f}x",
                f"{median(handler_cpu) / median(deps_cpu):.2f}x",
            )
            result.checks.append(Check(f"{logical_id} cold import <= {TARGET}x deps alone", ratio <= TARGET))

            packages = sorted({module.split(".")[0] for module in third})
            own_files = [file for module, file in listing if module in own and file]
            table.notes += [
                f"{logical_id}: {spec.module_file.relative_to(ROOT)} pulls in {len(third)} third-party "
                f"modules from {len(packages)} packages: {', '.join(packages)}",
                f"{logical_id}: {len(own)} modules of ours; cached .pyc for {_bytecode_cached(own_files)} "
                f"of {len(own_files)} (the rest compile at import, as they do when no .pyc is shipped)",
            ]
            if failed:
                table.notes.append(f"{logical_id}: deps that failed to import alone: {'; '.join(failed)}")
            if leaked:
                table.notes.append(f"{logical_id}: deps alone loaded our modules too: {', '.join(leaked)}")
    table.notes += [
        "deps alone = a fresh process importing exactly the non-stdlib, non-ours modules the handler "
        "import left in sys.modules (see bench/sections/import_time.py)",
        "the target is on the ratio of wall-clock medians; as cross-checks on a noisy machine: the ratio "
        "of the fastest runs, and of the median CPU time each process spent importing",
    ]
    return result


SECTION = Section("imports", "Cold import time per handler", run)
