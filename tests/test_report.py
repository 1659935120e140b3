"""`stackctl report`: the merge-request note and the widget counts from recorded previews.

The documents in tests/previews/ follow `pulumi preview --json` (Pulumi's `PreviewDigest`), one
per situation a reviewer meets; each note is checked in full against the `.note.md` beside
it, which is also how a reviewer sees what the note looks like. After an intended change to
the note, rewrite them with `STACKCTL_WRITE_NOTES=1 make test` and review the diff.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from stackctl import diagram, plan
from stackctl.cli import main
from stackctl.engine import Graph
from stackctl.events import read_events
from stackctl.note import render
from stackctl.preview import PreviewError, parse

PREVIEWS = Path(__file__).parent / "previews"

CASES = {
    # name: (stack, with the event log, exit code, widget counts or None: no plan.json)
    "creates": ("staging", False, 0, {"create": 4, "update": 0, "delete": 0}),
    "updates": ("staging", False, 0, {"create": 0, "update": 3, "delete": 0}),
    "replace_delete": ("staging", False, 0, {"create": 2, "update": 0, "delete": 5}),
    "protected": ("prod", False, 2, None),
    "secrets": ("staging", False, 0, {"create": 0, "update": 4, "delete": 0}),
    "failed": ("prod", False, 2, None),
    "policy": ("staging", True, 2, None),
    "empty": ("prod", False, 0, {"create": 0, "update": 0, "delete": 0}),
    "hostile": ("staging", True, 0, {"create": 1, "update": 1, "delete": 0}),
    # an import then an update of the same URN is one update; import then replace, a replace
    "adoption": ("prod", False, 0, {"create": 1, "update": 1, "delete": 1}),
}

SECRETS_IN_THE_DOCUMENTS = [
    "glpat-Zx81ksLQ0pYvN3mW7rTq",  # a provider-secret output that leaked into plain state
    "glptt-4f1e0c9a8b7d6e5f4a3b",  # the new value of a variable whose old value was secret
    "glpat-NewValueNotSecret0001",  # a provider-secret property given in plain text
    "us-east4,europe-west2",  # the old value of a variable that becomes secret
    "abcdefghijklmnopqrstuvwxyz012345",  # a bearer token quoted by a provider
    "Hostile",  # tokens in a URL, split by colour codes, after PRIVATE-TOKEN (hostile.json)
    "glpat-AdoptionLeak00000001",  # a token in a live description an adoption would change
    "p/ss@w0rd",  # a URL password with "/" and "@", in a value and a policy message
]


def run_report(tmp_path: Path, name: str, *extra: str) -> tuple[int, Path]:
    stack, with_events, _, _ = CASES[name]
    out = tmp_path / name
    argv = ["report", str(PREVIEWS / f"{name}.json"), "--stack", stack, "--out-dir", str(out)]
    if with_events:
        argv += ["--events", str(PREVIEWS / f"{name}.events.jsonl")]
    return main([*argv, "--no-diagram", *extra]), out


@pytest.fixture(autouse=True)
def _no_ci_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """The footer names the pipeline from CI's variables; the recorded notes have none."""
    for name in ("CI_COMMIT_SHA", "CI_PIPELINE_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", list(CASES))
def test_each_recorded_preview_gives_its_note_and_widget_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    _, _, code, counts = CASES[name]
    exit_code, out = run_report(tmp_path, name)
    assert exit_code == code
    note = (out / "note.md").read_text()
    expected = PREVIEWS / f"{name}.note.md"
    if os.environ.get("STACKCTL_WRITE_NOTES"):
        expected.write_text(note)
    assert note == expected.read_text()
    if counts is None:
        assert not (out / "plan.json").exists()
    else:
        assert json.loads((out / "plan.json").read_text()) == counts
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("name", list(CASES))
def test_no_secret_reaches_a_note(tmp_path: Path, name: str) -> None:
    _, out = run_report(tmp_path, name)
    note = (out / "note.md").read_text()
    for secret in SECRETS_IN_THE_DOCUMENTS:
        assert secret not in note
    assert not re.search(r"gl(pat|ptt|dt)-[A-Za-z0-9]{16,}", note)


def test_a_property_is_hidden_when_either_side_is_secret(tmp_path: Path) -> None:
    _, out = run_report(tmp_path, "secrets")
    note = (out / "note.md").read_text()
    # Stops being secret, becomes secret, secret both sides, declared secret by the provider:
    # each only "changed"; the harmless property beside them keeps its values.
    assert note.count("value: [secret] (changed)") == 2
    assert "~ url: [secret] (changed)" in note
    assert "~ token: [secret] (changed)" in note
    assert "~ masked: true → false" in note
    assert "~ enabled: false → true" in note  # old value from the state (inputDiff false)
    assert "https://[secret]@gitlab.com/gitlab-org/security/ai-assist.git" in note


