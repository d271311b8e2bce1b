"""The PDF apart: fpdf2 (with Pillow and fontTools) is the PDF layer's, which only PoPdfFunction has.

Each function's handler is imported cold, with exactly its template layers on the path (as Lambda
extracts them into /opt/python), in one interpreter that takes the functions in turn and the
renderer last; and the local runtime withholds from a function what only other functions' layers
hold, as AWS does.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from local import runtime, template
from tests.unit.test_po_pdf import ISSUED, line, purchase_order

ROOT = template.ROOT
PDF_LIBRARIES = {"fpdf", "PIL", "fontTools"}
RENDERS = "PoPdfFunction"
# Each function's handler, imported cold in turn in one interpreter (one per function took 3 s each):
# with exactly its template layers on the path, its environment and its code directory. The renderer
# goes last, so what a function imports new is all it imports of the PDF stack: no function before
# it can have imported any of it without its own check failing.
IMPORT_HANDLERS = """
import importlib.util, json, os, sys
functions = json.loads(sys.argv[1])
path, environment = list(sys.path), dict(os.environ)
imported = {}
for logical_id, layers, module_file, code_uri, variables in functions:
    before = {name.split(".")[0] for name in sys.modules}
    sys.path[:] = [*layers, *path]
    os.environ.clear()
    os.environ.update({**environment, **variables})
    os.chdir(code_uri)
    spec = importlib.util.spec_from_file_location(f"handler_under_test_{logical_id}", module_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported[logical_id] = sorted({name.split(".")[0] for name in sys.modules} - before)
print(json.dumps(imported))
"""


@pytest.fixture(scope="module")
def imported_at_cold_start() -> dict[str, set[str]]:
    """Function -> the top-level modules its handler's cold start imports (of the PDF stack, all)."""
    specs = template.functions()
    order = sorted(specs, key=lambda logical_id: (logical_id == RENDERS, logical_id))
    functions = [
        [
            logical_id,
            [str(p) for p in specs[logical_id].layers],
            str(specs[logical_id].module_file),
            str(specs[logical_id].code_uri),
            specs[logical_id].environment,
        ]
        for logical_id in order
    ]
    done = subprocess.run(
        [sys.executable, "-P", "-c", IMPORT_HANDLERS, json.dumps(functions)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return {logical_id: set(names) for logical_id, names in json.loads(done.stdout.splitlines()[-1]).items()}


@pytest.mark.parametrize("logical_id", sorted(template.functions()))
def test_no_function_but_the_renderer_imports_fpdf_at_cold_start(
    logical_id: str, imported_at_cold_start: dict[str, set[str]]
) -> None:
    loaded = imported_at_cold_start[logical_id]

    if logical_id == RENDERS:
        assert PDF_LIBRARIES <= loaded
    else:
        assert not loaded & (PDF_LIBRARIES | {"supplier_pdf"})


def test_only_the_renderer_has_the_pdf_layer() -> None:
    pdf_layer = template.layers()["PdfLayer"]
    having = {logical_id for logical_id, spec in template.functions().items() if pdf_layer in spec.layers}
    assert having == {RENDERS}
    assert all(template.layers()["SharedLayer"] in spec.layers for spec in template.functions().values())


def test_the_shared_layer_installs_no_pdf_library_and_the_pdf_layer_does() -> None:
    layers = template.layers()
    assert not runtime.layer_modules(layers["SharedLayer"]) & PDF_LIBRARIES
    assert PDF_LIBRARIES <= runtime.layer_modules(layers["PdfLayer"])


def test_no_module_of_the_shared_layer_imports_the_pdf_layer_or_its_libraries() -> None:
    offenders = []
    for file in sorted((ROOT / "layers" / "shared").rglob("*.py")):
        for node in ast.walk(ast.parse(file.read_text())):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [
                f"{file.relative_to(ROOT)}: {name}"
                for name in names
                if name.split(".")[0] in PDF_LIBRARIES | {"supplier_pdf"}
            ]
    assert offenders == []


def test_the_local_runtime_withholds_what_only_other_functions_layers_hold() -> None:
    """As in AWS: a function without the PDF layer cannot import fpdf, though this process has it."""
    import fpdf

    runtimes = runtime.Runtimes(template.functions())
    po = purchase_order([line(1)])

    with runtimes.running("PoApiFunction"):
        for name in ("fpdf", "fpdf.enums", "PIL", "fontTools.ttLib", "supplier_pdf.renderer"):
            with pytest.raises(ImportError):
                __import__(name)
    with runtimes.running(RENDERS):
        from supplier_pdf import renderer

        assert renderer.FPDF is fpdf.FPDF  # the library is the process's, the layer's code its own
        pdf = renderer.render(po, buyer="acme", issued_at=ISSUED)  # fontTools imports its tables lazily
        assert pdf.startswith(b"%PDF-")

    assert sys.modules["fpdf"] is fpdf  # the process's own modules back once the function is done


def test_a_layer_requirement_file_as_a_lock_exports_it_is_read_too(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text(
        "# generated\nfpdf2==2.8.9 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\n    # via x\n"
    )
    assert PDF_LIBRARIES <= runtime.layer_libraries(tmp_path)
