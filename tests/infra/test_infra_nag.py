"""cdk-nag's AwsSolutions pack runs on every synth; every acknowledgment must be needed and effective."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cdk_nag import AwsSolutionsChecks
from docpipe_infra import nag
from docpipe_infra.application import build_app
from infra_support import OFFLINE_CONTEXT, Synth

Finding = tuple[str, str]  # (construct path, finding id)


def test_no_unacknowledged_finding(synth: Synth) -> None:
    # The synth fixture itself would have failed; this also names what is wrong if it ever does.
    report = AwsSolutionsChecks().validate_scope(synth.stack)
    violations = [(v.rule_name, v.violating_resources) for v in report.violations]
    assert report.success, violations


@pytest.fixture(scope="module")
def without_acknowledgments(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Finding], list[Finding]]:
    """Synthesize with every acknowledgment switched off: (what would have been acknowledged, what the
    validation report then finds)."""
    recorded: list[Finding] = []

    def record(scope: object, finding: str, reason: str) -> None:
        assert len(reason) >= 40, f"{finding}: the reason must say why, not just that"
        recorded.append((scope.node.path, finding))  # type: ignore[attr-defined]

    outdir = tmp_path_factory.mktemp("cdk-no-acks")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(nag, "acknowledge", record)
        app = build_app(context=OFFLINE_CONTEXT, outdir=str(outdir))
        with pytest.raises(RuntimeError, match="ValidationFailed"):
            app.synth()
    return recorded, _nag_violations(outdir / "validation-report.json")


def _nag_violations(report_file: Path) -> list[Finding]:
    report = json.loads(report_file.read_text())
    return [
        (construct["constructPath"], violation["ruleName"])
        for plugin in report["pluginReports"]
        if plugin["pluginName"] == nag.PACK
        for violation in plugin["violations"]
        for construct in violation["violatingConstructs"]
    ]


def _covers(acknowledgment: Finding, violation: Finding) -> bool:
    scope, finding = acknowledgment
    path, rule = violation
    return finding == rule and (path == scope or path.startswith(f"{scope}/"))


def test_removing_the_acknowledgments_fails_the_synth(
    without_acknowledgments: tuple[list[Finding], list[Finding]],
) -> None:
    recorded, violations = without_acknowledgments
    assert recorded
    assert violations


def test_every_finding_has_an_acknowledgment(
    without_acknowledgments: tuple[list[Finding], list[Finding]],
) -> None:
    recorded, violations = without_acknowledgments
    uncovered = [v for v in violations if not any(_covers(a, v) for a in recorded)]
    assert not uncovered


def test_every_acknowledgment_matches_a_finding(
    without_acknowledgments: tuple[list[Finding], list[Finding]],
) -> None:
    recorded, violations = without_acknowledgments
    unused = [a for a in recorded if not any(_covers(a, v) for v in violations)]
    assert not unused, "acknowledgment without a finding: remove it"


def test_wildcard_findings_are_acknowledged_one_by_one(
    without_acknowledgments: tuple[list[Finding], list[Finding]],
) -> None:
    recorded, _ = without_acknowledgments
    iam5 = {finding for _, finding in recorded if finding.startswith("AwsSolutions-IAM5")}
    # Never the bare rule: only `*` (X-Ray, network interfaces) and the two object-key prefixes.
    assert "AwsSolutions-IAM5" not in iam5
    allowed = ("[Resource::*]", "/requests/*]", "/documents/*]")
    assert all(finding.endswith(allowed) for finding in iam5), iam5