def test_deletes_and_replaces_are_listed_first_with_what_keeps_them(tmp_path: Path) -> None:
    _, out = run_report(tmp_path, "replace_delete")
    note = (out / "note.md").read_text()
    block = [line for line in note.splitlines() if line.startswith(">")]
    assert block[:2] == ["> [!warning]", "> **This change has 3 deletes and 2 replaces:**"]
    names = [re.findall(r"\*\*`([^`]+)`\*\*", line)[0] for line in block[2:]]
    assert names == [
        "pull-canonical-us-east1",
        "dws-loadtest-trigger",
        "dws-loadtest-project",
        "pull-security-secret-version",
        "pull-security-token",
    ]
    assert "**retained on delete**" in block[2]
    assert note.index("> [!warning]") < note.index("##### Changes")
    # The replacement's parts (--show-replacement-steps) are not counted twice.
    assert "create-replacement" not in note
    assert "delete-replaced" not in note


def test_protected_resources_are_named_and_the_preview_fails(tmp_path: Path) -> None:
    code, out = run_report(tmp_path, "protected")
    note = (out / "note.md").read_text()
    assert code == 2
    assert note.splitlines()[3].startswith("**Preview failed** with 2 errors")
    for name in ("security-project", "dockerhub-model-gateway-self-hosted"):
        line = next(x for x in note.splitlines() if x.startswith("> -") and f"`{name}`" in x)
        assert "**protected**: Pulumi refuses to" in line
        assert "**retained on delete**" in line


def test_policy_violations_come_from_the_event_log(tmp_path: Path) -> None:
    code, out = run_report(tmp_path, "policy")
    note = (out / "note.md").read_text()
    assert code == 2
    assert "Policy violations (2) from the policy packs `aigw-delivery 0.1.0`:" in note
    assert "- **mandatory** `security-project-private`:" in note
    assert "- **advisory** `project-described` on `security-project`:" in note
    assert "<{%" not in note  # Pulumi's colour directives are stripped


def test_without_the_event_log_the_note_says_violations_are_not_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        [
            *("report", str(PREVIEWS / "policy.json"), "--stack", "staging"),
            *("--out-dir", str(out), "--no-diagram"),
        ]
    )
    note = (out / "note.md").read_text()
    assert code == 0  # the document alone looks like a successful preview
    assert "Policy violations are not part of `pulumi preview --json`" in note
    assert json.loads((out / "plan.json").read_text()) == {"create": 0, "update": 1, "delete": 0}


def test_a_failed_preview_removes_a_stale_widget_report(tmp_path: Path) -> None:
    out = tmp_path / "failed"
    out.mkdir()
    (out / "plan.json").write_text('{"create": 9, "update": 9, "delete": 9}')
    code, _ = run_report(tmp_path, "failed")
    assert code == 2
    assert not (out / "plan.json").exists()


def test_long_parts_are_folded() -> None:
    def update(i: int, props: int) -> dict[str, object]:
        urn = (
            f"urn:pulumi:staging::aigw-delivery::gitlab:index/projectVariable:ProjectVariable::v{i}"
        )
        old = {f"p{j}": j for j in range(props)}
        return {
            "op": "update",
            "urn": urn,
            "oldState": {"urn": urn, "type": "x", "custom": True, "inputs": old},
            "newState": {
                "urn": urn,
                "type": "x",
                "custom": True,
                "inputs": {k: v + 1 for k, v in old.items()},
            },
            "detailedDiff": {f"p{j}": {"kind": "update", "inputDiff": True} for j in range(props)},
        }

    few = render(parse(json.dumps({"steps": [update(0, 12)]})), "staging")
    assert "<details><summary><code>~ update</code>" in few
    assert "· 12 properties</summary>" in few
    many = render(parse(json.dumps({"steps": [update(i, 1) for i in range(20)]})), "s")
    assert "<details><summary><b>Changes (20 resources)</b></summary>" in many
    assert "##### Changes" not in many


def test_messages_cannot_break_out_of_their_block() -> None:
    document = {
        "steps": [],
        "diagnostics": [
            {"message": "```\n</details>\n# injected\n```", "severity": "error"},
        ],
    }
    note = render(parse(json.dumps(document)), "staging")
    assert "  ````text\n  ```\n  </details>\n  # injected\n  ```\n  ````\n" in note


