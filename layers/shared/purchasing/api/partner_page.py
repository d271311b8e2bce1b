"""The partner's upload page: a PO number, a file, and a small script that sends the file
straight to S3 with a presigned POST. Every value is escaped; the script and the style carry a
per-response nonce, and the Content-Security-Policy allows nothing else."""

from __future__ import annotations

from html import escape

from purchasing.domain.documents import CONTENT_TYPES, MAX_UPLOAD_BYTES
from purchasing.domain.model import format_decimal
from purchasing.domain.orders import OrderSummary

STATUS_ID = "upload-status"  # the element the outcome is written to; data-state: working, ok, error

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}"
    "label{font-weight:600}input{font-size:1rem;padding:.3rem;margin:.3rem 0 1rem}"
    "button{font-size:1rem;padding:.5rem 1.2rem}.muted{color:#666}"
    "[data-state=ok]{color:#0a6b2d}[data-state=error]{color:#a11}"
)

# Asks for a presigned POST at <page>/uploads, then posts the returned fields and the file (last,
# as S3 requires) to the returned URL. The page's own path is the base, so it works behind an API
# Gateway stage prefix as well as at the root.
_SCRIPT = """
(function () {
  const form = document.getElementById('upload-form');
  const status = document.getElementById('%(status)s');
  const button = document.getElementById('upload-button');
  function show(state, text) { status.dataset.state = state; status.textContent = text; }
  function problemText(body, code) {
    if (body && Array.isArray(body.errors) && body.errors.length) {
      return body.errors.map(function (e) { return e.field + ': ' + e.message; }).join('; ');
    }
    return (body && (body.detail || body.title)) || ('the server answered ' + code);
  }
  form.addEventListener('submit', async function (event) {
    event.preventDefault();
    const file = document.getElementById('file').files[0];
    const poNumber = document.getElementById('po-number').value.trim();
    if (!file || !poNumber) { show('error', 'Enter your PO number and choose a file.'); return; }
    if (file.size > Number(form.dataset.maxBytes)) {
      show('error', 'The file is too large: at most ' + form.dataset.maxBytes + ' bytes.'); return;
    }
    button.disabled = true;
    show('working', 'Uploading ' + file.name + '...');
    try {
      const uploads = location.pathname.replace(/\\/+$/, '') + '/uploads';
      const answer = await fetch(uploads, {
        method: 'POST',
        headers: {'Content-Type': 'application/json'},
        body: JSON.stringify({fileName: file.name, contentType: file.type || 'application/octet-stream',
                              size: file.size, poNumber: poNumber})
      });
      const upload = await answer.json().catch(function () { return null; });
      if (!answer.ok || !upload) { throw new Error(problemText(upload, answer.status)); }
      const data = new FormData();
      Object.keys(upload.fields).forEach(function (name) { data.append(name, upload.fields[name]); });
      data.append('file', file);
      const stored = await fetch(upload.url, {method: 'POST', body: data});
      if (!stored.ok) { throw new Error('the upload was refused (' + stored.status + ')'); }
      show('ok', 'Thank you: ' + file.name + ' was uploaded with PO number ' + poNumber +
           '. It is added to the order once it has been checked.');
      form.reset();
    } catch (error) {
      show('error', 'The upload failed: ' + (error && error.message ? error.message : error));
    } finally {
      button.disabled = false;
    }
  });
})();
"""


def upload_page(order: OrderSummary, nonce: str) -> str:
    accept = ",".join(CONTENT_TYPES)
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>Upload your PO for order {escape(order.number)}</title>"
        f'<style nonce="{escape(nonce)}">{_STYLE}</style></head><body>'
        f"<h1>Upload your PO for order {escape(order.number)}</h1>"
        f"<p>For <strong>{escape(order.customer.name)}</strong> &middot; "
        f"{escape(format_decimal(order.amount))} {escape(order.currency)}</p>"
        f'<form id=upload-form data-max-bytes="{MAX_UPLOAD_BYTES}">'
        "<p><label for=po-number>Your PO number</label><br>"
        "<input id=po-number name=poNumber required maxlength=40 autocomplete=off></p>"
        "<p><label for=file>The PO document (PDF, PNG or JPEG, up to 10 MiB)</label><br>"
        f'<input id=file name=file type=file required accept="{escape(accept)}"></p>'
        "<p><button id=upload-button type=submit>Upload</button></p></form>"
        f'<p id="{STATUS_ID}" role=status aria-live=polite></p>'
        "<p class=muted>This link is personal to this order; it expires.</p>"
        f'<script nonce="{escape(nonce)}">{_SCRIPT % {"status": STATUS_ID}}</script>'
        "</body></html>"
    )


def content_security_policy(nonce: str, upload_origin: str) -> str:
    """Only this page's script and style; fetches to this API and to the bucket's origin."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'nonce-{nonce}'",
            f"style-src 'nonce-{nonce}'",
            f"connect-src 'self' {upload_origin}",
            "form-action 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )
