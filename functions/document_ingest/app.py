"""Uploads from the bucket's event notifications (S3 -> SQS): each object is checked by its content
and accepted, or quarantined; a message that fails is retried alone (partial batch responses)."""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.observability import logger, metrics, tracer
from purchasing.services import ingest_service
from purchasing.services.ingest_service import Outcome

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(config.Observability, config.Table, config.Documents)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
METRICS = {Outcome.ACCEPTED: "DocumentsAccepted", Outcome.REJECTED: "DocumentsRejected"}


def record_handler(record: SQSRecord) -> None:
    for result in ingest_service.ingest_message(record.body):
        fields = {"key": result.key, "outcome": result.outcome.value, "documentId": result.document_id}
        fields |= {"versionId": result.version_id, "reason": result.reason, "messageId": record.message_id}
        if result.outcome in (Outcome.REJECTED, Outcome.QUARANTINED):
            logger.warning("upload quarantined", extra=fields)
            metrics.add_metric(name="UploadsQuarantined", unit=MetricUnit.Count, value=1)
        else:
            logger.info("upload ingested", extra=fields)
        if result.outcome in METRICS:
            metrics.add_metric(name=METRICS[result.outcome], unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