def test_the_diagram_highlights_what_changes(staging: Graph) -> None:
    document = parse((PREVIEWS / "updates.json").read_text())
    urns = plan.highlight([r.urn for r in staging.resources], document)
    assert {u.rsplit("::", 1)[-1] for u in urns} == {
        "security-project",
        "aigw-us-east4-service",
        "dockerhub-model-gateway-self-hosted",
    }
    drawn = diagram.mermaid(staging, urns)
    note = render(document, "staging", diagram=drawn)
    assert "<details><summary>Delivery diagram (changed parts highlighted)</summary>" in note
    assert f"```mermaid\n{drawn}\n```" in note
    fleet = diagram.aliases(diagram.delivery(staging))["F_aigw"]
    assert re.search(rf"class .*\b{fleet}\b.* changed", note)


def test_without_an_offline_graph_the_note_says_why_there_is_no_diagram(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code = main(
        [
            *("--cwd", str(tmp_path), "report", str(PREVIEWS / "empty.json")),
            *("--stack", "prod", "--out-dir", str(out)),
        ]
    )
    note = (out / "note.md").read_text()
    assert code == 0
    assert "<sub>No delivery diagram: the prod stack does not evaluate offline" in note
    assert "Pulumi.yaml does not exist" in note


def test_the_footer_names_the_commit_and_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567")
    monkeypatch.setenv("CI_PIPELINE_URL", "https://gitlab.example/p/-/pipelines/42")
    _, out = run_report(tmp_path, "empty")
    assert (
        (out / "note.md")
        .read_text()
        .endswith(
            "<sub>Updated in place by <code>stackctl report</code> · commit 0123456789ab · "
            '<a href="https://gitlab.example/p/-/pipelines/42">pipeline</a></sub>\n'
        )
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty: `pulumi preview --json` printed nothing"),
        ('{"steps": [{"op": "create", "urn": "urn:pulumi:s::p::t::n"', "is truncated"),
        ('{"steps": [{"op": "create", "urn": "urn:pulumi:s::p::t', "is truncated"),
        ('{"steps": [}', "is not valid JSON: Expecting value at line 1, column 12"),
        ("[1, 2]", "expected an object with steps, diagnostics and changeSummary, found a list"),
        ("{}", "it has none of steps, diagnostics, changeSummary"),
        ('{"steps": [{"op": "update"}]}', "steps[0].urn must be a non-empty string"),
        ('{"steps": {"op": "update"}}', "steps must be a list, found an object"),
        (
            '{"steps": [{"op": "update", "urn": "urn:pulumi:s::p::t::n", '
            '"detailedDiff": {"a": 1}}]}',
            'steps[0].detailedDiff["a"] must be an object, found a number 1',
        ),
        (
            '{"changeSummary": {"create": "1"}}',
            'changeSummary.create must be a count, found a string "1"',
        ),
    ],
)
def test_unreadable_previews_are_one_clear_error_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    document = tmp_path / "preview.json"
    document.write_text(content)
    code = main(["report", str(document), "--stack", "staging", "--out-dir", str(tmp_path / "o")])
    _, err = capsys.readouterr()
    assert code == 1
    assert message in err
    assert err.startswith(f"error: {document}")
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_a_missing_preview_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", str(tmp_path / "nope.json"), "--stack", "s", "--out-dir", "x"])
    assert code == 1
    assert f"error: {tmp_path / 'nope.json'}: no such file" in capsys.readouterr().err


def test_an_event_log_cut_off_mid_line_is_read_and_called_incomplete(tmp_path: Path) -> None:
    lines = (PREVIEWS / "policy.events.jsonl").read_text().splitlines()
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join([*lines[:5], lines[5][:30]]))
    events = read_events(log)
    assert [v.policy for v in events.violations] == [
        "security-project-private",
        "project-described",
    ]
    assert not events.complete
    note = render(parse((PREVIEWS / "policy.json").read_text()), "staging", events=events)
    assert "The preview's event log ends early" in note


def test_a_malformed_event_log_line_is_an_error_with_its_line(tmp_path: Path) -> None:
    lines = (PREVIEWS / "policy.events.jsonl").read_text().splitlines()
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join([lines[0], "not json", *lines[1:]]))
    with pytest.raises(PreviewError, match=r"events.jsonl:2: not a JSON engine event"):
        read_events(log)


def test_an_adoption_that_changes_live_resources_is_in_the_warning_block(tmp_path: Path) -> None:
    """pulumi/pulumi#19339: an import whose inputs differ is imported and then updated in the
    same run; the note must say so before anything else, property by property."""
    _, out = run_report(tmp_path, "adoption")
    note = (out / "note.md").read_text()
    warning = note.split("##### Changes", 1)[0]
    assert "3 to import (2 of them changed live)" in warning
    assert "**Adopting changes 2 live resources:**" in warning
    assert '`~ mergeRequestsAccessLevel: "enabled" → "private"`' in warning
    assert "`~ hidden: false → true  # forces replacement`" in warning
    assert "security-main" not in warning  # imported as it is: nothing changes live
