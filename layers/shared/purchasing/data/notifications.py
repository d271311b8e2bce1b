"""PO events to SNS, with message attributes subscribers can filter on."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from purchasing import config
from purchasing.domain.emails import EmailMessage

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


@cache
def _sns() -> SNSClient:
    return boto3.client("sns", region_name=config.region())


def publish_email(message: EmailMessage) -> None:
    """One email to one person, on the approvals topic (approval requests and what becomes of
    them) or the supplier topic; the mailer sends it, any other subscriber reads the same JSON.
    Subscriptions filter on orgId, poId, kind and the recipient (`approver` / `supplierEmail`)."""
    supplier = message.kind == "supplier-po"
    attributes = {
        "orgId": message.org_id,
        "poId": message.po_id,
        "kind": message.kind,
        "supplierEmail" if supplier else "approver": str(message.to),
    }
    if message.po is not None:
        attributes["poNumber"] = message.po.number
    if message.level is not None:
        attributes["level"] = str(message.level)
    _sns().publish(
        TopicArn=config.get(config.SupplierMessages).supplier_topic_arn
        if supplier
        else config.get(config.Approvals).approvals_topic_arn,
        Subject=message.subject[:100],
        Message=message.model_dump_json(by_alias=True, exclude_none=True),
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
        },
    )


def publish_po_event(
    *, org_id: str, po_id: str, event_type: str, status: str, message: dict[str, Any]
) -> None:
    attributes = {"orgId": org_id, "poId": po_id, "eventType": event_type, "status": status}
    _sns().publish(
        TopicArn=config.get(config.Events).events_topic_arn,
        Message=json.dumps({"type": event_type, "orgId": org_id, "poId": po_id, **message}),
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
        },
    )
