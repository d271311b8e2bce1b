"""The local cloud's documents plumbing in moto's server mode: the bucket made from the template,
a browser's presigned POST notifying the uploads queue, the queue pump handing that to the ingest
function, and the PO PDF queue's filtered, raw subscription to the PO events topic."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
import requests
from botocore.config import Config

from local import cloud, queue_pump, template


def declared_bucket() -> dict[str, Any]:
    return template.resources("AWS::S3::Bucket")["DocumentsBucket"]


def test_the_documents_bucket_is_made_as_the_template_declares(moto_server: cloud.Moto) -> None:
    resources = cloud.create_resources(moto_server)
    name = resources.refs["DocumentsBucket"]
    s3 = moto_server.client("s3")
    declared = declared_bucket()

    assert name == "purchase-orders-local-documentsbucket"
    assert resources.names["DocumentsBucket.Arn"] == f"arn:aws:s3:::{name}"
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    (rule,) = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert rule["BucketKeyEnabled"] is True
    assert (
        s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        == declared["PublicAccessBlockConfiguration"]
    )
    assert s3.get_bucket_ownership_controls(Bucket=name)["OwnershipControls"] == declared["OwnershipControls"]
    (cors,) = s3.get_bucket_cors(Bucket=name)["CORSRules"]
    assert (cors["AllowedMethods"], cors["AllowedOrigins"], cors["ExposeHeaders"], cors["MaxAgeSeconds"]) == (
        ["POST", "GET"],
        ["*"],  # the UploadOrigins parameter's default, a CommaDelimitedList
        ["ETag", "Location"],
        3000,
    )
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]}
    assert set(rules) == {r["Id"] for r in declared["LifecycleConfiguration"]["Rules"]}
    assert rules["ExpireQuarantine"]["Filter"] == {"Prefix": "quarantine/"}
    assert rules["ExpireQuarantine"]["Expiration"] == {"Days": 30}
    assert rules["AbortIncompleteUploads"]["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    (notification,) = s3.get_bucket_notification_configuration(Bucket=name)["QueueConfigurations"]
    assert notification["QueueArn"] == resources.names["DocumentUploadsQueue.Arn"]
    assert notification["Events"] == ["s3:ObjectCreated:*"]
    assert notification["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}
    # the functions get the real bucket name
    for function in ("DocumentsApiFunction", "DocumentIngestFunction"):
        assert template.functions(resources.names)[function].environment["DOCUMENTS_BUCKET"] == name


def test_a_presigned_post_notifies_the_queue_and_the_pump_hands_it_to_the_ingest(
    moto_server: cloud.Moto,
) -> None:
    resources = cloud.create_resources(moto_server)
    bucket = resources.refs["DocumentsBucket"]
    (mapping,) = [m for m in queue_pump.mappings(resources.names) if m.function == "DocumentIngestFunction"]
    assert mapping.queue_arn == resources.names["DocumentUploadsQueue.Arn"]
    assert mapping.report_item_failures
    s3 = moto_server.client("s3")
    presigning = boto3.client(
        "s3",
        endpoint_url=moto_server.endpoint,
        region_name=template.REGION,
        config=Config(signature_version="s3v4", s3={"addressing_style": "virtual"}),  # as the API's
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    key = "uploads/acme/po/p1/d1"
    post = presigning.generate_presigned_post(
        Bucket=bucket,
        Key=key,
        Fields={"Content-Type": "application/pdf"},
        Conditions=[["eq", "$Content-Type", "application/pdf"], ["content-length-range", 1, 1024]],
        ExpiresIn=60,
    )
    # as a browser sends the form: the fields first, the file last
    posted = requests.post(
        post["url"],
        data=post["fields"],
        files={"file": ("a.pdf", b"%PDF-1.7 hi", "application/pdf")},
        timeout=10,
    )
    assert posted.status_code == 204
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"%PDF-1.7 hi"
    events: list[dict[str, Any]] = []

    def invoke(event: dict[str, Any]) -> dict[str, Any]:
        events.append(event)
        return {"batchItemFailures": []}

    pump = queue_pump.QueuePump(
        mapping, moto_server.client("sqs"), invoke, queue_url=resources.refs["DocumentUploadsQueue"]
    )
    while pump.poll_once():
        pass

    records = [record for event in events for record in event["Records"]]
    bodies = [json.loads(record["body"]) for record in records]
    assert bodies[0]["Event"] == "s3:TestEvent"  # S3's first message when the notification is set
    (created,) = [record for body in bodies[1:] for record in body["Records"]]
    assert created["eventName"] == "ObjectCreated:Post"
    assert created["s3"]["bucket"]["name"] == bucket
    assert created["s3"]["object"]["key"] in (key, "uploads%2Facme%2Fpo%2Fp1%2Fd1")  # moto encodes "/" too
    assert created["s3"]["object"]["size"] == len(b"%PDF-1.7 hi")
    assert all(record["eventSourceARN"] == mapping.queue_arn for record in records)
    sqs = moto_server.client("sqs")
    attributes = sqs.get_queue_attributes(
        QueueUrl=resources.refs["DocumentUploadsQueue"], AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "0"  # what succeeded was deleted


def test_the_po_pdf_queue_gets_ordered_pos_raw_and_nothing_else(moto_server: cloud.Moto) -> None:
    resources = cloud.create_resources(moto_server)
    sns, sqs = moto_server.client("sns"), moto_server.client("sqs")
    subscription = sns.get_subscription_attributes(SubscriptionArn=resources.refs["PoPdfSubscription"])[
        "Attributes"
    ]
    declared = template.resources("AWS::SNS::Subscription")["PoPdfSubscription"]
    assert (subscription["TopicArn"], subscription["Endpoint"], subscription["Protocol"]) == (
        resources.refs["PoEventsTopic"],
        resources.names["PoPdfQueue.Arn"],
        "sqs",
    )
    assert subscription["RawMessageDelivery"] == "true"
    assert json.loads(subscription["FilterPolicy"]) == declared["FilterPolicy"]

    def publish(event_type: str, status: str, po: str) -> None:
        sns.publish(
            TopicArn=resources.refs["PoEventsTopic"],
            Message=json.dumps({"poId": po}),
            MessageAttributes={
                "eventType": {"DataType": "String", "StringValue": event_type},
                "status": {"DataType": "String", "StringValue": status},
            },
        )

    publish("po.status-changed", "ORDERED", "ordered")
    publish("po.status-changed", "RECEIVED", "received")
    publish("po.status-changed", "APPROVED", "approved")
    publish("po.created", "ORDERED", "other-event")

    messages = sqs.receive_message(
        QueueUrl=resources.refs["PoPdfQueue"], MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    ).get("Messages", [])
    assert sorted(json.loads(message["Body"])["poId"] for message in messages) == ["ordered", "received"]
    assert all(
        message["MessageAttributes"]["eventType"]["StringValue"] == "po.status-changed"
        for message in messages
    )


@pytest.mark.parametrize(
    ("logical_id", "name"),
    [
        ("DocumentsBucket", "purchase-orders-local-documentsbucket"),
        ("A" * 80, ("purchase-orders-local-" + "a" * 80)[:63]),
        ("Weird_Name.1", "purchase-orders-local-weird-name-1"),
    ],
)
def test_bucket_names_are_ones_s3_takes(logical_id: str, name: str) -> None:
    assert cloud.bucket_name(logical_id) == name
    assert 3 <= len(name) <= 63


def test_a_lifecycle_rule_the_local_cloud_cannot_make_is_refused_not_dropped() -> None:
    with pytest.raises(ValueError, match="Transitions"):
        cloud._lifecycle_rule(
            {"Id": "Archive", "Status": "Enabled", "Transitions": [{"StorageClass": "GLACIER"}]}
        )
