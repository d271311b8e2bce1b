"""The local outbox: what the template's SNS topics would have emailed, as files and a page.

An SQS queue in moto is subscribed to every SNS topic of the template; a pump turns each
message into one JSON file under `<state dir>/outbox/` (the state dir is `.local-cloud/`, or
$LOCAL_CLOUD_DIR):

    {"id", "at", "topic", "to", "subject", "body", "links", "attributes"}

`to` is the message attribute `approver` (or `supplierEmail`) when there is one, else the topic's
name; `links` are the http(s) URLs in the body. The local API serves it, without a token:
    GET    /_local/outbox        newest first: a page, or {"items": [...]} with Accept: application/json
    GET    /_local/outbox/{id}   one email (a page, or JSON likewise)
    DELETE /_local/outbox        empties it
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

from local import cloud, stack, template
from local.polling import Poller, log

if TYPE_CHECKING:
    from local.pumps import PumpContext

POLL_SECONDS = 0.2
QUEUE = f"{cloud.STACK}-outbox"
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_ID = re.compile(r"^[A-Za-z0-9-]{1,80}$")


def default_directory() -> Path:
    return stack.state_dir() / "outbox"


def links(text: str) -> list[str]:
    """Every http(s) URL in the text, in order, without trailing punctuation."""
    return [url.rstrip(".,;:!?") for url in _URL.findall(text)]


def email_from_sns(envelope: dict[str, Any]) -> dict[str, Any]:
    """An SNS notification (as an SQS subscriber receives it) as an outbox email."""
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


class Outbox:
    """One JSON file per email in a directory; file names sort oldest first."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or default_directory()
        self._lock = threading.Lock()

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
    subject = email.get("subject") or "(no subject)"
    return (
        f'<article id="{html.escape(email["id"])}">'
        f'<h2><a href="/_local/outbox/{html.escape(email["id"])}">{html.escape(str(subject))}</a></h2>'
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


def page(emails: list[dict[str, Any]], title: str = "Local outbox") -> str:
    articles = "".join(_email_html(email) for email in emails) or "<p>No emails yet.</p>"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{html.escape(title)}</title>
  <style>
    body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; }}
    article {{ border: 1px solid #ccc; border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem; }}
    h2 {{ font-size: 1.1rem; margin: 0.5rem 0; }}
    .meta {{ color: #555; margin: 0; }}
    pre {{ background: #f6f6f6; padding: 0.5rem; white-space: pre-wrap; word-break: break-word; }}
    th {{ text-align: left; padding-right: 1rem; }}
  </style>
</head>
<body>
  <h1>{html.escape(title)}</h1>
  <p>What the SNS topics sent, newest first ({len(emails)}). <a href="/_local/outbox">Refresh</a>
  &middot; JSON: <code>curl -H 'Accept: application/json' .../_local/outbox</code>
  &middot; empty it: <code>curl -X DELETE .../_local/outbox</code></p>
  {articles}
</body>
</html>
"""


# --- the pump ------------------------------------------------------------------------------------


class OutboxPump(Poller):
    """Moves the topics' messages from the outbox queue into the outbox."""

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
                what = email["subject"] or email["attributes"].get("eventType") or "email"
                log(f"outbox: {what} to {email['to']}")
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


def factory(context: PumpContext) -> OutboxPump | None:
    if context.outbox is None:
        return None
    topics = [
        context.resources.created[logical_id].ref
        for logical_id in template.resources("AWS::SNS::Topic")
        if logical_id in context.resources.created
    ]
    if not topics:
        return None
    url = subscribe(context.moto, topics)
    return OutboxPump(context.outbox, context.moto.client("sqs"), url)
