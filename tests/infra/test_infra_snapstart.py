"""SnapStart (docpipe:snapStart): the ZIP functions restore from a snapshot of a published version, so
API Gateway must invoke a version, through the `live` alias; never the render function (a container
image fed by SQS). Off, the template is what it was before: the API invokes the functions' $LATEST."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match
from docpipe_infra.config import ConfigError, DeployConfig
from infra_support import Synth, c, synthesize

ZIP_FUNCTIONS = (c.SUBMIT, c.STATUS)


@pytest.fixture(scope="module")
def off(tmp_path_factory: pytest.TempPathFactory) -> Synth:
    """`cdk synth -c docpipe:snapStart=false`."""
    return synthesize(tmp_path_factory.mktemp("cdk-snapstart-off"), {c.CTX_SNAP_START: "false"})


def function_id(name: str) -> str:
    return c.FUNCTION_LOGICAL_IDS[name]


def aliases(synth: Synth) -> dict[str, tuple[str, dict[str, Any]]]:
    """Function logical id -> (alias logical id, alias properties)."""
    return {
        alias["Properties"]["FunctionName"]["Ref"]: (logical_id, alias["Properties"])
        for logical_id, alias in synth.resources("AWS::Lambda::Alias").items()
    }


def integration_targets(synth: Synth) -> list[dict[str, Any]]:
    """What each API method's Lambda proxy integration URI names (the part that is not a pseudo ref)."""
    targets = []
    for method in synth.resources("AWS::ApiGateway::Method").values():
        parts = method["Properties"]["Integration"]["Uri"]["Fn::Join"][1]
        targets += [
            part
            for part in parts
            if isinstance(part, dict) and not str(part.get("Ref", "")).startswith("AWS::")
        ]
    return targets


def invoke_permissions(synth: Synth) -> list[dict[str, Any]]:
    return [
        permission["Properties"]
        for permission in synth.resources("AWS::Lambda::Permission").values()
        if permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    ]


# --- on (the default) ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ZIP_FUNCTIONS)
def test_zip_functions_snapshot_their_published_versions(synth: Synth, name: str) -> None:
    function = synth.template_json["Resources"][function_id(name)]["Properties"]
    assert function["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    # Within SnapStart's documented limits: a supported runtime, no EFS, no more than 512 MB of /tmp.
    assert function["Runtime"] == "python3.12"
    assert "FileSystemConfigs" not in function
    assert function.get("EphemeralStorage", {"Size": 512})["Size"] <= 512


@pytest.mark.parametrize("name", ZIP_FUNCTIONS)
def test_each_zip_function_publishes_a_version_behind_the_live_alias(synth: Synth, name: str) -> None:
    versions = {
        logical_id: version
        for logical_id, version in synth.resources("AWS::Lambda::Version").items()
        if version["Properties"]["FunctionName"] == {"Ref": function_id(name)}
    }
    ((version_id, version),) = versions.items()
    # A replaced version is deleted, not kept (and billed for its snapshot) forever.
    assert version.get("DeletionPolicy", "Delete") == "Delete"
    assert version.get("UpdateReplacePolicy", "Delete") == "Delete"
    _, alias = aliases(synth)[function_id(name)]
    assert alias["Name"] == c.LIVE_ALIAS
    assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    # Provisioned concurrency and SnapStart exclude each other.
    assert "ProvisionedConcurrencyConfig" not in alias


def test_every_integration_invokes_an_alias_never_latest(synth: Synth) -> None:
    alias_ids = {alias_id for alias_id, _ in aliases(synth).values()}
    targets = integration_targets(synth)
    assert len(targets) == len(c.ROUTES)
    for target in targets:
        assert "Fn::GetAtt" not in target, f"an integration invokes an unqualified function: {target}"
        assert target["Ref"] in alias_ids
    assert {target["Ref"] for target in targets} == alias_ids


def test_api_gateway_may_invoke_the_aliases_and_nothing_else(synth: Synth) -> None:
    alias_ids = {alias_id for alias_id, _ in aliases(synth).values()}
    permissions = invoke_permissions(synth)
    assert len(permissions) == len(c.ROUTES)  # one per method, scoped to its method and path
    for permission in permissions:
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["FunctionName"]["Ref"] in alias_ids
    assert {permission["FunctionName"]["Ref"] for permission in permissions} == alias_ids


def test_the_publish_warning_is_answered(synth: Synth) -> None:
    """CDK warns that SnapStart needs published versions; the alias publishes one."""
    warnings = Annotations.from_stack(synth.stack).find_warning("*", Match.string_like_regexp("SnapStart"))
    assert warnings == []


# --- render: never -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["synth", "off"])
def test_the_render_image_never_snapshots(request: pytest.FixtureRequest, variant: str) -> None:
    synth: Synth = request.getfixturevalue(variant)
    render = function_id(c.RENDER)
    assert "SnapStart" not in synth.template_json["Resources"][render]["Properties"]
    assert render not in aliases(synth)
    assert all(
        version["Properties"]["FunctionName"] != {"Ref": render}
        for version in synth.resources("AWS::Lambda::Version").values()
    )


# --- off ------------------------------------------------------------------------------------------------


def test_off_no_snapshot_no_version_no_alias(off: Synth) -> None:
    for logical_id, function in off.resources("AWS::Lambda::Function").items():
        assert "SnapStart" not in function["Properties"], logical_id
    assert off.resources("AWS::Lambda::Version") == {}
    assert off.resources("AWS::Lambda::Alias") == {}


def test_off_the_api_invokes_the_functions(off: Synth) -> None:
    zip_ids = {function_id(name) for name in ZIP_FUNCTIONS}
    targets = integration_targets(off)
    assert len(targets) == len(c.ROUTES)
    assert {target["Fn::GetAtt"][0] for target in targets} == zip_ids
    permissions = invoke_permissions(off)
    assert {permission["FunctionName"]["Fn::GetAtt"][0] for permission in permissions} == zip_ids


# --- the flag -------------------------------------------------------------------------------------------


def test_the_flag_is_on_by_default_and_read_like_the_others() -> None:
    assert DeployConfig().snap_start is c.DEFAULT_SNAP_START is True
    assert DeployConfig.from_context({c.CTX_SNAP_START: "false"}).snap_start is False
    assert DeployConfig.from_context({c.CTX_SNAP_START: False}).snap_start is False
    with pytest.raises(ConfigError, match=c.CTX_SNAP_START):
        DeployConfig.from_context({c.CTX_SNAP_START: "sometimes"})
