"""The mailer's work: each message of its queue is an SNS notification (the queue subscribes to the
approvals and supplier topics, and to SES's event topic), handled alone.

- An `EmailMessage` (the consumer's approval emails, the PO PDF function's supplier emails) is
  rendered (HTML and text) and sent with SES v2, once: the SNS message id keys a lease then a SENT
  record, so a redelivery sends nothing twice. Only what SES accepted is marked sent (`sentAt`);
  a refusal is recorded (`failedAt`, `failure`) and raised, so the message is retried and, after
  the queue's receives, parked in the dead-letter queue.
- An SES event (Delivery, Bounce, Complaint, Reject) of the configuration set finds its email
  through the tags the mailer put on it and is written on the approval request (that approver's
  entry) or the PDF item, and in the PO's history. A bounce wakes the stream consumer (it writes an
  APPROVAL item), which escalates the level or tells the requester (`deliveries.unreachable`).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field

from purchasing import config
from purchasing.data import mail_repository, po_repository
from purchasing.data.tables import MailItem
from purchasing.domain import emails, history
from purchasing.domain.model import utc_now
from purchasing.observability import logger


class SnsNotification(BaseModel):
    """The SNS envelope an SQS subscriber (without raw delivery) receives."""

    model_config = ConfigDict(extra="ignore")

    message_id: str = Field(alias="MessageId", pattern=r"^[A-Za-z0-9-]{1,100}$")
    topic_arn: str = Field(alias="TopicArn")
    message: str = Field(alias="Message")


class MailBeingSent(Exception):
    """Another delivery of the same message holds the lease to send it: retry later."""


def handle(body: str) -> str:
    notification = SnsNotification.model_validate_json(body)
    payload = json.loads(notification.message)
    if isinstance(payload, dict) and "eventType" in payload and "mail" in payload:
        return on_ses_event(payload)
    return send(notification.message_id, emails.EmailMessage.model_validate(payload))


# --- sending -------------------------------------------------------------------------------------


def send(mail_id: str, message: emails.EmailMessage) -> str:
    org_id, po_id = message.org_id, message.po_id
    if not mail_repository.claim(mail_id, message):
        record = mail_repository.get(org_id, po_id, mail_id)
        if record is None or record.status != "SENT":
            raise MailBeingSent(f"email {mail_id} is being sent by another delivery")
        _record_sent(message, record)  # the first delivery may have died before writing these
        return "already sent"
    rendered = emails.render(message)
    raw = emails.mime(rendered, sender=config.get(config.Mail).sender_email, to=str(message.to))
    try:
        ses_id = mail_repository.send(raw, to=str(message.to), tags=_tags(org_id, po_id, mail_id))
    except ClientError as error:
        mail_repository.release(org_id, po_id, mail_id)
        reason = f"{error.response['Error'].get('Code')}: {error.response['Error'].get('Message')}"
        logger.error("SES refused an email", extra={"mailId": mail_id, "kind": message.kind, "error": reason})
        _record_on_target(
            message.target, org_id, po_id, str(message.to), _failed(mail_id, reason), first=True
        )
        raise
    mail_repository.mark_sent(org_id, po_id, mail_id, ses_message_id=ses_id, at=utc_now())
    record = mail_repository.get(org_id, po_id, mail_id)
    if record is not None:
        _record_sent(message, record)
    logger.info("email sent", extra={"mailId": mail_id, "kind": message.kind, "sesMessageId": ses_id})
    return "sent"


def _tags(org_id: str, po_id: str, mail_id: str) -> dict[str, str]:
    """What an SES event brings back (tag values: letters, digits, _ and - only)."""
    return {"org": org_id, "po": po_id, "mail": mail_id}


def _failed(mail_id: str, reason: str) -> dict[str, str]:
    return {"mailId": mail_id, "failedAt": utc_now(), "failure": reason[:500]}


def _record_sent(message: emails.EmailMessage, record: MailItem) -> None:
    fields = {"mailId": record.sk, "sesMessageId": str(record.ses_message_id), "sentAt": str(record.sent_at)}
    _record_on_target(message.target, message.org_id, message.po_id, str(message.to), fields, first=True)
    sent = history.event(
        "email-sent",
        history.SYSTEM,
        f"Email sent to {message.to}: {message.subject}",
        str(record.sent_at),
        {"mailId": record.sk, "kind": message.kind, "to": str(message.to)},
        id_=f"{record.sk}-sent",
    )
    po_repository.append_history(message.org_id, message.po_id, sent)


def _record_on_target(
    target: emails.Target, org_id: str, po_id: str, to: str, fields: dict[str, str], *, first: bool
) -> None:
    if target.kind == "approval" and target.ref:
        mail_repository.record_on_request(org_id, po_id, target.ref, to, fields, first=first)
    elif target.kind == "pdf" and target.ref:
        mail_repository.record_on_pdf(org_id, po_id, target.ref, fields, first=first)


# --- what became of it ---------------------------------------------------------------------------


def on_ses_event(event: dict[str, Any]) -> str:
    tags = (event.get("mail") or {}).get("tags") or {}
    org_id, po_id, mail_id = (_tag(tags, name) for name in ("org", "po", "mail"))
    if not (org_id and po_id and mail_id):
        return "not ours"  # an email sent through the configuration set by something else
    record = mail_repository.get(org_id, po_id, mail_id)
    if record is None:
        logger.warning("SES event for an unknown email", extra={"mailId": mail_id})
        return "unknown email"
    outcome = _outcome(event)
    if outcome is None:
        return "ignored"
    verb, at, fields, detail = outcome
    target = emails.Target.model_validate({"kind": record.target_kind, "ref": record.target_ref})
    _record_on_target(target, org_id, po_id, record.to, fields, first=False)
    summary = f"Email to {record.to} {verb}" + (f": {detail}" if detail else "")
    data = {"mailId": mail_id, "kind": record.kind, "to": record.to, **fields}
    what = history.event(f"email-{verb}", history.SYSTEM, summary, at, data, id_=f"{mail_id}-{verb}")
    po_repository.append_history(org_id, po_id, what)
    return verb


def _tag(tags: dict[str, Any], name: str) -> str | None:
    values = tags.get(name)
    return str(values[0]) if isinstance(values, list) and values else None


Outcome = tuple[str, str, dict[str, str], str]  # verb, when, the fields to record, the history's detail


def _outcome(event: dict[str, Any]) -> Outcome | None:
    """(verb, when, the fields to record, a detail for the history) of an SES event."""
    sent_at = str((event.get("mail") or {}).get("timestamp") or utc_now())
    read = _OUTCOMES.get(str(event.get("eventType")))
    return read(event, sent_at) if read else None


def _delivered(event: dict[str, Any], sent_at: str) -> Outcome:
    at = str(event.get("delivery", {}).get("timestamp") or sent_at)
    return "delivered", at, {"deliveredAt": at}, ""


def _bounced(event: dict[str, Any], sent_at: str) -> Outcome:
    bounce = event.get("bounce") or {}
    at = str(bounce.get("timestamp") or sent_at)
    recipients = bounce.get("bouncedRecipients") or [{}]
    diagnostic = recipients[0].get("diagnosticCode") or recipients[0].get("status") or ""
    bounce_type = str(bounce.get("bounceType") or "Undetermined")
    reason = f"{bounce_type} ({bounce.get('bounceSubType') or 'General'})" + (
        f": {diagnostic}" if diagnostic else ""
    )
    return "bounced", at, {"bouncedAt": at, "bounceType": bounce_type, "bounceReason": reason[:500]}, reason


def _complained(event: dict[str, Any], sent_at: str) -> Outcome:
    complaint = event.get("complaint") or {}
    at = str(complaint.get("timestamp") or sent_at)
    return "complained", at, {"complainedAt": at}, str(complaint.get("complaintFeedbackType") or "")


def _rejected(event: dict[str, Any], sent_at: str) -> Outcome:
    reason = str((event.get("reject") or {}).get("reason") or "rejected by SES")
    return "rejected", sent_at, {"failedAt": sent_at, "failure": reason[:500]}, reason


_OUTCOMES: dict[str, Callable[[dict[str, Any], str], Outcome]] = {
    "Delivery": _delivered,
    "Bounce": _bounced,
    "Complaint": _complained,
    "Reject": _rejected,
}
