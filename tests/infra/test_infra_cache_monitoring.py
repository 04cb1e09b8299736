"""Cache errors (the CacheError metric the functions emit when Redis fails) are seen and alarmed on."""

from __future__ import annotations

import json
from typing import Any

from docpipe_infra import constants as c
from infra_support import Synth

from docpipe import contract


def dashboard_widgets(synth: Synth) -> list[dict[str, Any]]:
    """The dashboard's widgets, with CloudFormation tokens (region, API name, ...) as plain text."""
    (dashboard,) = synth.resources("AWS::CloudWatch::Dashboard").values()
    body = dashboard["Properties"]["DashboardBody"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    text = "".join(part if isinstance(part, str) else "TOKEN" for part in parts)
    widgets: list[dict[str, Any]] = json.loads(text)["widgets"]
    return widgets


def cache_error_alarm(synth: Synth) -> dict[str, Any]:
    matches: list[dict[str, Any]] = [
        alarm["Properties"]
        for alarm in synth.resources("AWS::CloudWatch::Alarm").values()
        if any(
            query.get("MetricStat", {}).get("Metric", {}).get("MetricName") == contract.METRIC_CACHE_ERROR
            for query in alarm["Properties"].get("Metrics", [])
        )
    ]
    assert len(matches) == 1, matches
    return matches[0]


def function_services(synth: Synth) -> set[str]:
    """The `service` dimension each function's Powertools metrics carry (POWERTOOLS_SERVICE_NAME)."""
    return {
        function["Properties"]["Environment"]["Variables"][contract.ENV_SERVICE_NAME]
        for function in synth.resources("AWS::Lambda::Function").values()
        if contract.ENV_SERVICE_NAME in function["Properties"].get("Environment", {}).get("Variables", {})
    }


def test_dashboard_graphs_cache_errors_beside_the_hit_ratio(synth: Synth) -> None:
    widgets = dashboard_widgets(synth)
    by_title = {w["properties"].get("title"): w for w in widgets}
    ratio = by_title["Cache hit ratio (%)"]
    errors = next(w for title, w in by_title.items() if title and title.startswith("Cache errors"))
    assert errors["y"] == ratio["y"]  # the same row
    assert errors["x"] == ratio["x"] + ratio["width"]  # right after it
    queries = json.dumps(errors["properties"]["metrics"])
    assert f'MetricName=\\"{contract.METRIC_CACHE_ERROR}\\"' in queries
    assert contract.METRICS_NAMESPACE in queries
    assert "Sum" in queries


def test_persistent_cache_errors_raise_an_alarm(synth: Synth) -> None:
    alarm = cache_error_alarm(synth)
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["Threshold"] == 1
    assert (alarm["DatapointsToAlarm"], alarm["EvaluationPeriods"]) == (3, 5)
    assert alarm["TreatMissingData"] == "notBreaching"  # errors are only emitted when they happen
    assert "ActionsEnabled" not in alarm or alarm["ActionsEnabled"] is not False

    (expression,) = [q for q in alarm["Metrics"] if "Expression" in q]
    assert expression.get("ReturnData", True) is True
    stats = [q for q in alarm["Metrics"] if "MetricStat" in q]
    for query in stats:
        assert query["ReturnData"] is False
        assert query["Id"] in expression["Expression"]
        assert query["MetricStat"]["Period"] == 60
        assert query["MetricStat"]["Stat"] == "Sum"
        assert query["MetricStat"]["Metric"]["Namespace"] == contract.METRICS_NAMESPACE
    assert expression["Expression"].startswith("SUM(")


def test_the_alarm_watches_every_function_under_the_service_name_it_emits_with(synth: Synth) -> None:
    """A fixed dimension (alarms cannot SEARCH) that drifted from the functions' POWERTOOLS_SERVICE_NAME
    would watch a metric nobody emits: the alarm would stay OK through any outage."""
    alarm = cache_error_alarm(synth)
    watched = set()
    for query in alarm["Metrics"]:
        if "MetricStat" in query:
            dimensions = query["MetricStat"]["Metric"]["Dimensions"]
            assert [d["Name"] for d in dimensions] == [contract.METRIC_SERVICE_DIMENSION]
            watched.add(dimensions[0]["Value"])
    services = function_services(synth)
    assert services == {
        contract.service_name(name) for name in c.FUNCTION_NAMES
    }  # submit, status and render all use the cache
    assert watched == services
