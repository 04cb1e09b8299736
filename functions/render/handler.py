"""SQS → render: one record is one job; failed records are reported back (partial batch response)."""

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from docpipe.observability import logger, metrics, traced
from docpipe.pipeline import default_pipeline
from docpipe.settings import get_settings

get_settings()  # configuration errors surface at cold start
processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    default_pipeline().render.record(record.body, int(record.attributes.approximate_receive_count))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
@traced
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(event, record_handler, processor, context)
