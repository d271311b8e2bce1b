"""SES on the local cloud, as strict as AWS: the template's configuration set and event destination
exist, the identity of its `SesIdentity` parameter is verified and no other; what moto's SES
accepted lands in the outbox with both parts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from local import cloud, outbox, ses_local, template
from purchasing.domain import emails


def raw(sender: str, to: str = "ann@acme.example") -> bytes:
    rendered = emails.Rendered(
        subject="Approve PO-1", text="Open:\nhttp://127.0.0.1/approvals/x\n", html="<p>hi</p>"
    )
    return emails.mime(rendered, sender=sender, to=to)


def send(ses: Any, sender: str, configuration_set: str, to: str = "ann@acme.example", **tags: str) -> str:
    return str(
        ses.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": [to]},
            Content={"Raw": {"Data": raw(sender, to)}},
            ConfigurationSetName=configuration_set,
            EmailTags=[{"Name": key, "Value": value} for key, value in tags.items()],
        )["MessageId"]
    )


def test_the_template_sender_may_send_and_no_other(moto_server: cloud.Moto, tmp_path: Path) -> None:
    resources = cloud.create_resources(moto_server)
    configuration_set = resources.refs["MailConfigurationSet"]
    sender = template.resolve({"Ref": "SenderEmail"}, {})
    ses = moto_server.client("sesv2")
    identities = [item["IdentityName"] for item in ses.list_email_identities()["EmailIdentities"]]
    assert identities == [template.resolve({"Ref": "SesIdentity"}, {})]
    destination = ses_local.destination(configuration_set)
    assert destination is not None
    assert destination["SNSDestination"]["TopicARN"] == resources.refs["MailEventsTopic"]

    with pytest.raises(ClientError) as refused:
        send(ses, "someone@unverified.example", configuration_set)
    assert refused.value.response["Error"]["Code"] == "MessageRejected"
    with pytest.raises(ClientError) as unknown:
        send(ses, sender, "no-such-configuration-set")
    assert unknown.value.response["Error"]["Code"] == "NotFoundException"

    message_id = send(ses, sender, configuration_set, org="acme", po="p1", mail="m1")

    box = outbox.Outbox(tmp_path / "outbox")
    pump = outbox.SesOutboxPump(box)
    assert pump.poll_once() and not pump.poll_once()  # each email once
    (email,) = box.items()
    assert (email["id"], email["to"], email["subject"]) == (message_id, "ann@acme.example", "Approve PO-1")
    assert email["from"] == sender and email["configurationSet"] == configuration_set
    assert email["html"] == "<p>hi</p>\n" and email["links"] == ["http://127.0.0.1/approvals/x"]
    assert email["attributes"] == {"orgId": "acme", "poId": "p1", "mailId": "m1"}


def test_ses_events_reach_the_configuration_set_topic_as_ses_publishes_them(
    moto_server: cloud.Moto, tmp_path: Path
) -> None:
    resources = cloud.create_resources(moto_server)
    configuration_set = resources.refs["MailConfigurationSet"]
    sender = template.resolve({"Ref": "SenderEmail"}, {})
    sqs = moto_server.client("sqs")
    url = sqs.create_queue(QueueName="events-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    moto_server.client("sns").subscribe(
        TopicArn=resources.refs["MailEventsTopic"], Protocol="sqs", Endpoint=arn
    )
    ses = moto_server.client("sesv2")
    delivered = send(ses, sender, configuration_set, org="acme", po="p1", mail="m1")
    bounced = send(
        ses, sender, configuration_set, "bounce@simulator.amazonses.com", org="acme", po="p1", mail="m2"
    )
    complained = send(ses, sender, configuration_set, "complaint+x@simulator.amazonses.com", mail="m3")

    pump = outbox.SesOutboxPump(outbox.Outbox(tmp_path / "outbox"), moto_server.client("sns"))
    assert pump.poll_once()

    events = {}
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            event = json.loads(json.loads(message["Body"])["Message"])
            events[event["mail"]["messageId"]] = event
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert {key: value["eventType"] for key, value in events.items()} == {
        delivered: "Delivery",
        bounced: "Bounce",
        complained: "Complaint",
    }
    assert events[delivered]["mail"]["tags"] == {"org": ["acme"], "po": ["p1"], "mail": ["m1"]}
    assert events[bounced]["bounce"]["bounceType"] == "Permanent"
    assert (
        events[bounced]["bounce"]["bouncedRecipients"][0]["emailAddress"] == "bounce@simulator.amazonses.com"
    )
