"""Monitoring: one CloudWatch dashboard and the alarms that mean a human should look."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from docpipe_infra import constants as c

_PERIOD = Duration.minutes(c.ALARM_PERIOD_MINUTES)
_WIDTH = 8  # three graphs per 24-unit row


class Monitoring(Construct):
    """Dashboard rows: API, cache, queue, render. Alarms: DLQ, queue age, render errors, API 5xx rate.

    The application metrics are Powertools EMF metrics in namespace ``Docpipe`` with a ``service``
    dimension (see ``_app_metric``).
    The alarms have no actions yet: subscribe an SNS topic (or a chat integration) per environment.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        api: apigw.RestApi,
        queue: sqs.IQueue,
        dead_letter_queue: sqs.IQueue,
        render: lambda_.IFunction,
        functions: list[lambda_.IFunction],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dashboard = cw.Dashboard(self, "Dashboard", default_interval=Duration.hours(3))
        self.dashboard.add_widgets(*_api_widgets(api))
        self.dashboard.add_widgets(*_cache_widgets())
        self.dashboard.add_widgets(*_queue_widgets(queue, dead_letter_queue))
        self.dashboard.add_widgets(*_render_widgets(render, functions))
        self.alarms = [
            self._dlq_alarm(dead_letter_queue),
            self._queue_age_alarm(queue),
            self._render_errors_alarm(render),
            self._api_5xx_alarm(api),
        ]

    def _dlq_alarm(self, dead_letter_queue: sqs.IQueue) -> cw.Alarm:
        return dead_letter_queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(1), statistic=cw.Stats.MAXIMUM
        ).create_alarm(
            self,
            "DeadLetterQueueNotEmpty",
            alarm_description="A render job failed MAX_RECEIVES times; its message is in the DLQ.",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )

    def _queue_age_alarm(self, queue: sqs.IQueue) -> cw.Alarm:
        return queue.metric_approximate_age_of_oldest_message(
            period=_PERIOD, statistic=cw.Stats.MAXIMUM
        ).create_alarm(
            self,
            "RenderQueueBacklogOld",
            alarm_description="Jobs wait too long: renders are failing or concurrency is too low.",
            threshold=c.ALARM_OLDEST_MESSAGE_SECONDS,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )

    def _render_errors_alarm(self, render: lambda_.IFunction) -> cw.Alarm:
        # Errors counts crashes and timeouts only: a document that fails to compile is a reported
        # batch item failure, tracked by RenderFailed on the dashboard.
        return render.metric_errors(period=_PERIOD, statistic=cw.Stats.SUM).create_alarm(
            self,
            "RenderFunctionErrors",
            alarm_description="The render function crashed or timed out.",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )

    def _api_5xx_alarm(self, api: apigw.RestApi) -> cw.Alarm:
        rate = cw.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={
                "errors": api.metric_server_error(period=_PERIOD, statistic=cw.Stats.SUM),
                "requests": api.metric_count(period=_PERIOD, statistic=cw.Stats.SUM),
            },
            label="API 5xx %",
            period=_PERIOD,
        )
        return rate.create_alarm(
            self,
            "Api5xxRate",
            alarm_description=f"More than {c.ALARM_API_5XX_PERCENT}% of API requests answered 5xx.",
            threshold=c.ALARM_API_5XX_PERCENT,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )


def _app_metric(name: str, statistic: str) -> cw.MathExpression:
    """One application metric, summed over whatever ``service`` dimension values carry it.

    A SEARCH instead of a fixed dimension: the application's Powertools objects may name their own
    service (docpipe/observability.py sets ``service="docpipe"``, which wins over
    POWERTOOLS_SERVICE_NAME), and the dashboard must not go blank when that changes.
    """
    query = f'{{{c.METRICS_NAMESPACE},{c.METRIC_SERVICE_DIMENSION}}} MetricName="{name}"'
    return cw.MathExpression(
        expression=f"SEARCH('{query}', '{statistic}', {int(_PERIOD.to_seconds())})",
        using_metrics={},
        label=f"{name} {statistic}",
        period=_PERIOD,
    )


def _graph(title: str, left: list[cw.IMetric], right: list[cw.IMetric] | None = None) -> cw.GraphWidget:
    return cw.GraphWidget(title=title, left=left, right=right or [], width=_WIDTH)


def _api_widgets(api: apigw.RestApi) -> list[cw.IWidget]:
    return [
        _graph("API requests", [api.metric_count(period=_PERIOD, statistic=cw.Stats.SUM)]),
        _graph(
            "API 4xx / 5xx",
            [
                api.metric_client_error(period=_PERIOD, statistic=cw.Stats.SUM),
                api.metric_server_error(period=_PERIOD, statistic=cw.Stats.SUM),
            ],
        ),
        _graph(
            "API latency p50 / p99", [api.metric_latency(period=_PERIOD, statistic=s) for s in ("p50", "p99")]
        ),
    ]


def _cache_widgets() -> list[cw.IWidget]:
    hits = _app_metric(c.METRIC_CACHE_HIT, cw.Stats.SUM)
    misses = _app_metric(c.METRIC_CACHE_MISS, cw.Stats.SUM)
    ratio = cw.MathExpression(
        expression="100 * SUM(hits) / (SUM(hits) + SUM(misses))",
        using_metrics={"hits": hits, "misses": misses},
        label="cache hit %",
        period=_PERIOD,
    )
    return [_graph("Cache hit ratio (%)", [ratio]), _graph("Cache hits / misses", [hits, misses])]


def _queue_widgets(queue: sqs.IQueue, dead_letter_queue: sqs.IQueue) -> list[cw.IWidget]:
    return [
        _graph(
            "Render queue depth",
            [
                queue.metric_approximate_number_of_messages_visible(
                    period=_PERIOD, statistic=cw.Stats.MAXIMUM
                ),
                queue.metric_approximate_number_of_messages_not_visible(
                    period=_PERIOD, statistic=cw.Stats.MAXIMUM
                ),
            ],
            [
                dead_letter_queue.metric_approximate_number_of_messages_visible(
                    period=_PERIOD, statistic=cw.Stats.MAXIMUM
                )
            ],
        ),
        _graph(
            "Age of oldest job (s)",
            [queue.metric_approximate_age_of_oldest_message(period=_PERIOD, statistic=cw.Stats.MAXIMUM)],
        ),
    ]


def _render_widgets(render: lambda_.IFunction, functions: list[lambda_.IFunction]) -> list[cw.IWidget]:
    return [
        _graph(
            "Render time (ms) p50 / p99",
            [_app_metric(c.METRIC_RENDER_MS, s) for s in ("p50", "p99")],
        ),
        _graph(
            "Render failures",
            [_app_metric(c.METRIC_RENDER_FAILED, cw.Stats.SUM)],
            [
                render.metric_errors(period=_PERIOD, statistic=cw.Stats.SUM),
                render.metric_throttles(period=_PERIOD, statistic=cw.Stats.SUM),
            ],
        ),
        _graph(
            "Function duration p99 (ms)",
            [fn.metric_duration(period=_PERIOD, statistic="p99") for fn in functions],
        ),
    ]
