"""Settings read what docpipe.contract names, and formats find their directory through them."""

from __future__ import annotations

from pathlib import Path

import pytest

from docpipe import contract, formats
from docpipe.settings import FormatSettings, Settings


def test_every_docpipe_variable_the_contract_names_is_a_setting() -> None:
    names = {
        value
        for key, value in vars(contract).items()
        if key.startswith("ENV_") and key != "ENV_PREFIX" and value.startswith(contract.ENV_PREFIX)
    }
    fields = {f"{contract.ENV_PREFIX}{name}".upper() for name in Settings.model_fields}
    assert names
    assert names <= fields, names - fields


def test_the_stale_job_threshold_outlasts_every_receive() -> None:
    default = Settings.model_fields["stale_after_seconds"].default
    assert default == contract.stale_after_seconds(contract.VISIBILITY_TIMEOUT_SECONDS, contract.MAX_RECEIVES)
    assert default > contract.VISIBILITY_TIMEOUT_SECONDS * contract.MAX_RECEIVES


def test_formats_live_where_the_setting_says(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(contract.ENV_FORMAT_DIR, str(tmp_path / "baked"))
    assert FormatSettings.from_environment().format_dir == str(tmp_path / "baked")
    assert formats.default_directory() == tmp_path / "baked"


def test_without_the_setting_formats_live_in_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(contract.ENV_FORMAT_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert formats.default_directory() == tmp_path / "docpipe" / "formats"
    monkeypatch.setenv(contract.ENV_FORMAT_DIR, "")  # empty means unset
    assert formats.default_directory() == tmp_path / "docpipe" / "formats"


def _settings(monkeypatch: pytest.MonkeyPatch, **variables: str) -> Settings:
    for name, value in {
        contract.ENV_BUCKET: "docpipe-test",
        contract.ENV_JOBS_TABLE: "jobs",
        contract.ENV_QUEUE_URL: "http://queue",
        "AWS_REGION": "eu-west-1",
        **variables,
    }.items():
        monkeypatch.setenv(name, value)
    return Settings.from_environment()


def test_one_tenant_gets_a_share_of_the_backlog_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(contract.ENV_MAX_BACKLOG, raising=False)
    monkeypatch.delenv(contract.ENV_MAX_TENANT_BACKLOG, raising=False)
    settings = _settings(monkeypatch)
    assert settings.max_tenant_backlog == contract.MAX_TENANT_BACKLOG
    assert settings.max_tenant_backlog < settings.max_backlog


@pytest.mark.parametrize(
    ("tenant", "shared"),
    [("2001", "2000"), ("201", "200"), (str(contract.MAX_TENANT_BACKLOG_CEILING + 1), "10000000")],
)
def test_a_tenant_share_beyond_the_backlog_or_the_item_size_is_refused(
    monkeypatch: pytest.MonkeyPatch, tenant: str, shared: str
) -> None:
    with pytest.raises(ValueError, match=r"MAX_TENANT_BACKLOG|less than or equal"):
        _settings(monkeypatch, **{contract.ENV_MAX_TENANT_BACKLOG: tenant, contract.ENV_MAX_BACKLOG: shared})


def test_the_default_tenant_share_needs_a_backlog_at_least_as_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(contract.ENV_MAX_TENANT_BACKLOG, raising=False)
    with pytest.raises(ValueError, match=contract.ENV_MAX_BACKLOG):
        _settings(monkeypatch, **{contract.ENV_MAX_BACKLOG: "50"})
    assert _settings(monkeypatch, **{contract.ENV_MAX_BACKLOG: "50", contract.ENV_MAX_TENANT_BACKLOG: "50"})


def test_settings_read_the_environment_as_pydantic_settings_did(monkeypatch: pytest.MonkeyPatch) -> None:
    """Names in any case, the region from either of Lambda's variables, list fields as JSON."""
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-2")
    monkeypatch.setenv(contract.ENV_CORS_ORIGINS, '["https://a.example", "https://b.example"]')
    monkeypatch.delenv(contract.ENV_PRESIGN_SECONDS, raising=False)
    monkeypatch.setenv(contract.ENV_PRESIGN_SECONDS.lower(), "120")
    settings = _settings(monkeypatch)
    assert settings.aws_region == "eu-west-1"
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.presign_seconds == 120
    monkeypatch.delenv("AWS_REGION")
    assert Settings.from_environment().aws_region == "ap-south-2"


@pytest.mark.parametrize(
    ("variable", "value", "problem"),
    [
        (contract.ENV_CORS_ORIGINS, "https://a.example", "cors_origins: not JSON"),
        (contract.ENV_CORS_ORIGINS, '{"a": 1}', "cors_origins"),
        (contract.ENV_PRESIGN_SECONDS, "soon", "presign_seconds"),
        (contract.ENV_BUCKET, "b", "bucket"),
    ],
)
def test_a_bad_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        _settings(monkeypatch, **{variable: value})


def test_a_missing_required_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    _settings(monkeypatch)
    monkeypatch.delenv(contract.ENV_QUEUE_URL)
    with pytest.raises(ValueError, match="queue_url"):
        Settings.from_environment()
