"""The mailer on moto: the topics' email messages reach it through a queue subscribed as the template
subscribes MailerQueue; it sends each with SES v2 (moto's), once, and records what SES accepted and
what became of each email on the approval request or the PDF item, and in the PO's history. A
bounce of every approver of a level escalates it (or tells the requester)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import uuid
from typing import Any

import boto3
import pytest
from moto.ses.models import ses_backends

from local import template
from local.lambda_events import LambdaContext
from local.queue_pump import sqs_record
from purchasing import config
from purchasing.data import pdf_repository
from purchasing.data.tables import PdfItem, po_pk
from tests.conftest import Api, Stream
from tests.integration.test_approvals import ANN, BOSS, BUYER, FIN, Approvals, level, submitted_po

IDENTITY = "po-test.example"  # SenderEmail's domain, verified as an operator verifies it


class Mailer:
    """MailerQueue as the template declares it (not raw) on the approvals and supplier topics and on
    SES's event topic; `deliver` hands its messages to the real handler."""

    def __init__(self) -> None:
        subscriptions = template.resources("AWS::SNS::Subscription")
        raw = {
            str(item["RawMessageDelivery"]).lower()
            for name, item in subscriptions.items()
            if "Mailer" in name
        }
        assert raw == {"false"}  # the envelope's MessageId keys each send
        self.sqs = boto3.client("sqs")
        self.url = self.sqs.create_queue(QueueName="mailer-test")["QueueUrl"]
        self.arn = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        sns = boto3.client("sns")
        self.events_topic = sns.create_topic(Name="mail-events-test")["TopicArn"]
        for topic in (os.environ["APPROVALS_TOPIC_ARN"], os.environ["SUPPLIER_TOPIC_ARN"], self.events_topic):
            sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=self.arn)
        self.module = template.load_module(template.functions()["MailerFunction"])
        sesv2 = boto3.client("sesv2")
        sesv2.create_email_identity(EmailIdentity=IDENTITY)
        sesv2.create_configuration_set(ConfigurationSetName=os.environ["SES_CONFIGURATION_SET"])

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages"):
            found += [sqs_record(dict(message), self.arn) for message in batch]
            for message in batch:
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def deliver(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        return dict(self.module.lambda_handler({"Records": records}, LambdaContext(function_name="mailer")))

    def ses_event(self, event_type: str, envelope_body: str, **detail: Any) -> None:
        """What SES publishes to the configuration set's topic about the email `envelope_body` asked for."""
        envelope = json.loads(envelope_body)
        message = json.loads(envelope["Message"])
        tags = {"org": [message["orgId"]], "po": [message["poId"]], "mail": [envelope["MessageId"]]}
        event = {
            "eventType": event_type,
            "mail": {"timestamp": "2026-01-02T03:04:05.000Z", "messageId": "ses-1", "tags": tags},
            **detail,
        }
        boto3.client("sns").publish(TopicArn=self.events_topic, Message=json.dumps(event))


def sent() -> list[email.message.EmailMessage]:
    """What moto's SES accepted, parsed."""
    backend = ses_backends["123456789012"]["us-east-1"]
    return [
        email.message_from_string(item.raw_data, policy=email.policy.default)
        for item in backend.sent_messages
    ]


def part(message: email.message.EmailMessage, kind: str) -> str:
    (found,) = [item for item in message.walk() if item.get_content_type() == kind]
    return str(found.get_content())


@pytest.fixture
def mailer(aws: None) -> Mailer:
    return Mailer()


@pytest.fixture
def approvals(api: Api, stream: Stream) -> Approvals:
    return Approvals(api, stream)


def published(approvals: Approvals, mailer: Mailer, count: int) -> list[dict[str, Any]]:
    """Run the flow until `count` email messages wait for the mailer; their SQS records."""
    records: list[dict[str, Any]] = []

    def ready() -> bool:
        records.extend(mailer.records())
        return len(records) >= count

    approvals.settle(ready)
    return records


def deliveries(approvals: Approvals, po_id: str) -> dict[str, dict[str, Any]]:
    return {
        item["to"]: item for request in approvals.po(po_id)["approvals"] for item in request["deliveries"]
    }


def test_each_approver_gets_one_email_with_an_html_and_a_text_part(
    api: Api, approvals: Approvals, mailer: Mailer
) -> None:
    approvals.set_policy(level("Manager", ANN, FIN))
    po_id = submitted_po(api, lines=2)
    records = published(approvals, mailer, 2)
    assert {item["to"]: item["status"] for item in deliveries(approvals, po_id).values()} == {
        ANN: "published",
        FIN: "published",
    }

    assert mailer.deliver(records) == {"batchItemFailures": []}

    messages = sent()
    assert sorted(str(message["To"]) for message in messages) == [ANN, FIN]
    for message in messages:
        assert message.get_content_type() == "multipart/alternative"
        assert "purchasing@po-test.example" in str(message["From"])
        text, html = part(message, "text/plain"), part(message, "text/html")
        link = next(line for line in text.splitlines() if "/approvals/" in line)
        assert "level 1 (Manager)" in text and "Total: 25.00 USD" in text and "1. Bolt M6: 10 x 1.25" in text
        assert (
            f'href="{link.strip()}"' in html
            and ">Review it and approve or reject, with a comment</a>" in html
        )
        assert "<td" in html and "Bolt M7" in html and "25.00 USD" in html and "level 1 (Manager)" in html
    # the two links are the approvers' own
    assert len({part(message, "text/plain") for message in messages}) == 2
    status = deliveries(approvals, po_id)
    assert {item["status"] for item in status.values()} == {"sent"}
    assert all(item["sentAt"] and item["mailId"] for item in status.values())
    kinds = [event["type"] for event in api("GET", f"/pos/{po_id}/history").body["items"]]
    assert kinds.count("email-sent") == 2


def test_a_redelivered_message_sends_nothing_twice(api: Api, approvals: Approvals, mailer: Mailer) -> None:
    approvals.set_policy(level("Manager", ANN))
    submitted_po(api)
    (record,) = published(approvals, mailer, 1)
    assert mailer.deliver([record]) == {"batchItemFailures": []}

    again = {**record, "messageId": str(uuid.uuid4())}  # SNS delivered the same notification twice
    assert mailer.deliver([record, again]) == {"batchItemFailures": []}

    assert len(sent()) == 1


def test_what_ses_refuses_is_not_marked_sent_and_is_retried(
    api: Api, approvals: Approvals, mailer: Mailer, monkeypatch: pytest.MonkeyPatch
) -> None:
    approvals.set_policy(level("Manager", ANN))
    po_id = submitted_po(api)
    (record,) = published(approvals, mailer, 1)
    monkeypatch.setattr(config.get(config.Mail), "sender_email", "someone@unverified.example")

    assert mailer.deliver([record]) == {"batchItemFailures": [{"itemIdentifier": record["messageId"]}]}

    assert sent() == []
    (failed,) = deliveries(approvals, po_id).values()
    assert failed["status"] == "failed" and failed["sentAt"] is None
    assert failed["failure"].startswith("MessageRejected")
    # the queue gives it back (and, after its receives, parks it in the dead-letter queue)
    monkeypatch.setattr(config.get(config.Mail), "sender_email", "purchasing@po-test.example")
    assert mailer.deliver([record]) == {"batchItemFailures": []}
    assert len(sent()) == 1 and deliveries(approvals, po_id)[ANN]["status"] == "sent"


def test_deliveries_and_bounces_are_recorded_on_the_request_and_in_history(
    api: Api, approvals: Approvals, mailer: Mailer
) -> None:
    approvals.set_policy(level("Manager", ANN, FIN))
    po_id = submitted_po(api)
    records = published(approvals, mailer, 2)
    mailer.deliver(records)
    by_to = {json.loads(json.loads(r["body"])["Message"])["to"]: r["body"] for r in records}

    mailer.ses_event("Delivery", by_to[FIN], delivery={"timestamp": "2026-01-02T03:04:07.000Z"})
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": ANN, "diagnosticCode": "smtp; 550 5.1.1 user unknown"}],
        "timestamp": "2026-01-02T03:04:08.000Z",
    }
    mailer.ses_event("Bounce", by_to[ANN], bounce=bounce)
    events = mailer.records()
    assert mailer.deliver(events + events) == {"batchItemFailures": []}  # twice: recorded once

    status = deliveries(approvals, po_id)
    assert (status[FIN]["status"], status[FIN]["deliveredAt"]) == ("delivered", "2026-01-02T03:04:07.000Z")
    assert (status[ANN]["status"], status[ANN]["bouncedAt"]) == ("bounced", "2026-01-02T03:04:08.000Z")
    assert status[ANN]["bounceReason"] == "Permanent (General): smtp; 550 5.1.1 user unknown"
    history = api("GET", f"/pos/{po_id}/history").body["items"]
    assert [e["type"] for e in history].count("email-bounced") == 1
    assert [e["type"] for e in history].count("email-delivered") == 1
    assert any(ANN in e["summary"] and "550 5.1.1" in e["summary"] for e in history)


