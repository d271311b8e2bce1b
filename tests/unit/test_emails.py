"""Emails as people get them: the text part, the HTML part (escaped, links as buttons, the PO's
lines as a table), the MIME message; and what a request's deliveries say."""

from __future__ import annotations

import email
import email.policy

from purchasing.domain import deliveries, emails
from purchasing.domain.model import ApprovalRequest, ApprovalStatus


def message(**overrides: object) -> emails.EmailMessage:
    lines = [
        emails.EmailLine(line_no=n, description=f"Bolt <M{n}>", quantity="2", unit_cost="1.50", amount="3.00")
        for n in range(1, 4)
    ]
    fields: dict[str, object] = {
        "kind": "approval-request",
        "org_id": "acme",
        "po_id": "a" * 32,
        "to": "ann@acme.example",
        "subject": "Approval needed: PO-1",
        "text": "Hello Ann & co,\n\nPlease look:\nReview it, with a comment:\nhttps://x.example/approvals/t?a=1&b=2\n",
        "po": emails.EmailPo(
            number="PO-1",
            supplier="Acme <Metals>",
            currency="USD",
            total="9.00",
            line_count=3,
            lines=lines,
            level="level 1 (Manager)",
        ),
    }
    return emails.EmailMessage.model_validate({**fields, **overrides})


def test_the_text_part_is_the_text_then_the_po_lines_and_total() -> None:
    text = emails.render(message()).text

    assert text.startswith("Hello Ann & co,\n\nPlease look:")
    assert "https://x.example/approvals/t?a=1&b=2" in text
    assert "Purchase order PO-1, Acme <Metals>, level 1 (Manager)" in text
    assert "  3. Bolt <M3>: 2 x 1.50 = 3.00" in text and "  Total: 9.00 USD" in text


def test_the_html_part_escapes_everything_and_makes_a_lone_link_a_button() -> None:
    html = emails.render(message()).html

    assert "<M" not in html and "Bolt &lt;M1&gt;" in html and "Acme &lt;Metals&gt;" in html
    assert "Hello Ann &amp; co," in html
    assert '<a href="https://x.example/approvals/t?a=1&amp;b=2"' in html
    assert ">Review it, with a comment</a>" in html  # the line before the link labels the button
    assert "9.00 USD" in html and "level 1 (Manager)" in html


def test_a_long_po_lists_its_first_lines_and_counts_the_rest() -> None:
    many = message().po
    assert many is not None
    shown = many.model_copy(update={"line_count": 1000})

    rendered = emails.render(message(po=shown.model_dump()))

    assert "... and 997 more lines" in rendered.text and "... and 997 more lines" in rendered.html


def test_a_link_with_no_label_line_is_an_open_button_and_no_po_means_no_table() -> None:
    html = emails.render(message(text="https://x.example/p", po=None)).html

    assert ">Open</a>" in html and "<table" not in html


def test_the_mime_message_has_a_text_and_an_html_alternative() -> None:
    rendered = emails.render(message())

    raw = emails.mime(rendered, sender="po@acme.example", to="ann@acme.example")

    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "Approval needed: PO-1" and "po@acme.example" in parsed["From"]


def request(**entries: dict[str, str]) -> ApprovalRequest:
    approvers = ["ann@x.example", "bob@x.example"]
    return ApprovalRequest(
        id="APPROVAL#001#01",
        round=1,
        level=1,
        level_name="Manager",
        approvers=approvers,
        status=ApprovalStatus.PENDING,
        published_at="t0",
        deliveries=deliveries.of_request(approvers, "t0", entries),
    )


def test_each_approver_has_the_status_of_the_latest_news() -> None:
    found = request(**{"ann@x.example": {"sentAt": "t1", "deliveredAt": "t2"}}).deliveries

    assert [(item.to, item.status) for item in found] == [
        ("ann@x.example", "delivered"),
        ("bob@x.example", "published"),
    ]
    assert deliveries.of_request(["c@x.example"], None, {})[0].status == "pending"
    assert (
        deliveries.of_request(["c@x.example"], "t", {"c@x.example": {"failedAt": "t"}})[0].status == "failed"
    )


def test_a_request_is_unreachable_only_when_every_approver_bounced_permanently() -> None:
    permanent = {"sentAt": "t1", "bouncedAt": "t2", "bounceType": "Permanent"}
    transient = {**permanent, "bounceType": "Transient"}

    assert deliveries.unreachable(request(**{"ann@x.example": permanent, "bob@x.example": permanent}))
    assert not deliveries.unreachable(request(**{"ann@x.example": permanent}))
    assert not deliveries.unreachable(request(**{"ann@x.example": permanent, "bob@x.example": transient}))
