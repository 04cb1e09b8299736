"""Configuration of the functions and the local stack: environment variables, checked at cold start."""

from __future__ import annotations

from functools import cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DOCPIPE_", extra="ignore", frozen=True, populate_by_name=True
    )

    bucket: str = Field(min_length=3)
    jobs_table: str = Field(min_length=1)
    queue_url: str = Field(min_length=1)
    redis_url: str = ""
    """``rediss://host:port/0`` in AWS (TLS); empty runs without a cache."""
    presign_seconds: int = Field(default=900, ge=60, le=7 * 24 * 3600)
    retention_days: int = Field(default=7, ge=1, le=3650)
    max_receives: int = Field(default=3, ge=1, le=1000)
    """Equals the DLQ's maxReceiveCount: on this receive a failing job is marked failed."""
    render_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    max_backlog: int = Field(default=2000, ge=1)
    """Submit answers 503 + Retry-After once this many jobs wait in the queue."""
    cache_ttl_seconds: int = Field(default=86_400, ge=1)
    stale_after_seconds: int = Field(default=1800, ge=0)
    """A job still queued/rendering this long after its last change has been lost (its message
    failed to send, or every attempt crashed before it could record the failure): it is marked
    failed when next looked at. Longer than the queue's visibility timeout x max receives."""
    format_dir: str = ""
    """Precompiled TeX formats (baked into the render image); empty uses a temp dir."""
    aws_endpoint_url: str = ""
    """Only for the local stack (moto); empty in AWS."""
    aws_region: str = Field(min_length=1, validation_alias=AliasChoices("AWS_REGION", "AWS_DEFAULT_REGION"))
    """The region the code runs in, as Lambda (AWS_REGION) or the local stack sets it: never a default,
    so clients and presigned links always speak to the region the stack was deployed to."""
    cors_origins: list[str] = Field(default_factory=list)
    """Browser origins allowed to call the API (a JSON list); empty answers no CORS at all."""
    local_tenant: str = "local"
    """Tenant for requests that carry no API key (the local stack)."""


@cache
def get_settings() -> Settings:
    return Settings()  # values come from the environment
