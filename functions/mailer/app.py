"""Emails out through SES, and what became of them back in: the approvals and supplier topics'
email messages, and SES's delivery, bounce and complaint events, from one queue.

Each message is handled alone; a failure fails that message only (partial batch response) and the
queue retries it, then parks it in the dead-letter queue.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.observability import logger, metrics, tracer
from purchasing.services import mailer_service

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(config.Observability, config.Table, config.Mail)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    return mailer_service.handle(record.body)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
