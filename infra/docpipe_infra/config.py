"""Deployment settings read from CDK context, validated once, then passed to constructs as keywords.

Values arrive either as JSON from ``cdk.json``/``CDK_CONTEXT_JSON`` (typed) or as strings from
``cdk synth -c key=value``; the parsers below accept both so that the two spellings give one template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_logs as logs
from constructs import Node

from docpipe_infra import constants as c

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
_ARCHITECTURES = frozenset({"arm64", "x86_64"})
# CloudWatch Logs accepts only these retention periods (days).
_LOG_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
}


class ConfigError(ValueError):
    """A context value is malformed; synth stops with the key's name instead of deploying nonsense."""


@dataclass(frozen=True, kw_only=True)
class DeployConfig:
    """Everything that differs between deployments. Defaults are in ``constants``."""

    stack_name: str = c.DEFAULT_STACK_NAME
    prod: bool = False
    bundle: bool = True
    retention_days: int = c.DEFAULT_RETENTION_DAYS
    log_retention_days: int = c.DEFAULT_LOG_RETENTION_DAYS
    render_arch: str = c.DEFAULT_RENDER_ARCH
    render_max_concurrency: int = c.DEFAULT_RENDER_MAX_CONCURRENCY
    render_reserved_concurrency: int | None = None
    api_rate_limit: float = c.DEFAULT_API_RATE_LIMIT
    api_burst_limit: int = c.DEFAULT_API_BURST_LIMIT
    cors_origins: tuple[str, ...] = ()
    # Off by default: an X-Ray interface endpoint costs ~$14.60/month (2 AZs x $0.01/h) plus $0.01/GB,
    # more than the rest of an idle stack. Tracing stays on either way; without the endpoint traces
    # hold only the segments Lambda and API Gateway send themselves (network.py).
    xray_endpoint: bool = False

    def __post_init__(self) -> None:
        _check(self.retention_days >= 1, c.CTX_RETENTION_DAYS, "must be at least 1 day")
        _check(
            self.log_retention_days in _LOG_RETENTION,
            c.CTX_LOG_RETENTION_DAYS,
            f"must be one of {sorted(_LOG_RETENTION)}",
        )
        _check(
            self.render_arch in _ARCHITECTURES, c.CTX_RENDER_ARCH, f"must be one of {sorted(_ARCHITECTURES)}"
        )
        # ScalingConfig.MaximumConcurrency accepts 2..1000.
        _check(2 <= self.render_max_concurrency <= 1000, c.CTX_RENDER_MAX_CONCURRENCY, "must be 2..1000")
        reserved = self.render_reserved_concurrency
        # Reserved concurrency below the poller's fan-out throttles invocations; throttled messages
        # still count receives and would reach the DLQ after MAX_RECEIVES without ever rendering.
        _check(
            reserved is None or reserved >= self.render_max_concurrency,
            c.CTX_RENDER_RESERVED_CONCURRENCY,
            f"must be unset or >= {c.CTX_RENDER_MAX_CONCURRENCY} ({self.render_max_concurrency})",
        )
        _check(self.api_rate_limit > 0, c.CTX_API_RATE_LIMIT, "must be positive")
        _check(self.api_burst_limit >= 1, c.CTX_API_BURST_LIMIT, "must be at least 1")

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _LOG_RETENTION[self.log_retention_days]

    @classmethod
    def from_node(cls, node: Node) -> DeployConfig:
        """Read every ``docpipe:*`` context key from the app's construct node."""
        prod = _as_bool(node.try_get_context(c.CTX_PROD), c.CTX_PROD, default=False)
        default_log_days = c.DEFAULT_PROD_LOG_RETENTION_DAYS if prod else c.DEFAULT_LOG_RETENTION_DAYS
        reserved = node.try_get_context(c.CTX_RENDER_RESERVED_CONCURRENCY)
        return cls(
            stack_name=str(node.try_get_context(c.CTX_STACK_NAME) or c.DEFAULT_STACK_NAME),
            prod=prod,
            bundle=_as_bool(node.try_get_context(c.CTX_BUNDLE), c.CTX_BUNDLE, default=True),
            retention_days=_as_int(node, c.CTX_RETENTION_DAYS, c.DEFAULT_RETENTION_DAYS),
            log_retention_days=_as_int(node, c.CTX_LOG_RETENTION_DAYS, default_log_days),
            render_arch=str(node.try_get_context(c.CTX_RENDER_ARCH) or c.DEFAULT_RENDER_ARCH),
            render_max_concurrency=_as_int(
                node, c.CTX_RENDER_MAX_CONCURRENCY, c.DEFAULT_RENDER_MAX_CONCURRENCY
            ),
            render_reserved_concurrency=None
            if _is_unset(reserved)
            else _as_int(node, c.CTX_RENDER_RESERVED_CONCURRENCY, 0),
            api_rate_limit=_as_float(node, c.CTX_API_RATE_LIMIT, c.DEFAULT_API_RATE_LIMIT),
            api_burst_limit=_as_int(node, c.CTX_API_BURST_LIMIT, c.DEFAULT_API_BURST_LIMIT),
            cors_origins=_as_list(node.try_get_context(c.CTX_CORS_ORIGINS)),
            xray_endpoint=_as_bool(
                node.try_get_context(c.CTX_XRAY_ENDPOINT), c.CTX_XRAY_ENDPOINT, default=False
            ),
        )


def _check(ok: bool, key: str, message: str) -> None:
    if not ok:
        raise ConfigError(f"context {key} {message}")


def _is_unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in {"", "none", "null"})


def _as_bool(value: Any, key: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigError(f"context {key} must be true or false, got {value!r}")


def _as_int(node: Node, key: str, default: int) -> int:
    value = node.try_get_context(key)
    if _is_unset(value):
        return default
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"context {key} must be an integer, got {value!r}") from None


def _as_float(node: Node, key: str, default: float) -> float:
    value = node.try_get_context(key)
    if _is_unset(value):
        return default
    try:
        return float(str(value).strip())
    except ValueError:
        raise ConfigError(f"context {key} must be a number, got {value!r}") from None


def _as_list(value: Any) -> tuple[str, ...]:
    """A JSON list from cdk.json, or a comma-separated string from `-c`."""
    if _is_unset(value):
        return ()
    items = value if isinstance(value, list) else str(value).split(",")
    return tuple(str(item).strip() for item in items if str(item).strip())
