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
    assert FormatSettings().format_dir == str(tmp_path / "baked")
    assert formats.default_directory() == tmp_path / "baked"


def test_without_the_setting_formats_live_in_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(contract.ENV_FORMAT_DIR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert formats.default_directory() == tmp_path / "docpipe" / "formats"
    monkeypatch.setenv(contract.ENV_FORMAT_DIR, "")  # empty means unset
    assert formats.default_directory() == tmp_path / "docpipe" / "formats"