def test_a_level_whose_every_approver_bounced_is_escalated(
    api: Api, approvals: Approvals, mailer: Mailer
) -> None:
    approvals.set_policy(level("Manager", ANN, timeoutHours="24", escalateTo=[BOSS]))
    po_id = submitted_po(api)
    (record,) = published(approvals, mailer, 1)
    mailer.deliver([record])
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "NoEmail",
        "bouncedRecipients": [{"emailAddress": ANN}],
    }
    mailer.ses_event("Bounce", record["body"], bounce=bounce)
    mailer.deliver(mailer.records())

    approvals.settle(lambda: bool(approvals.emails_to(BOSS)))  # long before the level's timeout

    assert "escalated to you" in approvals.emails_to(BOSS)[0]["body"]
    requests = approvals.po(po_id)["approvals"]
    assert [(r["approvers"], r["status"], r["escalation"]) for r in requests] == [
        ([ANN], "EXPIRED", False),
        ([BOSS], "PENDING", True),
    ]
    assert approvals.page(approvals.link(ANN)).status == 410


def test_without_escalation_the_requester_is_told(api: Api, approvals: Approvals, mailer: Mailer) -> None:
    approvals.set_policy(level("Manager", ANN))
    po_id = submitted_po(api)
    (record,) = published(approvals, mailer, 1)
    mailer.deliver([record])
    bounce = {
        "bounceType": "Permanent",
        "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": ANN}],
    }
    mailer.ses_event("Bounce", record["body"], bounce=bounce)
    mailer.deliver(mailer.records())

    approvals.settle(lambda: bool(approvals.emails_to(BUYER)))
    (notice,) = approvals.emails_to(BUYER)
    assert notice["subject"] == "Approval request for PO-000001 could not be delivered"
    assert ANN in notice["body"] and "Nobody can approve this level" in notice["body"]
    assert approvals.po(po_id)["approvals"][0]["status"] == "PENDING"  # it waits for its timeout
    approvals.settle(lambda: len(approvals.emails_to(BUYER)) == 1)  # told once


