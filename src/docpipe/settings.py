"""Configuration of the functions and the local stack: environment variables, checked at cold start.

Each field is read from ``DOCPIPE_<FIELD>`` (``contract.ENV_PREFIX``, in any case), or from the names
its ``validation_alias`` lists; list fields are JSON. The defaults are the ones the default deployment
sets (``docpipe.contract``), and the infra tests check that every variable the template sets is a field
here and that every required field is set.

Plain pydantic models over ``os.environ``, not pydantic-settings: that library's import (its source
providers, dotenv, asyncio) cost every cold start and every CLI run ~25-50 ms for the few lines below.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any, Self, get_origin

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo

from docpipe import contract


def environment_names(name: str, field: FieldInfo) -> tuple[str, ...]:
    """The environment variables a field is read from, first found wins (upper case)."""
    alias = field.validation_alias
    if isinstance(alias, AliasChoices):
        return tuple(choice.upper() for choice in alias.choices if isinstance(choice, str))
    if isinstance(alias, str):
        return (alias.upper(),)
    return (f"{contract.ENV_PREFIX}{name}".upper(),)


def _from_environment(model: type[BaseModel]) -> dict[str, Any]:
    variables = {key.upper(): value for key, value in os.environ.items()}
    values: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        found = next((variables[env] for env in environment_names(name, field) if env in variables), None)
        if found is None:
            continue
        structured = get_origin(field.annotation) in (list, dict)
        values[name] = _json(name, found) if structured else found
    return values


def _json(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        raise ValueError(f"{name}: not JSON: {text[:80]!r}") from None


class _FromEnvironment(BaseModel):
    """A model read from the environment (:meth:`from_environment`)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    @classmethod
    def from_environment(cls) -> Self:
        return cls.model_validate(_from_environment(cls))


class FormatSettings(_FromEnvironment):
    """Where precompiled TeX formats live: all that rendering alone (the CLI, `make setup`) reads."""

    format_dir: str = ""
    """The render image bakes its formats into a read-only directory and points this at it; empty
    means the user's cache directory (``formats.default_directory``)."""


class Settings(FormatSettings):
    """Everything the functions and the local stack read."""

    bucket: str = Field(min_length=3)
    jobs_table: str = Field(min_length=1)
    queue_url: str = Field(min_length=1)
    redis_url: str = ""
    """``rediss://host:port/0`` in AWS (TLS); empty runs without a cache."""
    presign_seconds: int = Field(default=contract.PRESIGN_SECONDS, ge=60, le=7 * 24 * 3600)
    retention_days: int = Field(default=contract.RETENTION_DAYS, ge=1, le=3650)
    max_receives: int = Field(default=contract.MAX_RECEIVES, ge=1, le=1000)
    """Equals the DLQ's maxReceiveCount: on this receive a failing job is marked failed."""
    render_timeout_seconds: float = Field(default=contract.RENDER_TIMEOUT_SECONDS, gt=0, le=600)
    max_backlog: int = Field(default=contract.MAX_BACKLOG, ge=1)
    """Submit answers 503 + Retry-After once this many jobs wait in the queue."""
    max_tenant_backlog: int = Field(
        default=contract.MAX_TENANT_BACKLOG, ge=1, le=contract.MAX_TENANT_BACKLOG_CEILING
    )
    """Submit answers 429 + Retry-After to a tenant with this many jobs on their way (queued or
    rendering); at most ``max_backlog``, so one tenant alone cannot fill the shared backlog."""
    cache_ttl_seconds: int = Field(default=contract.CACHE_TTL_SECONDS, ge=1)
    stale_after_seconds: int = Field(default=contract.STALE_AFTER_SECONDS, ge=0)
    """A job still queued/rendering this long after its last change has been lost (its message
    failed to send, or every attempt crashed before it could record the failure): it is marked
    failed when next looked at. Derived from the queue: ``contract.stale_after_seconds``."""
    aws_endpoint_url: str = ""
    """Only for the local stack (moto); empty in AWS."""
    aws_region: str = Field(min_length=1, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    """The region the code runs in, as Lambda (AWS_REGION) or the local stack sets it: never a default,
    so clients and presigned links always speak to the region the stack was deployed to."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the API (a JSON list); empty answers no CORS at all."""

    @model_validator(mode="after")
    def _tenant_share_fits_the_backlog(self) -> Self:
        if self.max_tenant_backlog > self.max_backlog:
            tenant, shared = contract.ENV_MAX_TENANT_BACKLOG, contract.ENV_MAX_BACKLOG
            raise ValueError(
                f"{tenant} ({self.max_tenant_backlog}) may not exceed {shared} ({self.max_backlog})"
            )
        return self


@cache
def get_settings() -> Settings:
    return Settings.from_environment()
