"""Deployment settings read from CDK context, validated once, then passed to constructs as keywords.

Values arrive either as JSON from ``cdk.json``/``CDK_CONTEXT_JSON`` (typed) or as strings from
``cdk synth -c key=value``; the model accepts both, so the two spellings give one template. Each
field's alias is its context key, and errors name that key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from aws_cdk import aws_logs as logs
from constructs import Node
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from docpipe import contract
from docpipe_infra import constants as c

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})
_UNSET = frozenset({"", "none", "null"})
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


def _is_unset(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in _UNSET)


def _flag(value: Any) -> Any:
    """``true``/``false`` and the usual spellings of them, as `-c key=value` passes them."""
    if isinstance(value, bool) or not isinstance(value, str):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError("must be true or false")


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _origins(value: Any) -> Any:
    """A JSON list from cdk.json, or a comma-separated string from `-c`."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        return items
    return tuple(str(item).strip() for item in items if str(item).strip())


Flag = Annotated[bool, BeforeValidator(_flag)]
Number = Annotated[int, BeforeValidator(_stripped)]
Rate = Annotated[float, BeforeValidator(_stripped)]
_FLAG: TypeAdapter[bool] = TypeAdapter(Flag)


def _default_log_retention_days(*, prod: bool) -> int:
    return c.DEFAULT_PROD_LOG_RETENTION_DAYS if prod else c.DEFAULT_LOG_RETENTION_DAYS


class DeployConfig(BaseModel):
    """Everything that differs between deployments. Defaults are in ``constants`` and ``contract``."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True)

    # CloudFormation's rule for stack names.
    stack_name: str = Field(
        default=c.DEFAULT_STACK_NAME, alias=c.CTX_STACK_NAME, pattern=r"^[A-Za-z][A-Za-z0-9-]{0,127}$"
    )
    prod: Flag = Field(default=False, alias=c.CTX_PROD)
    bundle: Flag = Field(default=True, alias=c.CTX_BUNDLE)
    retention_days: Number = Field(default=contract.RETENTION_DAYS, alias=c.CTX_RETENTION_DAYS, ge=1)
    # The default is longer in prod: _log_retention_follows_prod.
    log_retention_days: Number = Field(default=c.DEFAULT_LOG_RETENTION_DAYS, alias=c.CTX_LOG_RETENTION_DAYS)
    render_arch: Literal["arm64", "x86_64"] = Field(default=c.DEFAULT_RENDER_ARCH, alias=c.CTX_RENDER_ARCH)
    # ScalingConfig.MaximumConcurrency accepts 2..1000.
    render_max_concurrency: Number = Field(
        default=c.DEFAULT_RENDER_MAX_CONCURRENCY, alias=c.CTX_RENDER_MAX_CONCURRENCY, ge=2, le=1000
    )
    render_reserved_concurrency: Number | None = Field(default=None, alias=c.CTX_RENDER_RESERVED_CONCURRENCY)
    api_rate_limit: Rate = Field(default=c.DEFAULT_API_RATE_LIMIT, alias=c.CTX_API_RATE_LIMIT, gt=0)
    api_burst_limit: Number = Field(default=c.DEFAULT_API_BURST_LIMIT, alias=c.CTX_API_BURST_LIMIT, ge=1)
    cors_origins: Annotated[tuple[str, ...], BeforeValidator(_origins)] = Field(
        default=(), alias=c.CTX_CORS_ORIGINS
    )
    # Off by default: an X-Ray interface endpoint costs ~$14.60/month (2 AZs x $0.01/h) plus $0.01/GB,
    # more than the rest of an idle stack. Tracing stays on either way; without the endpoint traces
    # hold only the segments Lambda and API Gateway send themselves (network.py).
    xray_endpoint: Flag = Field(default=False, alias=c.CTX_XRAY_ENDPOINT)
    # SnapStart for submit and status: their versions are published and API Gateway calls the `live`
    # alias. Caching two 256 MB snapshots costs ~$2/month plus $0.000035 per cold start
    # (docs/performance.md); off, the API calls the functions' $LATEST as before.
    snap_start: Flag = Field(default=c.DEFAULT_SNAP_START, alias=c.CTX_SNAP_START)

    @model_validator(mode="before")
    @classmethod
    def _log_retention_follows_prod(cls, data: Any) -> Any:
        """Production keeps its logs longer unless told otherwise."""
        if not isinstance(data, dict) or c.CTX_LOG_RETENTION_DAYS in data or "log_retention_days" in data:
            return data
        try:
            prod = _FLAG.validate_python(data.get(c.CTX_PROD, data.get("prod", False)))
        except ValidationError:
            return data  # reported as the error of docpipe:prod
        return {**data, c.CTX_LOG_RETENTION_DAYS: _default_log_retention_days(prod=prod)}

    @field_validator("log_retention_days")
    @classmethod
    def _cloudwatch_retention(cls, value: int) -> int:
        if value not in _LOG_RETENTION:
            raise ValueError(f"must be one of {sorted(_LOG_RETENTION)}")
        return value

    @field_validator("render_reserved_concurrency")
    @classmethod
    def _reserve_at_least_the_fan_out(cls, value: int | None, info: ValidationInfo) -> int | None:
        # Reserved concurrency below the poller's fan-out throttles invocations; throttled messages
        # still count receives and would reach the DLQ after MAX_RECEIVES without ever rendering.
        fan_out = info.data.get("render_max_concurrency")
        if value is not None and fan_out is not None and value < fan_out:
            raise ValueError(f"must be unset or >= {c.CTX_RENDER_MAX_CONCURRENCY} ({fan_out})")
        return value

    @property
    def log_retention(self) -> logs.RetentionDays:
        return _LOG_RETENTION[self.log_retention_days]

    @classmethod
    def from_context(cls, context: Mapping[str, Any]) -> DeployConfig:
        """Validate context values by key; unset values (absent, empty, ``null``) take the default."""
        values = {key: value for key, value in context.items() if not _is_unset(value)}
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            raise ConfigError("; ".join(_describe(error) for error in exc.errors())) from None

    @classmethod
    def from_node(cls, node: Node) -> DeployConfig:
        """Read every ``docpipe:*`` context key from the app's construct node."""
        keys = [field.alias for field in cls.model_fields.values() if field.alias]
        return cls.from_context({key: node.try_get_context(key) for key in keys})


def _describe(error: Any) -> str:
    """One validation error as ``context <key>: <what is wrong> (got <value>)``."""
    key = ".".join(str(part) for part in error["loc"])
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"context {key}: {message} (got {error['input']!r})"
