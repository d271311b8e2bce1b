"""What the mailer stores and calls: its record of each email (the lease to send it, then SENT),
SES v2, and what became of each email, written on the approval request (per approver, in its
`deliveries` map) or on the PO's PDF item.

Timestamps, each set only by what it names: `publishedAt` (the producer's SNS publish succeeded),
`sentAt` (SES accepted the email: SendEmail returned a message id), `deliveredAt` (the recipient's
mail server accepted it: an SES Delivery event), `bouncedAt` with the bounce type and reason,
`complainedAt` (marked as spam), `failedAt` with the failure (SES refused it; retried).
"""

from __future__ import annotations

import time
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.condition import Condition

from purchasing import config
from purchasing.data.tables import ApprovalItem, MailItem, PdfItem, mail_pk, po_pk
from purchasing.domain.emails import EmailMessage

if TYPE_CHECKING:
    from mypy_boto3_sesv2 import SESV2Client

LEASE_SECONDS = 120  # longer than the mailer's timeout: a live sender is never overtaken
KEEP_SECONDS = 90 * 24 * 3600  # how long a record outlives its email (SNS and SQS redeliver within days)


@cache
def _ses() -> SESV2Client:
    return boto3.client("sesv2", region_name=config.region())


def _clock() -> int:
    return int(time.time())


def get(org_id: str, po_id: str, mail_id: str) -> MailItem | None:
    try:
        return MailItem.get(mail_pk(org_id, po_id), mail_id, consistent_read=True)
    except MailItem.DoesNotExist:
        return None


def claim(mail_id: str, message: EmailMessage) -> bool:
    """Take the lease to send this email: False when it was sent already or another delivery of the
    same message holds a live lease (the caller tells the two apart with `get`)."""
    epoch = _clock()
    item = MailItem(
        mail_pk(message.org_id, message.po_id),
        mail_id,
        kind=message.kind,
        to=str(message.to),
        subject=message.subject,
        target_kind=message.target.kind,
        target_ref=message.target.ref,
        status="SENDING",
        claimed_until=epoch + LEASE_SECONDS,
        expiration=epoch + KEEP_SECONDS,
    )
    free = (MailItem.status == "SENDING") & (MailItem.claimed_until < epoch)
    try:
        item.save(condition=MailItem.sk.does_not_exist() | free)
        return True
    except PutError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise


def release(org_id: str, po_id: str, mail_id: str) -> None:
    """Give the lease back after SES refused, so the retry need not wait it out."""
    try:
        MailItem(mail_pk(org_id, po_id), mail_id).update(
            actions=[MailItem.claimed_until.set(0)], condition=MailItem.status == "SENDING"
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def mark_sent(org_id: str, po_id: str, mail_id: str, *, ses_message_id: str, at: str) -> None:
    MailItem(mail_pk(org_id, po_id), mail_id).update(
        actions=[
            MailItem.status.set("SENT"),
            MailItem.ses_message_id.set(ses_message_id),
            MailItem.sent_at.set(at),
            MailItem.claimed_until.remove(),
        ]
    )


def send(raw: bytes, *, to: str, tags: dict[str, str]) -> str:
    """SES v2 SendEmail of a whole MIME message from the configured sender, through the
    configuration set (whose event destination reports deliveries, bounces and complaints);
    the SES message id. Raises botocore's ClientError when SES refuses."""
    response = _ses().send_email(
        FromEmailAddress=config.get(config.Mail).sender_email,
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": raw}},
        ConfigurationSetName=config.get(config.Mail).ses_configuration_set,
        EmailTags=[{"Name": name, "Value": value} for name, value in tags.items()],
    )
    return str(response["MessageId"])


# --- on the approval request / the PDF item ------------------------------------------------------


def record_on_request(
    org_id: str, po_id: str, request_id: str, approver: str, fields: dict[str, str], *, first: bool
) -> None:
    """Set `fields` on the approver's entry of the request's `deliveries`: `first` makes the entry
    (with the email's first news: sent, or failed) unless it was sent already; later news (delivered,
    bounced...) adds to it. An item written before `deliveries` existed gets the map first."""
    item = ApprovalItem(po_pk(org_id, po_id), request_id)
    entry = ApprovalItem.deliveries[approver]
    exists = ApprovalItem.sk.exists()
    for _ in range(2):
        try:
            if first:
                item.update(actions=[entry.set(fields)], condition=exists & entry["sentAt"].does_not_exist())
            else:
                actions = [entry[name].set(value) for name, value in fields.items()]
                if "bouncedAt" in fields:  # wakes the stream consumer (its FilterCriteria)
                    actions.append(ApprovalItem.bounced_at.set(fields["bouncedAt"]))
                item.update(actions=actions, condition=exists)
            return
        except UpdateError as error:
            code = error.cause_response_code
            if code == "ConditionalCheckFailedException":
                return  # sent already (a redelivery): the first news stays
            if code != "ValidationException" or not first:
                raise  # later news before the entry exists: retried once it does
            _make_deliveries(item)
    raise RuntimeError(f"could not record the delivery on {request_id}")  # pragma: no cover


def _make_deliveries(item: ApprovalItem) -> None:
    try:
        item.update(
            actions=[ApprovalItem.deliveries.set({})],
            condition=ApprovalItem.sk.exists() & ApprovalItem.deliveries.does_not_exist(),
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise


def record_on_pdf(org_id: str, po_id: str, fingerprint: str, fields: dict[str, str], *, first: bool) -> None:
    """Set `fields` on the PDF item while it is still this PDF's (a newer one has its own email)."""
    attributes: dict[str, Any] = {
        "mailId": PdfItem.mail_id,
        "sesMessageId": PdfItem.ses_message_id,
        "sentAt": PdfItem.sent_at,
        "deliveredAt": PdfItem.delivered_at,
        "bouncedAt": PdfItem.bounced_at,
        "bounceType": PdfItem.bounce_type,
        "bounceReason": PdfItem.bounce_reason,
        "complainedAt": PdfItem.complained_at,
        "failedAt": PdfItem.mail_failed_at,
        "failure": PdfItem.mail_failure,
    }
    condition: Condition = PdfItem.fingerprint == fingerprint
    if first:
        condition &= PdfItem.sent_at.does_not_exist()
    try:
        PdfItem(po_pk(org_id, po_id), "PDF").update(
            actions=[attributes[name].set(value) for name, value in fields.items()], condition=condition
        )
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise
