"""Context keys: typed values from cdk.json and strings from `-c key=value` mean the same thing."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import App
from docpipe_infra import constants as c
from docpipe_infra.config import ConfigError, DeployConfig


def config_from(context: dict[str, Any]) -> DeployConfig:
    return DeployConfig.from_node(App(context=context).node)


def test_defaults() -> None:
    config = config_from({})
    assert config == DeployConfig()
    assert config.bundle is True
    assert config.prod is False
    assert config.retention_days == 7
    assert config.log_retention_days == c.DEFAULT_LOG_RETENTION_DAYS
    assert config.render_reserved_concurrency is None
    assert config.cors_origins == ()
    # ~$14.60/month for an interface endpoint in 2 AZs: opt-in (traces keep Lambda's own segments).
    assert config.xray_endpoint is False


def test_strings_from_the_command_line() -> None:
    config = config_from(
        {
            c.CTX_PROD: "true",
            c.CTX_BUNDLE: "false",
            c.CTX_RETENTION_DAYS: "3",
            c.CTX_RENDER_MAX_CONCURRENCY: "4",
            c.CTX_RENDER_RESERVED_CONCURRENCY: "8",
            c.CTX_API_RATE_LIMIT: "2.5",
            c.CTX_API_BURST_LIMIT: "40",
            c.CTX_CORS_ORIGINS: "https://a.example, https://b.example",
            c.CTX_RENDER_ARCH: "x86_64",
            c.CTX_XRAY_ENDPOINT: "true",
        }
    )
    assert config.prod is True
    assert config.bundle is False
    assert config.retention_days == 3
    assert config.log_retention_days == c.DEFAULT_PROD_LOG_RETENTION_DAYS
    assert (config.render_max_concurrency, config.render_reserved_concurrency) == (4, 8)
    assert (config.api_rate_limit, config.api_burst_limit) == (2.5, 40)
    assert config.cors_origins == ("https://a.example", "https://b.example")
    assert config.render_arch == "x86_64"
    assert config.xray_endpoint is True


def test_json_values_from_cdk_json() -> None:
    config = config_from(
        {
            c.CTX_PROD: True,
            c.CTX_CORS_ORIGINS: ["https://a.example"],
            c.CTX_LOG_RETENTION_DAYS: 30,
            c.CTX_XRAY_ENDPOINT: True,
        }
    )
    assert config.prod is True
    assert config.xray_endpoint is True
    assert config.cors_origins == ("https://a.example",)
    assert config.log_retention_days == 30


@pytest.mark.parametrize(
    "context",
    [
        {c.CTX_PROD: "maybe"},
        {c.CTX_RETENTION_DAYS: "0"},
        {c.CTX_RETENTION_DAYS: "seven"},
        {c.CTX_LOG_RETENTION_DAYS: "8"},  # CloudWatch has no 8-day retention
        {c.CTX_RENDER_ARCH: "s390x"},
        {c.CTX_RENDER_MAX_CONCURRENCY: "1"},
        # reserving fewer than the poller may run throttles messages into the DLQ
        {c.CTX_RENDER_MAX_CONCURRENCY: "10", c.CTX_RENDER_RESERVED_CONCURRENCY: "5"},
        {c.CTX_API_BURST_LIMIT: "0"},
        {c.CTX_XRAY_ENDPOINT: "sometimes"},
    ],
)
def test_invalid_values_stop_the_synth(context: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match="docpipe:"):
        config_from(context)


def test_an_error_names_the_key_what_is_wrong_and_the_value() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from({c.CTX_RENDER_MAX_CONCURRENCY: "10", c.CTX_RENDER_RESERVED_CONCURRENCY: "5"})
    assert str(raised.value) == (
        f"context {c.CTX_RENDER_RESERVED_CONCURRENCY}: must be unset or >= "
        f"{c.CTX_RENDER_MAX_CONCURRENCY} (10) (got '5')"
    )


def test_every_malformed_key_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        config_from({c.CTX_PROD: "maybe", c.CTX_RETENTION_DAYS: "seven", c.CTX_STACK_NAME: "my stack"})
    for key in (c.CTX_PROD, c.CTX_RETENTION_DAYS, c.CTX_STACK_NAME):
        assert f"context {key}:" in str(raised.value)


@pytest.mark.parametrize("unset", ["", " ", "null", "None"])
def test_an_empty_value_means_the_default(unset: str) -> None:
    config = config_from({c.CTX_RETENTION_DAYS: unset, c.CTX_RENDER_RESERVED_CONCURRENCY: unset})
    assert (config.retention_days, config.render_reserved_concurrency) == (7, None)


def test_an_explicit_log_retention_wins_over_the_prod_default() -> None:
    assert config_from({c.CTX_PROD: "true", c.CTX_LOG_RETENTION_DAYS: "30"}).log_retention_days == 30
