"""The local cloud keeps a user's data across a restart in its state directory (issue 12, point 5):
restarted mid-flow (a PO, an accepted document, a partner link out), everything is still there and the
link sent before still works; without the saved state (`make dev-reset`) it starts clean."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from local import persistence
from local.cloud import free_port
from local.template import ROOT
from tests.e2e.conftest import STOP_SECONDS, Client, _wait_until_ready, po_body
from tests.e2e.test_documents_flow import PDF, browser_post, request_upload, settled

ORG = "org-restart"


@contextmanager
def running(state: Path) -> Iterator[Client]:
    """`python -m local` on that state directory, stopped with SIGTERM (which must save)."""
    port = free_port()
    log = state / f"output-{port}.log"
    env = {"LOCAL_CLOUD_DIR": str(state), "PYTHONUNBUFFERED": "1"}

    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "local", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, f"{url}/openapi.json", log)
        token = subprocess.run(  # `make token`: a user of the local user pool (made again after a restart)
            [
                sys.executable,
                "-m",
                "local.token",
                "--org",
                ORG,
                "--email",
                "buyer@acme.example",
                "--role",
                "buyer",
            ],
            cwd=ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        yield Client(url, token)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS * 3) == 0, log.read_text()[-3000:]


def test_a_restart_mid_flow_keeps_pos_documents_and_links_and_a_reset_starts_clean(tmp_path: Path) -> None:
    with running(tmp_path) as buyer:
        po = buyer("POST", "/pos", po_body(3)).json
        upload = request_upload(buyer, po["id"], "quote.pdf", PDF, "application/pdf")
        assert browser_post(upload, "quote.pdf", PDF) == 204
        assert settled(buyer, po["id"], upload["documentId"])["status"] == "ACCEPTED"
        order = buyer(
            "POST", "/orders", {"customer": {"name": "Initech"}, "amount": "480.00", "currency": "USD"}
        )
        assert buyer("PATCH", f"/orders/{order.json['id']}", {"status": "PROCESSING"}).status == 200
        link = buyer("POST", f"/orders/{order.json['id']}/partner-links", {"expiresInDays": 2}).json["url"]
        before = buyer("GET", f"/pos/{po['id']}").json
    assert (tmp_path / persistence.DIRECTORY).is_dir()

    with running(tmp_path) as buyer:
        after = buyer("GET", f"/pos/{po['id']}")
        assert after.status == 200 and after.json == before
        download = buyer("GET", f"/pos/{po['id']}/documents/{upload['documentId']}")
        assert download.status == 200, download.text
        with urllib.request.urlopen(download.json["url"], timeout=30) as response:
            assert response.read() == PDF  # the object, under the version id the item names
        # signed before the restart, with the same secret (the port is new here; make dev keeps its own)
        page = Client(buyer.base_url, None)("GET", urlsplit(link).path)
        assert page.status == 200, page.text
        assert buyer("POST", "/pos", po_body(1)).json["number"] != before["number"]  # numbering goes on

    shutil.rmtree(tmp_path / persistence.DIRECTORY)  # what make dev-reset does
    with running(tmp_path) as buyer:
        assert buyer("GET", f"/pos/{po['id']}").status == 404
