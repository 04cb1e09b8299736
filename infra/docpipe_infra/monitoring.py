"""Monitoring: one CloudWatch dashboard and the alarms that mean a human should look."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from docpipe import contract
from docpipe_infra import constants as c

_PERIOD = Duration.minutes(c.ALARM_PERIOD_MINUTES)
_WIDTH = 8  # three graphs per 24-unit row

# Cache errors: alarm when at least one is counted in 3 of 5 consecutive minutes.
# - One error is normal: a node replaced or a scaling event, a container that found a dead
#   connection. The request went on uncached; nobody needs to look.
# - Each container counts at most one error per back-off window (5 s; see src/docpipe/cache.py), so
#   the count follows containers, not traffic: >= 1 in a minute already means a container found the
#   cache unusable that minute, and the threshold cannot be tuned against request volume anyway.
# - 3 of 5 rather than 5 of 5: at low traffic a minute can pass without any request, hence without
#   an error, while the cache is still down. Minutes (EMF's resolution), not the 5-minute period of
#   the other alarms: one 5-minute period cannot tell a single blip from a persistent failure.
# Persistent errors mean a broken cache (security group, TLS trust, cluster mode, an outage): every
# submit misses and is rendered again, and erasures answer 503.
_CACHE_ERROR_PERIOD = Duration.minutes(1)
_CACHE_ERROR_DATAPOINTS = 3
_CACHE_ERROR_EVALUATION_PERIODS = 5


class Monitoring(Construct):
    """Dashboard rows: API, cache, queue, render. Alarms: DLQ, queue age, render errors, API 5xx rate,
    persistent cache errors.

    The application metrics are Powertools EMF metrics in namespace ``Docpipe`` with a ``service``
    dimension, one value per function (see ``_app_metric``).
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
            self._cache_errors_alarm(),
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

    def _cache_errors_alarm(self) -> cw.Alarm:
        # Alarms cannot use SEARCH (the dashboard's way to sum over the functions), so this names the
        # metric of each function, under the POWERTOOLS_SERVICE_NAME functions.py sets for it.
        per_function = {
            name: cw.Metric(
                namespace=contract.METRICS_NAMESPACE,
                metric_name=contract.METRIC_CACHE_ERROR,
                dimensions_map={contract.METRIC_SERVICE_DIMENSION: contract.service_name(name)},
                statistic=cw.Stats.SUM,
                period=_CACHE_ERROR_PERIOD,
            )
            for name in c.FUNCTION_NAMES
        }
        errors = cw.MathExpression(
            expression=f"SUM([{', '.join(per_function)}])",
            using_metrics=dict(per_function),
            label="cache errors",
            period=_CACHE_ERROR_PERIOD,
        )
        return errors.create_alarm(
            self,
            "CacheErrors",
            alarm_description=(
                f"Cache errors in {_CACHE_ERROR_DATAPOINTS} of the last {_CACHE_ERROR_EVALUATION_PERIODS} "
                "minutes: the cache is unusable, so documents are rendered again and erasures answer "
                "503. See the functions' 'cache unavailable' warnings for the error type."
            ),
            threshold=1,
            evaluation_periods=_CACHE_ERROR_EVALUATION_PERIODS,
            datapoints_to_alarm=_CACHE_ERROR_DATAPOINTS,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # Errors are only counted when they happen: no data is a healthy (or idle) cache.
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
        )


def _app_metric(name: str, statistic: str) -> cw.MathExpression:
    """One application metric, summed over the functions that emit it.

    Each function emits under its own ``service`` value: the POWERTOOLS_SERVICE_NAME functions.py sets
    (``contract.service_name``), which docpipe/observability.py hands to Powertools. A SEARCH over that
    dimension sums them in one expression instead of listing a metric per function in every graph.
    """
    query = f'{{{contract.METRICS_NAMESPACE},{contract.METRIC_SERVICE_DIMENSION}}} MetricName="{name}"'
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
    hits = _app_metric(contract.METRIC_CACHE_HIT, cw.Stats.SUM)
    misses = _app_metric(contract.METRIC_CACHE_MISS, cw.Stats.SUM)
    ratio = cw.MathExpression(
        expression="100 * SUM(hits) / (SUM(hits) + SUM(misses))",
        using_metrics={"hits": hits, "misses": misses},
        label="cache hit %",
        period=_PERIOD,
    )
    errors = _app_metric(contract.METRIC_CACHE_ERROR, cw.Stats.SUM)
    return [
        _graph("Cache hit ratio (%)", [ratio]),
        # Beside the ratio: a ratio that drops while errors rise is the cache failing, not new content.
        _graph("Cache errors (requests went on uncached)", [errors]),
        _graph("Cache hits / misses", [hits, misses]),
    ]


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
            [_app_metric(contract.METRIC_RENDER_MS, s) for s in ("p50", "p99")],
        ),
        _graph(
            "Render failures",
            [_app_metric(contract.METRIC_RENDER_FAILED, cw.Stats.SUM)],
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
