"""The local outbox: the emails moto's SES received (what the mailer sent), and, on a page of their
own, the messages the template's SNS topics carried (status events, the email messages, SES's
delivery events). Both are JSON files under the state dir (`.local-cloud/`, or $LOCAL_CLOUD_DIR):
`outbox/` for emails, `outbox-topics/` for topic messages.

An email: {"id" (SES message id), "at", "from", "to", "subject", "text", "html", "body" (the text
part), "links" (the http(s) URLs of the text part), "configurationSet", "tags", "attributes"
(orgId, poId, mailId from the tags)}. A topic message: {"id", "at", "topic", "to", "subject",
"body", "links", "attributes"}, `to` being the `approver` / `supplierEmail` attribute, else the topic.

The local API serves them, without a token:
    GET    /_local/outbox        emails newest first: a page (each email's HTML beside its text), or
                                 {"items": [...]} with Accept: application/json
    GET    /_local/outbox/{id}   one email (a page, or JSON likewise)
    DELETE /_local/outbox        empties it
    GET|DELETE /_local/events[/{id}]   the same for the topics' messages
The outbox starts empty with each local cloud: moto's state (and so what the links point at)
does not outlive it either.
"""

from __future__ import annotations

import html
import json
import os
import re
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local import cloud, ses_local, stack, template
from local.polling import Group, Poller, log

if TYPE_CHECKING:
    from local.pumps import PumpContext

POLL_SECONDS = 0.2
SES_POLL_SECONDS = 0.02  # moto's SES list is read in process: cheap, and an email shows up at once
QUEUE = f"{cloud.STACK}-outbox"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_ID = re.compile(r"^[A-Za-z0-9-]{1,80}$")


def default_directory() -> Path:
    return stack.state_dir() / "outbox"


def links(text: str) -> list[str]:
    """Every http(s) URL in the text, in order, without trailing punctuation."""
    return [url.rstrip(".,;:!?") for url in _URL.findall(text)]


def email_from_sns(envelope: dict[str, Any]) -> dict[str, Any]:
    """An SNS notification (as an SQS subscriber receives it) as a topic message."""
    topic = str(envelope.get("TopicArn", "")).rsplit(":", 1)[-1]
    attributes = {
        str(key): str(value.get("Value", ""))
        for key, value in (envelope.get("MessageAttributes") or {}).items()
    }
    body = str(envelope.get("Message", ""))
    return {
        "id": str(envelope.get("MessageId")),
        "at": str(envelope.get("Timestamp", "")),
        "topic": topic,
        "to": attributes.get("approver") or attributes.get("supplierEmail") or topic,
        "subject": envelope.get("Subject"),
        "body": body,
        "links": links(body),
        "attributes": attributes,
    }


def email_from_ses(sent: dict[str, Any]) -> dict[str, Any]:
    """An email moto's SES accepted (`ses_local.as_email`) as the outbox keeps it."""
    tags = sent.get("tags") or {}
    names = {"org": "orgId", "po": "poId", "mail": "mailId"}
    return {
        **sent,
        "body": sent.get("text", ""),
        "links": links(str(sent.get("text", ""))),
        "attributes": {names.get(key, key): value for key, value in tags.items()},
    }


