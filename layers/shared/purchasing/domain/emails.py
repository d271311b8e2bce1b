"""The emails people get, as the SNS message that asks for one and as what the mailer sends.

Producers (the stream consumer, the PO PDF function) publish an `EmailMessage` (JSON) to their
topic: the recipient, the subject, the plain text they wrote, and, for a PO, a summary of it.
Any other subscriber of the topic reads the same JSON. The mailer renders it (`render`) as a
plain-text part and an HTML part: the text's paragraphs, the PO's lines and total as a table,
and every link that stands on a line of its own as a button labelled by the line before it.
`mime` makes the multipart/alternative message SES sends.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from decimal import Decimal
from email.message import EmailMessage as MimeMessage
from email.utils import formataddr, formatdate, make_msgid
from typing import Literal

from pydantic import EmailStr, Field

from purchasing.domain.model import CamelModel, Line, PurchaseOrder, format_decimal, format_quantity

MAX_LINES = 25  # lines listed in an email; the rest are counted ("and 975 more lines")
_URL_LINE = re.compile(r"^https?://\S+$")

Kind = Literal["approval-request", "approval-undeliverable", "supplier-po"]


class EmailLine(CamelModel):
    line_no: int
    description: str
    quantity: str
    unit_cost: str
    amount: str


class EmailPo(CamelModel):
    """What an email shows of a PO."""

    number: str
    supplier: str
    currency: str
    total: str
    line_count: int
    lines: list[EmailLine] = []
    level: str | None = None  # the approval level the email asks about


class Target(CamelModel):
    """Where the mailer records what became of the email: an approval request (for one of its
    approvers, the recipient), the PO's PDF (of this fingerprint), or nowhere but the history."""

    kind: Literal["approval", "pdf", "none"]
    ref: str | None = None


class EmailMessage(CamelModel):
    """One email to one person, as published to SNS."""

    type: Literal["email"] = "email"
    kind: Kind
    org_id: str = Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")
    po_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    to: EmailStr
    subject: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1)
    po: EmailPo | None = None
    level: int | None = None  # the approval level it is about
    target: Target = Target(kind="none")


class Rendered(CamelModel):
    subject: str
    text: str
    html: str


def po_summary(
    po: PurchaseOrder, lines: Sequence[Line], total: Decimal, *, level: str | None = None
) -> EmailPo:
    """What an email shows of a PO: these lines (the first MAX_LINES listed), this total."""
    return EmailPo(
        number=po.number,
        supplier=po.supplier.name,
        currency=po.currency,
        total=format_decimal(total),
        line_count=len(lines),
        lines=[
            EmailLine(
                line_no=line.line_no,
                description=line.description,
                quantity=format_quantity(line.quantity),
                unit_cost=format_decimal(line.unit_cost),
                amount=format_decimal(line.amount),
            )
            for line in lines[:MAX_LINES]
        ],
        level=level,
    )


def render(message: EmailMessage) -> Rendered:
    return Rendered(subject=message.subject, text=_text(message), html=_html(message))


def _more(po: EmailPo) -> str | None:
    hidden = po.line_count - len(po.lines)
    return f"... and {hidden} more line{'s' * (hidden != 1)}" if hidden > 0 else None


def _text(message: EmailMessage) -> str:
    parts = [message.text.rstrip()]
    po = message.po
    if po is not None:
        rows = [f"Purchase order {po.number}, {po.supplier}" + (f", {po.level}" if po.level else "")]
        rows += [
            f"  {line.line_no}. {line.description}: {line.quantity} x {line.unit_cost} = {line.amount}"
            for line in po.lines
        ]
        more = _more(po)
        rows += [f"  {more}"] if more else []
        rows.append(f"  Total: {po.total} {po.currency}")
        parts.append("\n".join(rows))
    return "\n\n".join(parts) + "\n"


def _paragraphs(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            blocks[-1].append(line.strip())
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


_BUTTON = (
    'style="display:inline-block;padding:12px 20px;background:#1a56db;color:#ffffff;'
    'text-decoration:none;border-radius:6px;font-weight:bold"'
)


def _block_html(block: list[str]) -> str:
    """A paragraph; a link alone on its line becomes a button labelled by the line before it."""
    out: list[str] = []
    pending: list[str] = []
    for line in block:
        if _URL_LINE.match(line):
            label = pending.pop().rstrip(":") if pending and pending[-1].endswith(":") else "Open"
            if pending:
                out.append(f"<p>{'<br>'.join(html.escape(item) for item in pending)}</p>")
                pending = []
            out.append(f'<p><a href="{html.escape(line)}" {_BUTTON}>{html.escape(label)}</a></p>')
        else:
            pending.append(line)
    if pending:
        out.append(f"<p>{'<br>'.join(html.escape(item) for item in pending)}</p>")
    return "".join(out)


def _table_html(po: EmailPo) -> str:
    cell = 'style="padding:4px 8px;border-bottom:1px solid #ddd"'
    right = 'style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:right"'
    rows = "".join(
        f"<tr><td {cell}>{line.line_no}</td><td {cell}>{html.escape(line.description)}</td>"
        f"<td {right}>{html.escape(line.quantity)}</td><td {right}>{html.escape(line.unit_cost)}</td>"
        f"<td {right}>{html.escape(line.amount)}</td></tr>"
        for line in po.lines
    )
    more = _more(po)
    if more:
        rows += f'<tr><td {cell}></td><td {cell} colspan="4">{html.escape(more)}</td></tr>'
    level = f"<br>{html.escape(po.level)}" if po.level else ""
    return (
        f'<h2 style="font-size:16px">Purchase order {html.escape(po.number)}</h2>'
        f"<p>Supplier: {html.escape(po.supplier)}{level}</p>"
        '<table style="border-collapse:collapse;width:100%">'
        f"<thead><tr><th {cell}>#</th><th {cell}>Description</th><th {right}>Quantity</th>"
        f"<th {right}>Unit cost</th><th {right}>Amount</th></tr></thead><tbody>{rows}</tbody>"
        f'<tfoot><tr><th {right} colspan="4">Total</th>'
        f"<th {right}>{html.escape(po.total)} {html.escape(po.currency)}</th></tr></tfoot></table>"
    )


def _html(message: EmailMessage) -> str:
    body = "".join(_block_html(block) for block in _paragraphs(message.text))
    if message.po is not None:
        body += _table_html(message.po)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(message.subject)}</title></head>"
        '<body style="font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#222;'
        f'max-width:640px;margin:0 auto;padding:16px">{body}</body></html>'
    )


def mime(rendered: Rendered, *, sender: str, to: str, headers: dict[str, str] | None = None) -> bytes:
    """The multipart/alternative message (text first, HTML preferred) SES sends as it is."""
    message = MimeMessage()
    message["From"] = formataddr(("Purchase orders", sender))
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message.as_bytes()
