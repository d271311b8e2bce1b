"""The approver's pages: plain HTML, every value escaped, no JavaScript needed."""

from __future__ import annotations

from base64 import b64encode
from hashlib import sha256
from html import escape

from purchasing.domain.model import ApprovalRequest, PurchaseOrder, format_decimal

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "table{border-collapse:collapse;width:100%}"
    "td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}"
    "td.n,th.n{text-align:right}textarea{width:100%;min-height:5rem}"
    "button{font-size:1rem;padding:.5rem 1.2rem;margin-right:.5rem}.muted{color:#666}"
)

_STYLE_HASH = b64encode(sha256(_STYLE.encode()).digest()).decode()
HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            f"style-src 'sha256-{_STYLE_HASH}'",
            "form-action 'self'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
"""What every HTML page (and every redirect from a signed link) is sent with: only its own style,
posts only to itself, never framed, never cached, the link's token never sent on as a referrer."""


def page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def review(po: PurchaseOrder, request: ApprovalRequest, approver: str, action: str) -> str:
    rows = "".join(
        f"<tr><td>{escape(line.id)}</td><td>{escape(line.description)}</td>"
        f"<td class=n>{escape(str(line.quantity))}</td>"
        f"<td class=n>{escape(format_decimal(line.unit_cost))}</td>"
        f"<td class=n>{escape(format_decimal(line.amount))}</td></tr>"
        for line in po.lines
    )
    level = f"Level {request.level}: {request.level_name}" + (" (escalated)" if request.escalation else "")
    return page(
        f"Approve {po.number}?",
        f"<p><strong>{escape(po.supplier.name)}</strong> &middot; {escape(level)} &middot; "
        f"requested by {escape(po.submitted_by or po.created_by)}</p>"
        "<table><thead><tr><th>Line</th><th>Description</th><th class=n>Qty</th><th class=n>Unit cost</th>"
        f"<th class=n>Amount</th></tr></thead><tbody>{rows}</tbody>"
        f"<tfoot><tr><th colspan=4>Total ({escape(po.currency)})</th>"
        f"<th class=n>{escape(format_decimal(po.totals.subtotal))}</th></tr></tfoot></table>"
        f'<form method=post action="{escape(action)}"><p><label for=comment>Comment</label><br>'
        "<textarea id=comment name=comment maxlength=2000></textarea></p>"
        "<p><button type=submit name=decision value=approve>Approve</button>"
        "<button type=submit name=decision value=reject>Reject</button></p></form>"
        f"<p class=muted>Signed in by this link as {escape(approver)}. "
        "Opening this page changes nothing.</p>",
    )


def decided(po: PurchaseOrder, request: ApprovalRequest) -> str:
    verb = "approved" if request.status.value == "APPROVED" else "rejected"
    return page(
        f"{po.number} {verb}",
        f"<p>Thank you. You {verb} level {request.level} ({escape(request.level_name)}) "
        f"of {escape(po.number)}.</p>",
    )


def problem(title: str, detail: str) -> str:
    return page(title, f"<p>{escape(detail)}</p><p class=muted>Nothing was changed.</p>")
