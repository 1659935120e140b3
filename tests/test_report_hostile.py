"""`stackctl report` against malformed and hostile previews and event logs.

Every case runs the CLI in-process and checks what a user would see: the exit code README
documents (0 the preview succeeded, 2 it failed, 1 the input cannot be read), one error that
names the place in the document, no traceback, and that none of the canary credentials
planted in the input reaches any output (stdout, stderr, note.md, plan.json).
"""

from __future__ import annotations

import codecs
import json
from pathlib import Path
from typing import Any

import pytest

from stackctl import events as event_log
from stackctl import preview as previews
from tests.conftest import run_cli

TOKEN = "glpat-ZQXcanaryTok3n0123456789"  # a GitLab token
PASSWORD_URL = "https://bot:ZQXpa/ss@w0rd@gitlab.com/gitlab-org/security/ai-assist.git"
CANARY = "ZQX"
"""What every canary holds and no output may."""

STEM = "urn:pulumi:staging::aigw-delivery::gitlab:index/projectVariable:ProjectVariable::"


def step(op: Any = "update", name: str = "var", **fields: Any) -> dict[str, Any]:
    state = {"type": "gitlab:index/projectVariable:ProjectVariable", "custom": True}
    base: dict[str, Any] = {
        "op": op,
        "urn": STEM + name,
        "oldState": {**state, "inputs": {"value": "a", "key": TOKEN}},
        "newState": {**state, "inputs": {"value": "b", "key": TOKEN}},
        "detailedDiff": {"value": {"kind": "update", "inputDiff": True}},
    }
    return {**base, **fields}


def doc(*steps: Any, **fields: Any) -> str:
    return json.dumps({"steps": list(steps), **fields})


def nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


VALID = doc(step())
POLICY = {
    "policyName": "security-project-private",
    "policyPackName": "aigw-delivery",
    "policyPackVersion": "0.1.0",
    "enforcementLevel": "mandatory",
    "message": f"the mirror pushes to {PASSWORD_URL}",
}
SUMMARY = json.dumps({"summaryEvent": {"PolicyPacks": {"aigw-delivery": "0.1.0"}}})


def policy(**fields: Any) -> str:
    return json.dumps({"sequence": 1, "policyEvent": {**POLICY, **fields}})


