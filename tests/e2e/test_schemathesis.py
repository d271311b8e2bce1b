"""Schemathesis against the OpenAPI document the local cloud serves, as a buyer.

Every operation, positive and negative data, all four phases named explicitly (examples,
coverage, fuzzing, and stateful: sequences of calls following the links schemathesis infers
from Location headers, e.g. create a PO then read, edit, submit it). Bounded by examples per
operation (10: about two and a half minutes on two busy cores). `ST_MAX_EXAMPLES`, `ST_PHASES`
and `ST_SEED` override; a failure prints the seed and a curl command to reproduce each finding.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from local import template
from tests.e2e.conftest import Client, LocalCloud

pytestmark = pytest.mark.e2e

CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
MAX_EXAMPLES = int(os.environ.get("ST_MAX_EXAMPLES") or 10)
PHASES = os.environ.get("ST_PHASES") or "examples,coverage,fuzzing,stateful"
HARD_LIMIT_SECONDS = 600


def test_the_api_conforms_to_its_openapi_document(local_cloud: LocalCloud, tmp_path: Path) -> None:
    token = local_cloud.token(f"fuzz-{uuid.uuid4().hex[:8]}", "fuzz@acme.example", "buyer")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{local_cloud.url}/openapi.json",
        "--checks",
        ",".join(CHECKS),
        "--header",
        f"Authorization: Bearer {token}",
        "--header",
        f"x-api-key: {Client(local_cloud.url, token).key()}",  # the web console's: a client like it
        "--phases",
        PHASES,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "2",
        "--request-timeout",
        "60",
        "--output-sanitize",
        "true",
    ]
    if os.environ.get("ST_SEED"):
        command += ["--seed", os.environ["ST_SEED"]]

    # Run where its caches (.hypothesis, .schemathesis) cannot land in the repository.
    result = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=HARD_LIMIT_SECONDS,
    )

    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, f"schemathesis found problems:\n{output}"
    tested = re.search(r"Tested:\s+(\d+)", output)
    assert tested is not None and int(tested.group(1)) == len(template.routes()), "not every operation ran"
    for phase in PHASES.split(","):
        assert re.search(rf"✅\s+{phase}", output, re.IGNORECASE), f"the {phase} phase did not run"
