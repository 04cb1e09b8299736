"""The template and the application agree (docpipe.contract): every variable a function is given is one
it reads, every setting it needs is given, the application's defaults are what the default deployment
sets, and the routes API Gateway sends to a function are the ones its FastAPI router serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from docpipe_infra import constants as c
from fastapi.routing import APIRoute
from infra_support import Synth
from lambda_sandbox import dockerfile_env
from pydantic import AliasPath
from pydantic.fields import FieldInfo

from docpipe import contract, formats
from docpipe.api import status_router, submit_router
from docpipe.settings import Settings, environment_names

# Lambda itself sets these in every execution environment; a template may not (they are reserved).
LAMBDA_SETS = frozenset({"AWS_REGION", "AWS_DEFAULT_REGION"})
# What a reference to a deployed resource ({"Ref": ...}, {"Fn::GetAtt": ...}) stands for here.
RESOLVED = "resolved-reference"
VARIANTS = ["synth", "prod_synth"]


def env_names(name: str, field: FieldInfo) -> set[str]:
    """The environment variables a field is read from (case is ignored)."""
    assert not isinstance(field.validation_alias, AliasPath), f"{name}: an alias path is not a variable"
    return set(environment_names(name, field))


SETTINGS_ENV = {env: name for name, field in Settings.model_fields.items() for env in env_names(name, field)}


def environment(synth: Synth, function: str) -> dict[str, Any]:
    resource = synth.template_json["Resources"][c.FUNCTION_LOGICAL_IDS[function]]
    variables: dict[str, Any] = resource["Properties"]["Environment"]["Variables"]
    return variables


def settings_from(monkeypatch: pytest.MonkeyPatch, variables: dict[str, Any]) -> Settings:
    """Settings as the function would load them from ``variables`` (references stand for a resource)."""
    for name in SETTINGS_ENV:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_REGION": "eu-west-1", **variables}.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else RESOLVED)
    return Settings.from_environment()


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("function", c.FUNCTION_NAMES)
def test_every_variable_the_template_sets_is_read(
    request: pytest.FixtureRequest, variant: str, function: str
) -> None:
    """A variable no setting reads is a typo or a leftover: the function silently runs on a default."""
    variables = environment(request.getfixturevalue(variant), function)
    unread = sorted(
        set(variables) - SETTINGS_ENV.keys() - contract.POWERTOOLS_ENV - contract.RUNTIME_ENV.keys()
    )
    assert not unread, f"{function} is given variables that no Settings field reads: {unread}"
    assert not set(variables) & LAMBDA_SETS, "Lambda reserves these; a template may not set them"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("function", c.FUNCTION_NAMES)
def test_every_required_setting_is_set(request: pytest.FixtureRequest, variant: str, function: str) -> None:
    """Every function loads Settings at cold start (functions/*/handler.py): a required field missing
    from its environment would fail every cold start."""
    available = set(environment(request.getfixturevalue(variant), function)) | LAMBDA_SETS
    missing = sorted(
        name
        for name, field in Settings.model_fields.items()
        if field.is_required() and not env_names(name, field) & available
    )
    assert not missing, f"{function} is not given the required settings {missing}"


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("function", c.FUNCTION_NAMES)
def test_the_template_values_are_valid_settings(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, variant: str, function: str
) -> None:
    settings = settings_from(monkeypatch, environment(request.getfixturevalue(variant), function))
    assert settings.max_receives == contract.MAX_RECEIVES  # the queue's maxReceiveCount


@pytest.mark.parametrize("function", c.FUNCTION_NAMES)
def test_the_application_defaults_are_what_the_default_deployment_sets(
    synth: Synth, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    """The local stack, the CLI and the tests run on the defaults; they must behave as AWS does (the
    stale-job threshold, say, is derived from the queue: contract.stale_after_seconds)."""
    variables = environment(synth, function)
    deployed = settings_from(monkeypatch, variables).model_dump()
    references = {name: value for name, value in variables.items() if not isinstance(value, str)}
    defaults = settings_from(monkeypatch, references).model_dump()
    # Only the render image has baked formats; elsewhere they live in the user's cache.
    image_only = {"format_dir"}
    differ = {
        name: (defaults[name], deployed[name])
        for name in deployed
        if name not in image_only and deployed[name] != defaults[name]
    }
    assert not differ, f"(default, deployed) differ: {differ}"


def test_the_render_function_reads_formats_where_the_image_bakes_them(
    synth: Synth, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = dockerfile_env()
    assert image[contract.ENV_FORMAT_DIR] == contract.IMAGE_FORMAT_DIR
    assert environment(synth, c.RENDER)[contract.ENV_FORMAT_DIR] == contract.IMAGE_FORMAT_DIR
    monkeypatch.setenv(contract.ENV_FORMAT_DIR, image[contract.ENV_FORMAT_DIR])
    assert formats.default_directory() == Path(contract.IMAGE_FORMAT_DIR)


@pytest.mark.parametrize(
    ("function", "router"), [(c.SUBMIT, submit_router), (c.STATUS, status_router)], ids=[c.SUBMIT, c.STATUS]
)
def test_api_gateway_sends_each_function_the_routes_it_serves(function: str, router: Any) -> None:
    served = {
        (method, route.path)
        for route in router().routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    assert {(method, path) for method, path, target in c.ROUTES if target == function} == served
