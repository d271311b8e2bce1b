"""PO status changes (ORDERED or RECEIVED, filtered by the subscription) to the supplier's PDF.

Each message is one PO: its PDF is made, stored and sent once; a failure fails that message alone
(partial batch response) and the queue retries it, then parks it in the dead-letter queue.
The PDF is drawn by the PDF layer (`supplier_pdf`, fpdf2), which only this function has.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from purchasing import config
from purchasing.observability import logger, metrics, tracer
from purchasing.services import pdf_service
from supplier_pdf import renderer

# What this function needs of its environment, parsed at cold start: a missing variable fails the import.
ENVIRONMENT = config.load(
    config.Observability,
    config.Table,
    config.Links,
    config.Documents,
    config.SupplierMessages,
    config.LinkSecret,
)

processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def record_handler(record: SQSRecord) -> str:
    return pdf_service.on_status_changed(record.body, renderer.render)


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict, context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