# (preview, event log or None, exit code, what the error or the note must say)
DOCUMENTS = [
    pytest.param("", None, 1, "is empty", id="empty"),
    pytest.param(" \n\t\n", None, 1, "is empty", id="whitespace"),
    pytest.param(
        '{"steps": [{"op": "create", "urn": "' + STEM + TOKEN,
        None,
        1,
        "is truncated",
        id="cut-in-string",
    ),
    pytest.param(VALID[: len(VALID) // 2], None, 1, "is truncated", id="cut-in-half"),
    pytest.param(f"{TOKEN} is not json", None, 1, "is not valid JSON", id="not-json"),
    pytest.param("[1, 2]", None, 1, "found a list", id="top-list"),
    pytest.param(json.dumps(TOKEN), None, 1, "found a string", id="top-string-canary"),
    pytest.param("42", None, 1, "found a number 42", id="top-number"),
    pytest.param("null", None, 1, "found nothing", id="top-null"),
    pytest.param("{}", None, 1, "it has none of steps", id="empty-object"),
    pytest.param(json.dumps({TOKEN: 1}), None, 1, "keys: [secret]", id="canary-key"),
    pytest.param("[" * 5000 + "]" * 5000, None, 1, "more than 100 deep", id="deep-document"),
    pytest.param(
        doc(step(newState={"type": "x", "inputs": json.loads(nested(150))})),
        None,
        1,
        "more than 100 deep (at line 1",
        id="deep-inputs",
    ),
    pytest.param(
        '{"steps": [' + nested(100_000) + "]}", None, 1, "more than 100 deep", id="deep-100k"
    ),
    pytest.param(codecs.BOM_UTF8 + VALID.encode(), None, 0, "1 to update", id="utf8-bom-is-read"),
    pytest.param(VALID.encode("utf-16"), None, 1, "is encoded as UTF-16", id="utf16-bom"),
    pytest.param(VALID.encode("utf-16-le"), None, 1, "is encoded as UTF-16-LE", id="utf16-le"),
    pytest.param(VALID.encode("utf-32"), None, 1, "is encoded as UTF-32", id="utf32"),
    pytest.param(
        VALID.encode()[:20] + b"\xff\xfe" + VALID.encode()[20:],
        None,
        1,
        "is not valid UTF-8 (at byte 20)",
        id="bad-utf8",
    ),
    pytest.param(VALID.replace(",", ",\x00", 1), None, 1, "is not valid JSON", id="raw-nul"),
    pytest.param('{"steps": [], "changeSummary": {"same": NaN}}', None, 1, "NaN is not", id="nan"),
    pytest.param(
        '{"steps": [], "changeSummary": {"same": ' + "9" * 5000 + "}}",
        None,
        1,
        "is not valid JSON",
        id="huge-number",
    ),
    pytest.param(
        '{"steps": [{"op": "create", "op": "delete", "urn": "' + STEM + 'x"}]}',
        None,
        1,
        'has the key "op" twice',
        id="duplicate-key",
    ),
    pytest.param(json.dumps({"steps": TOKEN}), None, 1, "steps must be a list", id="steps-str"),
    pytest.param(doc(7), None, 1, "steps[0] must be an object, found a number", id="step-num"),
    pytest.param(
        doc({"urn": STEM + "x"}), None, 1, "steps[0].op must be a non-empty string", id="no-op"
    ),
    pytest.param(doc(step(op=3)), None, 1, "steps[0].op must be a non-empty string", id="op-num"),
    pytest.param(
        doc(step(), step(name="b"), step(name="c"), step(op="frobnicate", name="d")),
        None,
        1,
        'steps[3].op is not a step op Pulumi has: "frobnicate"',
        id="unknown-op",
    ),
    pytest.param(doc(step(op=TOKEN)), None, 1, "steps[0].op is not a step op", id="canary-op"),
    pytest.param(
        doc({"op": "create"}), None, 1, "steps[0].urn must be a non-empty string", id="no-urn"
    ),
    pytest.param(
        doc(step(urn=f"https://x/{TOKEN}")),
        None,
        1,
        "steps[0].urn is not a Pulumi URN",
        id="bad-urn",
    ),
    pytest.param(
        doc(step(newState={"type": "x", "protect": "false"})),
        None,
        1,
        'steps[0].newState.protect must be true or false, found a string "false"',
        id="protect-string",
    ),
    pytest.param(
        doc(step(oldState={"type": "x", "custom": 1})),
        None,
        1,
        "steps[0].oldState.custom must be true or false, found a number 1",
        id="custom-number",
    ),
    pytest.param(
        doc(step(op="delete", oldState={"retainOnDelete": "yes"})),
        None,
        1,
        "steps[0].oldState.retainOnDelete must be true or false",
        id="retain-string",
    ),
    pytest.param(
        doc(step(newState={"inputs": [TOKEN]})),
        None,
        1,
        "steps[0].newState.inputs must be an object, found a list",
        id="inputs-list",
    ),
    pytest.param(
        doc(step(oldState={"outputs": TOKEN})),
        None,
        1,
        "steps[0].oldState.outputs must be an object, found a string",
        id="outputs-string",
    ),
    pytest.param(
        doc(step(op="import", newState={"importID": 12345})),
        None,
        1,
        "steps[0].newState.importID must be a string, found a number",
        id="import-id-number",
    ),
    pytest.param(
        doc(step(newState={"additionalSecretOutputs": [1]})),
        None,
        1,
        "steps[0].newState.additionalSecretOutputs[0] must be a string",
        id="secret-outputs",
    ),
    pytest.param(
        doc(step(diffReasons=TOKEN)), None, 1, "steps[0].diffReasons must be a list", id="reasons"
    ),
    pytest.param(
        doc(step(replaceReasons=["a", {}])),
        None,
        1,
        "steps[0].replaceReasons[1] must be a string, found an object",
        id="replace-reasons",
    ),
    pytest.param(
        doc(step(detailedDiff=["value"])),
        None,
        1,
        "steps[0].detailedDiff must be an object, found a list",
        id="detailed-list",
    ),
    pytest.param(
        doc(step(detailedDiff={"value": {"kind": "frob"}})),
        None,
        1,
        'steps[0].detailedDiff["value"].kind is not a diff kind Pulumi has: "frob"',
        id="diff-kind",
    ),
    pytest.param(
        doc(step(detailedDiff={"value": {"kind": "update", "inputDiff": "true"}})),
        None,
        1,
        'steps[0].detailedDiff["value"].inputDiff must be true or false',
        id="input-diff",
    ),
    pytest.param(
        doc(step(), step(op="delete")),
        None,
        1,
        "steps[1].urn is the same resource as steps[0].urn",
        id="duplicate-urn",
    ),
    pytest.param(
        doc(step(oldState=TOKEN)),
        None,
        1,
        "steps[0].oldState must be an object, found a string",
        id="state-string",
    ),
    pytest.param(
        json.dumps({"diagnostics": {"message": TOKEN}}),
        None,
        1,
        "diagnostics must be a list, found an object",
        id="diagnostics-object",
    ),
    pytest.param(
        doc(diagnostics=[{"severity": "fatal", "message": TOKEN}]),
        None,
        1,
        'diagnostics[0].severity is not a severity Pulumi has: "fatal"',
        id="severity",
    ),
    pytest.param(
        doc(diagnostics=[{"severity": "error", "message": 7}]),
        None,
        1,
        "diagnostics[0].message must be a non-empty string, found a number",
        id="message-number",
    ),
    pytest.param(
        doc(changeSummary={"frob": 1}),
        None,
        1,
        'changeSummary["frob"] is not a step op Pulumi has',
        id="summary-op",
    ),
    pytest.param(
        doc(changeSummary={"same": -1}),
        None,
        1,
        "changeSummary.same must be a count, found a number -1",
        id="summary-negative",
    ),
    pytest.param(
        doc(maybeCorrupt="true"), None, 1, "maybeCorrupt must be true or false", id="corrupt"
    ),
    # Readable documents whose text is hostile: the note is written, scrubbed.
    pytest.param(
        doc(diagnostics=[{"severity": "warning", "message": "bad \ud800 surrogate"}]),
        None,
        0,
        "bad \ufffd surrogate",
        id="lone-surrogate",
    ),
    pytest.param(
        doc(
            diagnostics=[{"severity": "warning", "message": "tok: glpat-ZQX\u0000canary0123456789"}]
        ),
        None,
        0,
        "tok: [secret]",
        id="nul-in-token",
    ),
    pytest.param(
        doc(
            diagnostics=[{"severity": "warning", "message": "x glpat-ZQX<{%fg 3%}>can0123456789ab"}]
        ),
        None,
        0,
        "x [secret]",
        id="colour-in-token",
    ),
    pytest.param(
        doc(
            diagnostics=[{"severity": "warning", "message": "y glpat-ZQX\u001b[31mcan0123456789ab"}]
        ),
        None,
        0,
        "y [secret]",
        id="ansi-in-token",
    ),
    pytest.param(
        doc(
            diagnostics=[
                {"severity": "warning", "message": "x" * 2_000_000 + TOKEN},
                {"severity": "warning", "message": "AFTER-THE-HUGE-ONE"},
            ]
        ),
        None,
        0,
        "AFTER-THE-HUGE-ONE",
        id="huge-diagnostic",
    ),
    pytest.param(
        doc(step(newState={"type": "x", "inputs": {"value": "v" * 1_000_000 + TOKEN}})),
        None,
        0,
        "[cut: 1,000,",
        id="huge-value",
    ),
    pytest.param(doc(step(name=f"TOKEN_{TOKEN}")), None, 0, "TOKEN_[secret]", id="canary-name"),
    pytest.param(
        doc(step(op="import", newState={"type": "x", "importID": f"{PASSWORD_URL} {TOKEN}"})),
        None,
        0,
        "adopts id https://[secret]@gitlab.com/gitlab-org/security/ai-assist.git [secret]",
        id="canary-import-id",
    ),
    pytest.param(
        doc(step(op="replace", replaceReasons=[TOKEN])),
        None,
        0,
        "(because of `[secret]`)",
        id="canary-replace-reason",
    ),
    pytest.param(
        doc(step(detailedDiff={f'labels["{TOKEN}"]': {"kind": "add", "inputDiff": True}})),
        None,
        0,
        'labels["[secret]"]',
        id="canary-property-path",
    ),
    pytest.param(
        doc(step(op="replace", replaceReasons=[f"p{i}" for i in range(1000)])),
        None,
        0,
        "`p9`, 990 more)",
        id="thousand-replace-reasons",
    ),
    pytest.param(
        doc(step(detailedDiff={"a[" * 50_000: {"kind": "update", "inputDiff": True}})),
        None,
        0,
        "… [cut: 100,000 characters in all]: (changed)",
        id="huge-unreadable-path",
    ),
    pytest.param(
        doc(step(newState={"type": "x", "inputs": {"value": PASSWORD_URL}})),
        None,
        0,
        '"https://[secret]@gitlab.com/gitlab-org/security/ai-assist.git"',
        id="url-password-value",
    ),
]

EVENT_LOGS = [
    pytest.param(
        VALID, f"{SUMMARY}\nnot json\n{SUMMARY}", 1, "events.jsonl:2: not a JSON", id="ev-bad"
    ),
    pytest.param(
        VALID, "[1]", 1, "events.jsonl:1: not a JSON engine event: found a list", id="ev-list"
    ),
    pytest.param(
        VALID,
        json.dumps({"policyEvent": TOKEN}),
        1,
        ":1: policyEvent must be an object",
        id="ev-str",
    ),
    pytest.param(
        VALID,
        policy(policyName=None),
        1,
        ":1: policyEvent.policyName must be a non-empty string",
        id="ev-no-policy",
    ),
    pytest.param(
        VALID,
        f"{SUMMARY}\n{policy(enforcementLevel='strict')}",
        1,
        ':2: policyEvent.enforcementLevel is not an enforcement level Pulumi has: "strict"',
        id="ev-level",
    ),
    pytest.param(
        VALID,
        policy(enforcementLevel=2),
        1,
        "policyEvent.enforcementLevel must be",
        id="ev-level-num",
    ),
    pytest.param(VALID, nested(5000), 1, ":1: not a JSON engine event: it nests", id="ev-deep"),
    pytest.param(
        VALID, SUMMARY.encode("utf-16"), 1, ":1: the event log is encoded as UTF-16", id="ev-utf16"
    ),
    pytest.param(
        VALID,
        json.dumps({"summaryEvent": {"PolicyPacks": [TOKEN]}}),
        1,
        ":1: summaryEvent.PolicyPacks must be an object",
        id="ev-packs",
    ),
    pytest.param(VALID, b"\x00\x00\x00{}\n", 1, "events.jsonl:1:", id="ev-nul-bytes"),
    pytest.param(
        VALID, f"{policy()}\n{SUMMARY[:20]}", 2, "The preview's event log ends early", id="ev-cut"
    ),
    pytest.param(
        VALID,
        f"{policy(message=f'leak <{{%fg 1%}}>{TOKEN}')}\r\n\r\n{SUMMARY}\r\n",
        2,
        "leak [secret]",
        id="ev-canary-message",
    ),
    pytest.param(
        VALID,
        f"{policy(enforcementLevel='advisory')}\n{SUMMARY}",
        0,
        "- **advisory** `security-project-private`",
        id="ev-advisory",
    ),
]


def outputs(tmp_path: Path, out: str, err: str) -> str:
    files = [tmp_path / "o" / name for name in ("note.md", "plan.json")]
    return out + err + "".join(f.read_text(encoding="utf-8") for f in files if f.exists())


@pytest.mark.parametrize(("document", "events", "code", "says"), DOCUMENTS + EVENT_LOGS)
def test_a_hostile_input_is_one_clear_error_or_a_scrubbed_note(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    document: str | bytes,
    events: str | bytes | None,
    code: int,
    says: str,
) -> None:
    preview = tmp_path / "preview.json"
    preview.write_bytes(
        document if isinstance(document, bytes) else document.encode("utf-8", "surrogatepass")
    )
    argv = ["report", str(preview), "--stack", "staging", "--out-dir", str(tmp_path / "o")]
    if events is not None:
        log = tmp_path / "events.jsonl"
        log.write_bytes(events if isinstance(events, bytes) else events.encode())
        argv += ["--events", str(log)]
    exit_code, out, err = run_cli(capsys, *argv, "--no-diagram")
    assert exit_code == code
    assert "Traceback" not in err
    assert CANARY not in outputs(tmp_path, out, err)
    if code == 1:
        assert err.count("error: ") == 1
        assert says in err
        assert not (tmp_path / "o").exists()  # nothing half-written
    else:
        note = (tmp_path / "o" / "note.md").read_text(encoding="utf-8")
        assert says in note
        assert (tmp_path / "o" / "plan.json").exists() == (code == 0)


def test_a_preview_over_the_size_cap_is_refused_unread(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(previews, "PREVIEW_MAX_BYTES", 2**20)
    preview = tmp_path / "preview.json"
    preview.write_text(doc(diagnostics=[{"message": "x" * 2**20}]))
    code, _, err = run_cli(capsys, "report", str(preview), "--stack", "s", "--out-dir", "o")
    assert code == 1
    assert f"error: {preview} is larger than 1 MiB" in err


def test_an_event_line_over_its_cap_is_refused_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(event_log, "EVENT_LINE_MAX_BYTES", 2**20)
    (tmp_path / "p.json").write_text(VALID)
    (tmp_path / "e.jsonl").write_text(f"{SUMMARY}\n{policy(message='x' * 2**20)}\n")
    code, _, err = run_cli(
        capsys,
        *("report", str(tmp_path / "p.json"), "--events", str(tmp_path / "e.jsonl")),
        *("--stack", "s", "--out-dir", str(tmp_path / "o")),
    )
    assert code == 1
    assert "e.jsonl:2: the event log is larger than Pulumi writes" in err


def test_every_op_pulumi_has_is_read_and_only_changes_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ops = sorted(previews.OPS - {"replace"})
    steps = [step(op=op, name=f"r-{op}") for op in ops]
    steps += [step(op="replace", name="r-create-replacement")]  # the parts share its URN
    (tmp_path / "p.json").write_text(doc(*steps))
    code, out, _ = run_cli(
        capsys, "report", str(tmp_path / "p.json"), "--stack", "s", "--out-dir", str(tmp_path / "o")
    )
    assert code == 0
    assert json.loads((tmp_path / "o" / "plan.json").read_text()) == {
        "create": 2,
        "update": 1,
        "delete": 2,
    }  # create + replace, update, delete + replace; import, parts and no-ops count as nothing
    assert "2 to create, 1 to update, 2 to delete" in out


def test_a_failed_write_leaves_the_old_note_whole_and_no_temporary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    (out_dir / "note.md").write_text("the previous note\n")
    (tmp_path / "p.json").write_text(VALID)

    def full_disk(source: str, target: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("stackctl.report.os.replace", full_disk)
    code, _, err = run_cli(
        capsys, "report", str(tmp_path / "p.json"), "--stack", "s", "--out-dir", str(out_dir)
    )
    assert code == 1
    assert f"error: cannot write the report to {out_dir}: No space left on device" in err
    assert (out_dir / "note.md").read_text() == "the previous note\n"
    assert sorted(p.name for p in out_dir.iterdir()) == ["note.md"]


@pytest.mark.parametrize("stack", ["", "x" * 101, "prod -->", "org/proj/prod", TOKEN + "!"])
def test_a_stack_name_pulumi_would_refuse_is_refused_unshown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], stack: str
) -> None:
    (tmp_path / "p.json").write_text(VALID)
    code, out, err = run_cli(
        capsys, "report", str(tmp_path / "p.json"), "--stack", stack, "--out-dir", str(tmp_path)
    )
    assert code == 1
    assert "--stack must be a Pulumi stack name" in err
    assert CANARY not in out + err
