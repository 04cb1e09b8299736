"""cdk-nag 3 wiring: the AwsSolutions pack runs on every synth, and each accepted finding is
acknowledged here, on the narrowest construct, with its reason.

cdk-nag 3 plugs into CDK's policy validation (``Validations.of(app).add_plugins``): any finding that
is not acknowledged makes ``app.synth()`` fail. IAM5 findings carry the offending action or resource
in their id (``AwsSolutions-IAM5[Resource::*]``), so each one is acknowledged on its own.
"""

from __future__ import annotations

from typing import cast

from aws_cdk import Acknowledgment, App, CfnElement, Stack, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct

PACK = "AwsSolutions"


def add_checks(app: App) -> None:
    """Run the AwsSolutions rules during synthesis; findings fail the synth."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept one finding on ``scope`` and everything below it.

    Every acknowledgment in the app goes through here, so the tests can switch them all off and check
    that each one still matches a real finding.
    """
    if not reason.strip():
        raise ValueError(f"acknowledgment of {finding} needs a reason")
    Validations.of(scope).acknowledge(Acknowledgment(id=finding, reason=reason))


def iam5_resource(resource: str) -> str:
    """The finding id of one wildcard resource, e.g. ``<DocumentsBucket.Arn>/requests/*``."""
    return f"AwsSolutions-IAM5[Resource::{resource}]"


def arn_of(scope: IConstruct) -> str:
    """How cdk-nag spells ``Fn::GetAtt [<logical id>, Arn]`` of a resource's default child."""
    child = scope.node.default_child
    if child is None:
        raise ValueError(f"{scope.node.path} has no CloudFormation resource")
    return f"<{Stack.of(scope).get_logical_id(cast(CfnElement, child))}.Arn>"