def test_a_supplier_email_is_recorded_on_the_pdf_item(api: Api, stream: Stream, mailer: Mailer) -> None:
    from tests.integration.test_po_pdf import PdfQueue, ordered

    queue = PdfQueue()
    po = ordered(api, stream)
    assert queue.deliver(queue.records()) == {"batchItemFailures": []}
    (record,) = mailer.records()
    assert mailer.deliver([record]) == {"batchItemFailures": []}

    (message,) = sent()
    assert str(message["To"]) == "sales@acme-metals.example.com"
    html = part(message, "text/html")
    assert ">Download the purchase order (PDF)</a>" in html and "/supplier/" in html
    item = next(PdfItem.query(po_pk("acme", po["id"]), PdfItem.sk == pdf_repository.PDF_SK))
    assert item.published_at and item.sent_at and item.ses_message_id

    mailer.ses_event("Delivery", record["body"], delivery={"timestamp": "2026-01-02T03:04:09.000Z"})
    mailer.deliver(mailer.records())
    item.refresh()
    assert item.delivered_at == "2026-01-02T03:04:09.000Z"


def test_an_event_for_an_email_the_mailer_did_not_send_is_left_alone(aws: None, mailer: Mailer) -> None:
    boto3.client("sns").publish(
        TopicArn=mailer.events_topic, Message=json.dumps({"eventType": "Delivery", "mail": {"tags": {}}})
    )
    tagged = {"org": ["acme"], "po": ["a" * 32], "mail": ["no-such-mail"]}
    boto3.client("sns").publish(
        TopicArn=mailer.events_topic, Message=json.dumps({"eventType": "Delivery", "mail": {"tags": tagged}})
    )
    assert mailer.deliver(mailer.records()) == {"batchItemFailures": []}
