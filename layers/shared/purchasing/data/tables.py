"""The one table, as pynamodb models: one model per item type, keys built in one place.

| item                    | PK                        | SK            |
|-------------------------|---------------------------|---------------|
| PO header               | ORG#o#PO#p                | PO            |
| PO line                 | ORG#o#PO#p                | LINE#00001    |
| PO number reservation   | ORG#o#PONUMBER#<NUMBER>   | PONUMBER      |
| PO number counter       | ORG#o                     | COUNTER#PO    |
| org registry entry      | ORG#o                     | ORG           |
| user of an org          | ORG#o                     | USER#<sub>    |
| idempotency record      | IDEMPOTENCY#po-api        | <hash>        |

Headers carry three GSI keys: by status, by supplier and by update time (all per org).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pynamodb.attributes import (
    Attribute,
    BooleanAttribute,
    DiscriminatorAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.constants import NUMBER
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from purchasing import config


class DecimalAttribute(Attribute[Decimal]):
    """A DynamoDB number read back as Decimal (pynamodb's NumberAttribute goes through float)."""

    attr_type = NUMBER

    def serialize(self, value: Decimal) -> str:
        return str(value)

    def deserialize(self, value: str) -> Decimal:
        return Decimal(value)


class _Meta:
    table_name = config.get(config.Table).table_name
    region = config.region()


def po_pk(org_id: str, po_id: str) -> str:
    return f"ORG#{org_id}#PO#{po_id}"


def status_key(org_id: str, status: str) -> str:
    return f"ORG#{org_id}#STATUS#{status}"


def supplier_key(org_id: str, supplier_name: str) -> str:
    return f"ORG#{org_id}#SUPPLIER#{supplier_name.strip().casefold()}"


def org_pos_key(org_id: str) -> str:
    return f"ORG#{org_id}#POS"


HEADER_SK = "PO"


def line_sk(line_no: int) -> str:
    return f"LINE#{line_no:05d}"


class _Index(GlobalSecondaryIndex[Any]):
    class Meta:
        projection = AllProjection()


class ByStatus(_Index):
    class Meta(_Index.Meta):
        index_name = "ByStatus"

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class BySupplier(_Index):
    class Meta(_Index.Meta):
        index_name = "BySupplier"

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class ByUpdated(_Index):
    class Meta(_Index.Meta):
        index_name = "ByUpdated"

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(range_key=True, attr_name="GSI3SK")


class OwnerPartitionItem(Model):
    """Any item in the partition of what owns it (a PO, a customer order, a blanket PO, a template):
    a Query on this model returns each item as its own type. Documents live in the partitions of
    POs, orders and blanket POs alike, so every owner's items share this one root."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = DiscriminatorAttribute(attr_name="type")


class PoPartitionItem(OwnerPartitionItem):
    """An item of a PO's partition: its header, lines, approval rounds and requests, its PDF."""


class OrderPartitionItem(OwnerPartitionItem):
    """An item of a customer order's or a blanket PO's partition: the order, the blanket, a use."""


class TemplatePartitionItem(OwnerPartitionItem):
    """An item of a purchase template's partition: the template and its lines."""


class PoHeaderItem(PoPartitionItem, discriminator="PO"):
    po_id = UnicodeAttribute(attr_name="poId")
    number = UnicodeAttribute()
    status = UnicodeAttribute()
    supplier_name = UnicodeAttribute(attr_name="supplierName")
    supplier_email = UnicodeAttribute(attr_name="supplierEmail")
    currency = UnicodeAttribute()
    subtotal = DecimalAttribute()
    line_count = NumberAttribute(attr_name="lineCount")
    custom_attributes = JSONAttribute(attr_name="customAttributes")
    version = NumberAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    submitted_by = UnicodeAttribute(attr_name="submittedBy", null=True)
    # Owned by the stream consumer: the approval round under way, the last human-approved subtotal.
    current_round = NumberAttribute(attr_name="currentRound", default=0)
    approved_subtotal = DecimalAttribute(attr_name="approvedSubtotal", null=True)
    approved_round = NumberAttribute(attr_name="approvedRound", null=True)
    # What that round approved (supplier, currency, lines): absent on items approved before it was kept.
    approved_baseline = JSONAttribute(attr_name="approvedBaseline", null=True)

    gsi1pk = UnicodeAttribute(attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(attr_name="GSI3SK")

    by_status = ByStatus()
    by_supplier = BySupplier()
    by_updated = ByUpdated()


class PoLineItem(PoPartitionItem, discriminator="LINE"):
    line_no = NumberAttribute(attr_name="lineNo")
    part_id = UnicodeAttribute(attr_name="partId", null=True)
    description = UnicodeAttribute()
    quantity = DecimalAttribute()
    unit_cost = DecimalAttribute(attr_name="unitCost")
    eta = UnicodeAttribute(null=True)
    paid = BooleanAttribute()
    purchase_type = UnicodeAttribute(attr_name="purchaseType")
    quality_clauses = ListAttribute(of=UnicodeAttribute, attr_name="qualityClauses")
    term_requirements = ListAttribute(of=UnicodeAttribute, attr_name="termRequirements")
    custom_attributes = JSONAttribute(attr_name="customAttributes")
    status = UnicodeAttribute()
    received_quantity = DecimalAttribute(attr_name="receivedQuantity")
    # Set only by the stream consumer's own line writes (an approval moving lines), so that its
    # event source mapping's filter drops their records: it has already done all they imply.
    written_by = UnicodeAttribute(null=True, attr_name="writtenBy")
    canceled_quantity = DecimalAttribute(attr_name="canceledQuantity", null=True)  # absent: none


class ApprovalItem(PoPartitionItem, discriminator="APPROVAL"):
    """One level's approval request (SK APPROVAL#<round>#<level>[#E]). The state machine writes it
    with the task token and waits; the approval API records the decision on it."""

    round = NumberAttribute()
    level = NumberAttribute()
    level_name = UnicodeAttribute(attr_name="levelName")
    approvers = UnicodeSetAttribute()  # the state machine writes a string set (SS)
    status = UnicodeAttribute()
    task_token = UnicodeAttribute(attr_name="taskToken", null=True)
    escalation = BooleanAttribute(default=False)
    requested_at = UnicodeAttribute(attr_name="requestedAt", null=True)
    timeout_seconds = NumberAttribute(attr_name="timeoutSeconds", null=True)
    decided_by = UnicodeAttribute(attr_name="decidedBy", null=True)
    decided_at = UnicodeAttribute(attr_name="decidedAt", null=True)
    comment = UnicodeAttribute(null=True)
    # When the consumer published the approvers' emails to SNS (once per request): published,
    # not sent. What SES accepted and what became of each email is in `deliveries`.
    published_at = UnicodeAttribute(attr_name="publishedAt", null=True)
    # approver -> {mailId, sentAt, sesMessageId, deliveredAt, bouncedAt, bounceType, bounceReason,
    # complainedAt, failedAt, failure}, written by the mailer (the state machine makes it empty).
    deliveries = MapAttribute(null=True)  # type: ignore[var-annotated]
    # The latest bounce of any of its approvers (wakes the stream consumer: see its FilterCriteria),
    # and when the consumer escalated the level or told the requester that nobody can receive it.
    bounced_at = UnicodeAttribute(attr_name="bouncedAt", null=True)
    undeliverable_at = UnicodeAttribute(attr_name="undeliverableAt", null=True)
    relayed_at = UnicodeAttribute(attr_name="relayedAt", null=True)


class RoundItem(PoPartitionItem, discriminator="ROUND"):
    """One approval round (SK ROUND#<round>): its route pinned when it started, its outcome."""

    round = NumberAttribute()
    status = UnicodeAttribute()
    subtotal = DecimalAttribute()
    policy_version = NumberAttribute(attr_name="policyVersion")
    route = JSONAttribute()
    requested_by = UnicodeAttribute(attr_name="requestedBy")
    requested_at = UnicodeAttribute(attr_name="requestedAt")
    decided_at = UnicodeAttribute(attr_name="decidedAt", null=True)
    started = BooleanAttribute(default=False)
    applied = BooleanAttribute(default=False)


class SettingsItem(Model):
    """An org's settings, one item each (PK ORG#<org>): its approval policy (SK
    SETTINGS#APPROVAL_POLICY) and its exchange rates (SK SETTINGS#EXCHANGE_RATES), versioned."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = UnicodeAttribute(attr_name="type", default="SETTINGS")
    policy = JSONAttribute(null=True)
    rates = JSONAttribute(null=True)
    version = NumberAttribute()


class OrgItem(Model):
    """The org registry entry (PK ORG#<org>, SK ORG): its name and what is switched on for it."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK", default="ORG")
    item_type = UnicodeAttribute(attr_name="type", default="ORG")
    name = UnicodeAttribute()
    customer_pos = BooleanAttribute(attr_name="customerPos", default=False)
    created_at = UnicodeAttribute(attr_name="createdAt")


class OrgUserItem(Model):
    """A user of an org (PK ORG#<org>, SK USER#<sub>): the org's own list, which Cognito cannot
    give (ListUsers does not filter on custom attributes)."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = UnicodeAttribute(attr_name="type", default="USER")
    email = UnicodeAttribute()
    username = UnicodeAttribute()  # Cognito's username for the admin API calls
    roles = ListAttribute(of=UnicodeAttribute)
    enabled = BooleanAttribute(default=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    created_by = UnicodeAttribute(attr_name="createdBy")


class NumberItem(Model):
    """Reserves a number in an org, a PO's or an order's: its key is the number (upper case), so a
    second reservation of it cannot be written. Stored as `PK ORG#o#PONUMBER#<N>, SK PONUMBER, poId`
    or `PK ORG#o#ORDERNUMBER#<N>, SK ORDERNUMBER, orderId`."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    po_id = UnicodeAttribute(attr_name="poId", null=True)
    order_id = UnicodeAttribute(attr_name="orderId", null=True)

    @classmethod
    def of(
        cls, kind: Literal["PO", "ORDER"], org_id: str, number: str, owner_id: str | None = None
    ) -> NumberItem:
        """The reservation of `number` by the PO or order `owner_id` (none: its key alone, to delete it)."""
        sk = f"{kind}NUMBER"
        item = cls(pk=f"ORG#{org_id}#{sk}#{number.upper()}", sk=sk)
        if kind == "PO":
            item.po_id = owner_id
        else:
            item.order_id = owner_id
        return item


class CounterItem(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    value = NumberAttribute(default=0)


# --- history, parts and inventory (beside the PO partition, never inside it) -------------------
#
# | item            | PK                       | SK                         |
# |-----------------|--------------------------|----------------------------|
# | history event   | ORG#o#PO#p#HISTORY       | EVENT#<iso-ts>#<id>        |
# | part            | ORG#o#PART#<partId>      | PART                       |
# | inventory lot   | ORG#o#PART#<partId>      | LOT#<poId>#<lineId>        |
#
# Parts are listed per org through ByUpdated (GSI3PK ORG#o#PARTS), newest first.
# History has a partition of its own so that reading a PO stays one small Query however long
# its history grows.


def history_pk(org_id: str, po_id: str) -> str:
    return f"{po_pk(org_id, po_id)}#HISTORY"


def part_pk(org_id: str, part_id: str) -> str:
    return f"ORG#{org_id}#PART#{part_id}"


class HistoryEventItem(Model):
    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = UnicodeAttribute(attr_name="type", default="EVENT")
    event_id = UnicodeAttribute(attr_name="eventId")
    at = UnicodeAttribute()
    event_type = UnicodeAttribute(attr_name="eventType")
    actor = UnicodeAttribute()
    actor_id = UnicodeAttribute(attr_name="actorId", null=True)
    summary = UnicodeAttribute()
    data = JSONAttribute(null=True)


class PartsPartitionItem(Model):
    """A part and its inventory lots share the part's partition: one Query reads both."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = DiscriminatorAttribute(attr_name="type")


class PartItem(PartsPartitionItem, discriminator="PART"):
    part_id = UnicodeAttribute(attr_name="partId")
    name = UnicodeAttribute()
    purchase_type = UnicodeAttribute(attr_name="purchaseType")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    # The org's parts list (ByUpdated, GSI3PK ORG#o#PARTS) and what its text filter matches:
    # DynamoDB's contains() is case-sensitive, so the id and name are kept casefolded too.
    id_folded = UnicodeAttribute(attr_name="idFolded", null=True)
    name_folded = UnicodeAttribute(attr_name="nameFolded", null=True)
    gsi3pk = UnicodeAttribute(attr_name="GSI3PK", null=True)
    gsi3sk = UnicodeAttribute(attr_name="GSI3SK", null=True)

    by_updated = ByUpdated()


class LotItem(PartsPartitionItem, discriminator="LOT"):
    part_id = UnicodeAttribute(attr_name="partId")
    po_id = UnicodeAttribute(attr_name="poId")
    po_number = UnicodeAttribute(attr_name="poNumber")
    line_id = UnicodeAttribute(attr_name="lineId")
    status = UnicodeAttribute()
    on_order = DecimalAttribute(attr_name="onOrderQuantity")
    in_stock = DecimalAttribute(attr_name="inStockQuantity")
    updated_at = UnicodeAttribute(attr_name="updatedAt")


# --- documents, customer orders, blanket POs, purchase templates -------------------------------
#
# | item                        | PK                         | SK              |
# |-----------------------------|----------------------------|-----------------|
# | document of a PO            | ORG#o#PO#p                 | DOC#<docId>     |
# | the PO's generated PDF      | ORG#o#PO#p                 | PDF             |
# | customer order              | ORG#o#ORDER#<orderId>      | ORDER           |
# | document of an order        | ORG#o#ORDER#<orderId>      | DOC#<docId>     |
# | blanket PO                  | ORG#o#BLANKET#<id>         | BLANKET         |
# | document of a blanket PO    | ORG#o#BLANKET#<id>         | DOC#<docId>     |
# | an order drawing on it      | ORG#o#BLANKET#<id>         | USE#<orderId>   |
# | order number reservation    | ORG#o#ORDERNUMBER#<NUMBER> | ORDERNUMBER     |
# | purchase template           | ORG#o#TEMPLATE#<id>        | TEMPLATE        |
# | its lines                   | ORG#o#TEMPLATE#<id>        | TLINE#00001     |
#
# Each lives in its owner's partition, so one Query reads an owner with its documents. Orders,
# blanket POs and templates are listed per org through ByUpdated (GSI3PK ORG#o#ORDERS, ...).
# Every model below is an OwnerPartitionItem, so a Query on the root model returns each as its type.


def owner_pk(org_id: str, kind: str, owner_id: str) -> str:
    """The partition of a document's owner (kind: po, order or blanket)."""
    return f"ORG#{org_id}#{kind.upper()}#{owner_id}"


def doc_sk(document_id: str) -> str:
    return f"DOC#{document_id}"


def org_list_key(org_id: str, what: str) -> str:
    """GSI3PK of an org's orders, blanket POs, templates or parts (ORDERS, BLANKETS, TEMPLATES, PARTS)."""
    return f"ORG#{org_id}#{what}"


class DocumentItem(OwnerPartitionItem, discriminator="DOC"):
    document_id = UnicodeAttribute(attr_name="documentId")
    owner_kind = UnicodeAttribute(attr_name="ownerKind")
    owner_id = UnicodeAttribute(attr_name="ownerId")
    file_name = UnicodeAttribute(attr_name="fileName")
    content_type = UnicodeAttribute(attr_name="contentType")
    size = NumberAttribute()  # as declared; the ingest checks what arrived against it
    s3_key = UnicodeAttribute(attr_name="s3Key")
    status = UnicodeAttribute()
    reason = UnicodeAttribute(null=True)
    source = UnicodeAttribute(default="BUYER")
    uploaded_by = UnicodeAttribute(attr_name="uploadedBy")
    po_number = UnicodeAttribute(attr_name="poNumber", null=True)
    version_id = UnicodeAttribute(attr_name="versionId", null=True)  # the S3 version accepted
    received_size = NumberAttribute(attr_name="receivedSize", null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    expiration = NumberAttribute(null=True)  # TTL: a PENDING document nobody uploaded goes away


class PdfItem(PoPartitionItem, discriminator="PDF"):
    """The PDF sent to the supplier for what was ordered (one per distinct set of ordered lines)."""

    fingerprint = UnicodeAttribute()
    s3_key = UnicodeAttribute(attr_name="s3Key")
    number = UnicodeAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    # When the supplier's email was published to SNS (once per PDF); the mailer then records what
    # SES accepted (sentAt) and what became of it (deliveredAt, bouncedAt and why, complainedAt).
    published_at = UnicodeAttribute(attr_name="publishedAt", null=True)
    mail_id = UnicodeAttribute(attr_name="mailId", null=True)
    ses_message_id = UnicodeAttribute(attr_name="sesMessageId", null=True)
    sent_at = UnicodeAttribute(attr_name="sentAt", null=True)
    delivered_at = UnicodeAttribute(attr_name="deliveredAt", null=True)
    bounced_at = UnicodeAttribute(attr_name="bouncedAt", null=True)
    bounce_type = UnicodeAttribute(attr_name="bounceType", null=True)
    bounce_reason = UnicodeAttribute(attr_name="bounceReason", null=True)
    complained_at = UnicodeAttribute(attr_name="complainedAt", null=True)
    # SES refused the supplier's email (retried): not the PDF's own `failure` below.
    mail_failed_at = UnicodeAttribute(attr_name="mailFailedAt", null=True)
    mail_failure = UnicodeAttribute(attr_name="mailFailure", null=True)
    # Until when (epoch seconds) one delivery holds the right to notify the supplier of it.
    claimed_until = NumberAttribute(attr_name="claimedUntil", null=True)
    # Why it could not be made (status FAILED): nothing was stored and the supplier was not told.
    failure = UnicodeAttribute(null=True)
    # The supplier's revision: 1 placed the order, each later one a change or cancellation notice.
    revision = NumberAttribute(null=True)
    snapshot = UnicodeAttribute(null=True)  # JSON: what this revision shows the supplier
    sent_to = UnicodeAttribute(attr_name="sentTo", null=True)
    # JSON: the revision the supplier was sent before this one (its link stays good until this one
    # is sent), so a revision that fails or is not sent yet never loses what the supplier knows.
    base = UnicodeAttribute(null=True)


class OrderItem(OrderPartitionItem, discriminator="ORDER"):
    order_id = UnicodeAttribute(attr_name="orderId")
    number = UnicodeAttribute()
    customer_name = UnicodeAttribute(attr_name="customerName")
    customer_email = UnicodeAttribute(attr_name="customerEmail", null=True)
    description = UnicodeAttribute(null=True)
    amount = DecimalAttribute()
    currency = UnicodeAttribute()
    status = UnicodeAttribute()
    customer_po = JSONAttribute(attr_name="customerPo", null=True)
    version = NumberAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    invoiced_at = UnicodeAttribute(attr_name="invoicedAt", null=True)
    # Partner uploads already made the customer PO: a redelivered one is not applied twice.
    partner_documents = UnicodeSetAttribute(attr_name="partnerDocuments", null=True)
    gsi1pk = UnicodeAttribute(attr_name="GSI1PK", null=True)
    gsi1sk = UnicodeAttribute(attr_name="GSI1SK", null=True)
    by_status = ByStatus()
    gsi3pk = UnicodeAttribute(attr_name="GSI3PK", null=True)
    gsi3sk = UnicodeAttribute(attr_name="GSI3SK", null=True)

    by_updated = ByUpdated()


class BlanketPoItem(OrderPartitionItem, discriminator="BLANKET"):
    blanket_po_id = UnicodeAttribute(attr_name="blanketPoId")
    po_number = UnicodeAttribute(attr_name="poNumber")
    customer_name = UnicodeAttribute(attr_name="customerName")
    customer_email = UnicodeAttribute(attr_name="customerEmail", null=True)
    currency = UnicodeAttribute()
    cap = DecimalAttribute(null=True)  # the most all orders together may draw; none: no cap
    consumed = DecimalAttribute()  # what the orders drawing on it add up to
    end_date = UnicodeAttribute(attr_name="endDate", null=True)  # last day it may be used
    document_id = UnicodeAttribute(attr_name="documentId", null=True)
    document_at = UnicodeAttribute(attr_name="documentAt", null=True)  # when that document was created
    version = NumberAttribute()
    created_at = UnicodeAttribute(attr_name="createdAt")
    updated_at = UnicodeAttribute(attr_name="updatedAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    gsi3pk = UnicodeAttribute(attr_name="GSI3PK", null=True)
    gsi3sk = UnicodeAttribute(attr_name="GSI3SK", null=True)

    by_updated = ByUpdated()


class BlanketUseItem(OrderPartitionItem, discriminator="USE"):
    order_id = UnicodeAttribute(attr_name="orderId")
    order_number = UnicodeAttribute(attr_name="orderNumber")
    amount = DecimalAttribute()
    at = UnicodeAttribute()


class TemplateItem(TemplatePartitionItem, discriminator="TEMPLATE"):
    template_id = UnicodeAttribute(attr_name="templateId")
    name = UnicodeAttribute()
    supplier_name = UnicodeAttribute(attr_name="supplierName", null=True)
    supplier_email = UnicodeAttribute(attr_name="supplierEmail", null=True)
    currency = UnicodeAttribute()
    line_count = NumberAttribute(attr_name="lineCount")
    custom_attributes = JSONAttribute(attr_name="customAttributes", null=True)
    source_po_id = UnicodeAttribute(attr_name="sourcePoId", null=True)
    created_at = UnicodeAttribute(attr_name="createdAt")
    created_by = UnicodeAttribute(attr_name="createdBy")
    gsi3pk = UnicodeAttribute(attr_name="GSI3PK", null=True)
    gsi3sk = UnicodeAttribute(attr_name="GSI3SK", null=True)

    by_updated = ByUpdated()


class TemplateLineItem(TemplatePartitionItem, discriminator="TEMPLATE_LINE"):
    line_no = NumberAttribute(attr_name="lineNo")
    line = JSONAttribute()  # the line as a CreateLineRequest takes it (camelCase JSON)


# --- emails the mailer sent (beside the PO partition, never inside it) ---------------------------
#
# | item         | PK                  | SK                        |
# |--------------|---------------------|---------------------------|
# | email        | ORG#o#PO#p#MAIL     | <SNS message id>          |


def mail_pk(org_id: str, po_id: str) -> str:
    return f"{po_pk(org_id, po_id)}#MAIL"


class MailItem(Model):
    """One email the mailer was asked to send (keyed by the SNS message that asked): first a lease
    to send it (`claimedUntil`), then SENT with the SES message id. A redelivered message finds
    it sent and sends nothing; SES events find, through it, where to record what happened."""

    class Meta(_Meta):
        pass

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    item_type = UnicodeAttribute(attr_name="type", default="MAIL")
    kind = UnicodeAttribute()
    to = UnicodeAttribute()
    subject = UnicodeAttribute()
    target_kind = UnicodeAttribute(attr_name="targetKind")
    target_ref = UnicodeAttribute(attr_name="targetRef", null=True)
    status = UnicodeAttribute()  # SENDING | SENT
    claimed_until = NumberAttribute(attr_name="claimedUntil", null=True)
    ses_message_id = UnicodeAttribute(attr_name="sesMessageId", null=True)
    sent_at = UnicodeAttribute(attr_name="sentAt", null=True)
    expiration = NumberAttribute(null=True)  # TTL: the record outlives any redelivery