class Outbox:
    """One JSON file per email in a directory; file names sort oldest first. `topics` keeps the
    topics' messages the same way, beside it."""

    def __init__(self, directory: Path | None = None, *, topics: bool = True) -> None:
        self.directory = directory or default_directory()
        self._lock = threading.Lock()
        self.topics = (
            Outbox(self.directory.with_name(self.directory.name + "-topics"), topics=False)
            if topics
            else None
        )

    def reset(self) -> None:
        """Empty it and its topic messages."""
        self.clear()
        if self.topics is not None:
            self.topics.clear()

    def add(self, email: dict[str, Any]) -> Path:
        if not _ID.match(str(email["id"])):
            raise ValueError(f"not an email id: {email['id']!r}")
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = re.sub(r"[^0-9]", "", str(email.get("at", "")))[:17].ljust(17, "0")
        path = self.directory / f"{stamp}-{email['id']}.json"
        with tempfile.NamedTemporaryFile(
            "w", dir=self.directory, suffix=".tmp", delete=False, encoding="utf-8"
        ) as partial:  # written whole, then renamed: a reader never sees half an email
            json.dump(email, partial, indent=2)
        os.replace(partial.name, path)
        return path

    def items(self) -> list[dict[str, Any]]:
        """Every email, newest first."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in sorted(self.directory.glob("*.json"), reverse=True):
            try:
                found.append(json.loads(path.read_text(encoding="utf-8")))
            except (OSError, ValueError):
                continue  # removed meanwhile
        return found

    def get(self, email_id: str) -> dict[str, Any] | None:
        if not _ID.match(email_id) or not self.directory.is_dir():
            return None
        for path in self.directory.glob(f"*-{email_id}.json"):
            return dict(json.loads(path.read_text(encoding="utf-8")))
        return None

    def clear(self) -> int:
        removed = 0
        with self._lock:
            if self.directory.is_dir():
                for path in [*self.directory.glob("*.json"), *self.directory.glob("*.tmp")]:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed


# --- the page ----------------------------------------------------------------------------------


def _linked(text: str) -> str:
    """Escaped text with its URLs as links."""
    parts, last = [], 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?")
        parts.append(html.escape(text[last : match.start()]))
        parts.append(f'<a href="{html.escape(url)}">{html.escape(url)}</a>')
        last = match.start() + len(url)
    parts.append(html.escape(text[last:]))
    return "".join(parts)


def _email_html(email: dict[str, Any]) -> str:
    attributes = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(value)}</td></tr>"
        for key, value in sorted((email.get("attributes") or {}).items())
    )
    link_items = "".join(
        f'<li><a href="{html.escape(url)}">{html.escape(url)}</a></li>' for url in email.get("links") or []
    )
    subject = email.get("subject") or (email.get("attributes") or {}).get("eventType") or email.get("topic")
    return (
        f'<article id="{html.escape(email["id"])}">'
        f'<h2><a href="/_local/events/{html.escape(email["id"])}">{html.escape(str(subject))}</a></h2>'
        f'<p class="meta">to <b>{html.escape(str(email.get("to")))}</b>'
        f" via {html.escape(str(email.get('topic')))} at {html.escape(str(email.get('at')))}</p>"
        f"<pre>{_linked(_pretty(str(email.get('body', ''))))}</pre>"
        + (f"<ul class='links'>{link_items}</ul>" if link_items else "")
        + (
            f"<details><summary>attributes</summary><table>{attributes}</table></details>"
            if attributes
            else ""
        )
        + "</article>"
    )


def _pretty(body: str) -> str:
    """A JSON body indented (the PO events are JSON), anything else as it is."""
    try:
        return json.dumps(json.loads(body), indent=2)
    except ValueError:
        return body


def _ses_email_html(email: dict[str, Any]) -> str:
    """An email as its recipient sees it (the HTML part, sandboxed: no scripts, links open in a new
    tab) beside its plain-text part."""
    attributes = "".join(
        f"<tr><th>{html.escape(key)}</th><td>{html.escape(str(value))}</td></tr>"
        for key, value in sorted((email.get("attributes") or {}).items())
    )
    rendered = str(email.get("html") or "")
    frame = (
        f'<iframe sandbox="allow-popups allow-popups-to-escape-sandbox" title="HTML part" '
        f'srcdoc="{html.escape(_base_target(rendered))}"></iframe>'
        if rendered
        else "<p>(no HTML part)</p>"
    )
    return (
        f'<article id="{html.escape(email["id"])}">'
        f'<h2><a href="/_local/outbox/{_esc(email["id"])}">{_esc(email.get("subject"))}</a></h2>'
        f'<p class="meta">to <b>{_esc(email.get("to"))}</b> from {_esc(email.get("from"))}'
        f" at {_esc(email.get('at'))}</p>"
        f'<div class="parts"><div><h3>HTML</h3>{frame}</div>'
        f"<div><h3>Text</h3><pre>{_linked(str(email.get('text', '')))}</pre></div></div>"
        + (f"<details><summary>tags</summary><table>{attributes}</table></details>" if attributes else "")
        + "</article>"
    )


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _base_target(document: str) -> str:
    """Links of the HTML part open outside the frame."""
    return document.replace("<head>", '<head><base target="_blank">', 1) if "<head>" in document else document


_STYLE = (
    "body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 80rem; padding: 0 1rem; }"
    "article { border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }"
    "h2 { font-size: 1.1rem; margin: 0.5rem 0; }"
    ".meta { color: #555; margin: 0; }"
    "pre { background: #f6f6f6; padding: 0.5rem; white-space: pre-wrap; word-break: break-word; }"
    ".parts { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }"
    "iframe { width: 100%; height: 32rem; border: 1px solid #ddd; }"
    "th { text-align: left; padding-right: 1rem; }"
)
HEADERS = [
    ("Content-Type", "text/html; charset=utf-8"),
    (
        "Content-Security-Policy",
        "; ".join(
            [
                "default-src 'none'",
                # inline styles: the page's own, and the email's (the srcdoc frame inherits this policy)
                "style-src 'unsafe-inline'",
                "img-src data:",
                "frame-src 'self'",  # the email's HTML part, a sandboxed srcdoc frame (no scripts)
                "form-action 'none'",
                "base-uri 'none'",
                "frame-ancestors 'none'",
            ]
        ),
    ),
    ("Referrer-Policy", "no-referrer"),  # the emails' signed links are never sent on as a referrer
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
]
"""What the outbox pages are sent with: no scripts, never framed, never cached, no referrer."""


def page(emails: list[dict[str, Any]], title: str = "Local outbox", *, topics: bool = False) -> str:
    """The emails (or, with `topics`, the topics' messages) as a page."""
    render = _email_html if topics else _ses_email_html
    articles = "".join(render(email) for email in emails) or (
        "<p>No messages yet.</p>" if topics else "<p>No emails yet.</p>"
    )
    where = "/_local/events" if topics else "/_local/outbox"
    what = (
        "What the SNS topics carried (status events, email messages, SES events)"
        if topics
        else "What the mailer sent through SES (moto), each email's HTML beside its text"
    )
    other = '<a href="/_local/outbox">emails</a>' if topics else '<a href="/_local/events">topic messages</a>'
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)}</title>
  <style>{_STYLE}</style>
