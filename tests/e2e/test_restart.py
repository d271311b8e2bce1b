"""The local cloud keeps a user's data across a restart in its state directory (issue 12, point 5):
restarted mid-flow (a PO, an accepted document, a partner link out, a round half approved), everything
is still there and the links sent before still work; without the saved state (`make dev-reset`) it
starts clean."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from local import persistence
from local.cloud import free_port
from local.template import ROOT
from tests.e2e.conftest import STOP_SECONDS, Client, LocalCloud, _wait_until_ready, eventually, po_body
from tests.e2e.test_approver_path import email_to
from tests.e2e.test_documents_flow import PDF, browser_post, request_upload, settled

ORG = "org-restart"


@contextmanager
def running(state: Path) -> Iterator[LocalCloud]:
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
        cloud = LocalCloud(url=url, state=state, log=log)
        try:
            yield cloud
        finally:
            cloud.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=STOP_SECONDS * 3) == 0, log.read_text()[-3000:]


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified (the local gateway verifies; here only the sub is compared)."""
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def test_a_restart_mid_flow_keeps_pos_documents_links_users_and_the_round_and_a_reset_starts_clean(
    tmp_path: Path,
) -> None:
    # One flow, stopped twice (each start of the local cloud is a good part of a minute on a busy
    # 2-core machine): a PO with an accepted document, a partner link out and a round waiting on its
    # second level survive a restart; without the saved state (`make dev-reset`) it starts clean.
    form = urllib.parse.urlencode({"decision": "approve", "comment": "OK"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    manager, finance = "manager@acme-corp.com", "finance@acme-corp.com"
    with running(tmp_path) as cloud:
        token = cloud.token(ORG)
        buyer, browser = Client(cloud.url, token), Client(cloud.url, None)
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
        console_key = buyer.key()

        admin = Client(cloud.url, cloud.token(ORG, "admin@acme.example", "admin"))
        policy = {
            "levels": [
                {"name": "Manager", "approvers": [manager]},
                {"name": "Finance", "approvers": [finance]},
            ]
        }
        assert admin("PUT", "/settings/approval-policy", policy).status == 200
        submitted = buyer("POST", "/pos", po_body()).json
        assert buyer("POST", f"/pos/{submitted['id']}/submit").status == 202
        first = eventually(lambda: email_to(browser, manager, submitted["id"]), "the manager's email")
        path = urllib.parse.urlsplit(first["links"][0]).path
        assert browser("POST", path, raw=form, headers=headers).status == 200  # level 1 answered
        second = eventually(lambda: email_to(browser, finance, submitted["id"]), "the finance email")
        approval_link = urllib.parse.urlsplit(second["links"][0]).path  # level 2 waits on its task token
    assert (tmp_path / persistence.DIRECTORY).is_dir()

    with running(tmp_path) as cloud:
        buyer = Client(cloud.url, token, api_key=console_key)  # the token and the key it had before
        browser = Client(cloud.url, None)
        assert browser.key() == console_key  # config.json gives the console the same
        after = buyer("GET", f"/pos/{po['id']}")
        assert after.status == 200 and after.json == before
        download = buyer("GET", f"/pos/{po['id']}/documents/{upload['documentId']}")
        assert download.status == 200, download.text
        with urllib.request.urlopen(download.json["url"], timeout=30) as response:
            assert response.read() == PDF  # the object, under the version id the item names
        # signed before the restart, with the same secret (the port is new here; make dev keeps its own)
        page = browser("GET", urlsplit(link).path)
        assert page.status == 200, page.text
        assert buyer("POST", "/pos", po_body(1)).json["number"] not in (before["number"], submitted["number"])

        assert buyer("GET", f"/pos/{submitted['id']}").json["status"] == "IN_REVIEW"
        assert claims(cloud.token(ORG))["sub"] == claims(token)["sub"]  # make token: the same user
        assert browser("POST", approval_link, raw=form, headers=headers).status == 200
        eventually(
            lambda: buyer("GET", f"/pos/{submitted['id']}").json["status"] == "APPROVED", "the PO approved"
        )
        history = [event["type"] for event in buyer("GET", f"/pos/{submitted['id']}/history").json["items"]]
        assert history.count("level-approved") == 2
        assert email_to(browser, finance, submitted["id"]) == second  # asked once: no request made again

    shutil.rmtree(tmp_path / persistence.DIRECTORY)  # what make dev-reset does
    with running(tmp_path) as cloud:
        assert Client(cloud.url, cloud.token(ORG))("GET", f"/pos/{po['id']}").status == 404
