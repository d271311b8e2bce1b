"""The approver's path on the local cloud: an email in the outbox, a link, a page, a decision,
the next level's email, and finally an approved PO."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest

from tests.e2e.conftest import Client, LocalCloud, eventually, po_body

pytestmark = pytest.mark.e2e


def email_to(outbox: Client, approver: str, po_id: str) -> dict[str, Any] | None:
    reply = outbox("GET", "/_local/outbox", headers={"Accept": "application/json"})
    assert reply.status == 200, reply.text
    mails = [m for m in reply.json["items"] if m["to"] == approver and m["attributes"].get("poId") == po_id]
    return mails[0] if mails else None


def test_an_approver_decides_from_the_emailed_link_level_by_level(
    local_cloud: LocalCloud, buyer: Client, org: str
) -> None:
    admin = Client(local_cloud.url, local_cloud.token(org, "admin@acme.example", "admin"))
    browser = Client(local_cloud.url, None)  # approvers have no account: the link is the credential
    manager, finance = "manager@acme-corp.com", "finance@acme-corp.com"
    policy = {
        "levels": [{"name": "Manager", "approvers": [manager]}, {"name": "Finance", "approvers": [finance]}]
    }
    assert admin("PUT", "/settings/approval-policy", policy).status == 200

    po = buyer("POST", "/pos", po_body()).json
    assert buyer("POST", f"/pos/{po['id']}/submit").status == 202

    email = eventually(lambda: email_to(browser, manager, po["id"]), "the manager's email")
    assert email["subject"] == f"Approval needed: {po['number']} from Acme Metals, 25.00 USD"
    (link,) = email["links"]
    assert link.startswith(local_cloud.url + "/approvals/")
    path = urllib.parse.urlsplit(link).path

    page = browser("GET", path)
    assert page.status == 200 and po["number"] in page.text and page.content_type == "text/html"
    assert email_to(browser, finance, po["id"]) is None  # opening the page decided nothing

    form = urllib.parse.urlencode({"decision": "approve", "comment": "OK for this quarter"}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    assert browser("POST", path, raw=form, headers=headers).status == 200

    second = eventually(lambda: email_to(browser, finance, po["id"]), "the next level's email")
    assert "level 2 (Finance)" in second["body"]
    second_path = urllib.parse.urlsplit(second["links"][0]).path
    assert browser("POST", second_path, raw=form, headers=headers).status == 200

    eventually(lambda: buyer("GET", f"/pos/{po['id']}").json["status"] == "APPROVED", "the PO approved")
    eventually(
        lambda: po["id"] in {i["id"] for i in buyer("GET", "/pos?status=APPROVED&limit=100").json["items"]},
        "the PO listed as approved",
    )
    history = [event["type"] for event in buyer("GET", f"/pos/{po['id']}/history").json["items"]]
    assert history.count("level-approved") == 2
    assert browser("POST", path, raw=form, headers=headers).status == 410  # a used link is dead