</head>
<body>
  <h1>{html.escape(title)}</h1>
  <p>{what}, newest first ({len(emails)}). <a href="{where}">Refresh</a> &middot; see also {other}
  &middot; JSON: <code>curl -H 'Accept: application/json' ...{where}</code>
  &middot; empty it: <code>curl -X DELETE ...{where}</code></p>
  {articles}
</body>
</html>
"""


# --- the pump ------------------------------------------------------------------------------------


class OutboxPump(Poller):
    """Moves the topics' messages from the outbox queue into the topic messages."""

    def __init__(self, outbox: Outbox, sqs: Any, queue_url: str, poll_seconds: float = POLL_SECONDS) -> None:
        super().__init__("outbox", poll_seconds)
        self.outbox = outbox
        self.sqs = sqs
        self.queue_url = queue_url

    def poll_once(self) -> bool:
        messages = self.sqs.receive_message(
            QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
        ).get("Messages", [])
        for message in messages:
            try:
                email = email_from_sns(json.loads(message["Body"]))
                self.outbox.add(email)
                what = email["subject"] or email["attributes"].get("eventType") or "message"
                log(f"topic: {what} on {email['topic']}")
            except (ValueError, KeyError, TypeError) as error:
                log(f"warning: outbox: message {message.get('MessageId')} is not an SNS message: {error!r}")
            self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)


def subscribe(clients: Any, topic_arns: list[str]) -> str:
    """The outbox queue, subscribed to every topic; its URL."""
    sqs = clients.client("sqs")
    url = str(sqs.create_queue(QueueName=QUEUE)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns = clients.client("sns")
    for topic in topic_arns:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return url


class SesOutboxPump(Poller):
    """Files each email moto's SES accepted into the outbox (in order, each once), and publishes the
    events SES would (delivered to the outbox, or the mailbox simulator's bounce or complaint) to
    the configuration set's event destination (with an `sns` client)."""

    def __init__(self, outbox: Outbox, sns: Any = None, poll_seconds: float = SES_POLL_SECONDS) -> None:
        super().__init__("ses outbox", poll_seconds)
        self.outbox = outbox
        self.sns = sns
        self.seen = 0

    def poll_once(self) -> bool:
        accepted = ses_local.sent_messages()
        if len(accepted) < self.seen:
            self.seen = 0  # moto was reset
        fresh = accepted[self.seen :]
        for message in fresh:
            if self.outbox.get(message.id) is not None:
                continue  # filed before a restart that restored moto's state
            sent = ses_local.as_email(message, _now())
            email = email_from_ses(sent)
            self.outbox.add(email)
            log(f"outbox: {email['subject']} to {email['to']}")
            if self.sns is not None:
                ses_local.publish_events(self.sns, sent, _now())
        self.seen += len(fresh)
        return bool(fresh)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def factory(context: PumpContext) -> Group | None:
    """The emails moto's SES received into the outbox; every topic's messages beside it."""
    if context.outbox is None:
        return None
    pumps: list[Poller] = [SesOutboxPump(context.outbox, context.moto.client("sns"))]
    topics = [
        context.resources.created[logical_id].ref
        for logical_id in template.resources("AWS::SNS::Topic")
        if logical_id in context.resources.created
    ]
    if topics and context.outbox.topics is not None:
        url = subscribe(context.moto, topics)
        pumps.append(OutboxPump(context.outbox.topics, context.moto.client("sqs"), url))
    return Group(pumps)
