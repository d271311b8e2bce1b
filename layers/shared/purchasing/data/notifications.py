"""PO events to SNS, with message attributes subscribers can filter on."""

from __future__ import annotations

import json
from functools import cache
from typing import TYPE_CHECKING, Any

import boto3

from purchasing.config import settings

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


@cache
def _sns() -> SNSClient:
    return boto3.client("sns", region_name=settings().region)


def publish_approval_request(
    *, org_id: str, po_id: str, level: int, approver: str, subject: str, body: str
) -> None:
    """One email to one approver; subscriptions filter on the `approver` attribute."""
    attributes = {"orgId": org_id, "poId": po_id, "level": str(level), "approver": approver}
    _sns().publish(
        TopicArn=settings().approvals_topic_arn,
        Subject=subject[:100],
        Message=body,
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
        },
    )


def publish_po_event(
    *, org_id: str, po_id: str, event_type: str, status: str, message: dict[str, Any]
) -> None:
    attributes = {"orgId": org_id, "poId": po_id, "eventType": event_type, "status": status}
    _sns().publish(
        TopicArn=settings().events_topic_arn,
        Message=json.dumps({"type": event_type, "orgId": org_id, "poId": po_id, **message}),
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
        },
    )


def publish_to_supplier(
    *, org_id: str, po_id: str, po_number: str, supplier_email: str, subject: str, body: str
) -> None:
    """One email to a PO's supplier; subscriptions filter on `supplierEmail` (or org, PO)."""
    attributes = {"orgId": org_id, "poId": po_id, "poNumber": po_number, "supplierEmail": supplier_email}
    _sns().publish(
        TopicArn=settings().supplier_topic_arn,
        Subject=subject[:100],
        Message=body,
        MessageAttributes={
            key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()
        },
    )
