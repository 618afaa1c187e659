"""The suite's report: `reports/chaos-latest.json` (every figure of every scenario) and
`reports/chaos-latest.md` (one table row per scenario, then the violations in detail).

A sabotaged run is written as `chaos-sabotage-<kind>-latest.*` so that it never replaces the
real figures. Pure formatting apart from `write`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

HEADER = ("| scenario | sent | accepted | failed (by reason) | errors by status (no answer) "
          "| recovery s: first / all (bound) | result |")
RULE = "|---|---:|---:|---|---|---|---|"


def _counts(counts: dict) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "0"


def _failed(s: dict) -> str:
    total = sum(s.get("failed_by_reason", {}).values())
    return f"{total}" + (f": {_counts(s['failed_by_reason'])}" if total else "")


def _errors(s: dict) -> str:
    bad = {k: v for k, v in s.get("responses_by_status", {}).items() if k[0] == "5"}
    return f"{_counts(bad)} ({_counts(s.get('connection_errors', {}))})"


def _seconds(value) -> str:
    return "never" if value is None else f"{value:.1f}"


def _recovery(s: dict) -> str:
    return (f"{_seconds(s.get('recovery_first_s'))} / {_seconds(s.get('recovery_all_s'))} "
            f"({s['bounds']['first_s']:.0f} / {s['bounds']['all_s']:.0f})")


def _result(s: dict) -> str:
    if s.get("passed"):
        return "PASS"
    return "FAIL: " + ", ".join(f"{k} {v}" for k, v in s.get("violations", {}).items())


def row(s: dict) -> str:
    """One scenario as a table row."""
    if s.get("aborted"):
        return f"| {s['name']} | – | – | – | – | – | FAIL: aborted ({s['aborted']}) |"
    return (f"| {s['name']} | {s['bookings_sent']} | {s['bookings_accepted']} | {_failed(s)} "
            f"| {_errors(s)} | {_recovery(s)} | {_result(s)} |")


def details(s: dict) -> list[str]:
    """The lines under a scenario's heading: what was done, and what went wrong."""
    lines = [f"### {s['name']}", "", s.get("summary", ""), ""]
    tl = s.get("timeline") or {}
    lines += [f"- fault: injected {tl.get('injected_s')} s, lifted {tl.get('lifted_s')} s, "
              f"back {tl.get('restored_s')} s after the first booking; "
              + "; ".join(tl.get("notes", []))]
    if tl.get("error"):
        lines.append(f"- fault action failed: {tl['error']}")
    if s.get("sabotage_note"):
        lines.append(f"- {s['sabotage_note']}")
    for key in ("bookings_requests", "retried_bookings", "replayed_answers", "gave_up",
                "orphan_bookings", "bookings_dropped", "rejected_by_detail"):
        if s.get(key):
            lines.append(f"- {key}: {s[key]}")
    lines += [f"- example: {e}" for e in s.get("failure_examples", [])]
    lines += [f"- service log: {e}" for e in s.get("log_errors", [])]
    return [*lines, ""]


def markdown(report: dict) -> str:
    """The whole Markdown report."""
    head = [
        "# Chaos suite", "",
        f"Run {report['started_at']} – {report['finished_at']} ({report['duration_s']:.0f} s), "
        f"{'short' if report['short'] else 'full'} form, {report['rate']:.0f} bookings/s, "
        f"commit `{report.get('commit') or '?'}`"
        + (f", **sabotage `{report['sabotage']}`**" if report.get("sabotage") else "") + ".",
        f"Result: **{'PASS' if report['passed'] else 'FAIL'}** "
        f"({sum(s.get('passed', False) for s in report['scenarios'])}/"
        f"{len(report['scenarios'])} scenarios pass). Checks and bounds: spec/faults.md.", "",
        HEADER, RULE, *(row(s) for s in report["scenarios"]), "",
        "## Scenarios", "",
    ]
    body = [line for s in report["scenarios"] for line in details(s)]
    return "\n".join(head + body)


def write(report: dict, directory: Path, stamp: str) -> tuple[Path, Path]:
    """`chaos-<stamp>.json|.md` and their copies as `chaos-latest.*`; returns the latest."""
    directory.mkdir(parents=True, exist_ok=True)
    name = "chaos" + (f"-sabotage-{report['sabotage']}" if report.get("sabotage") else "")
    base = directory / f"{name}-{stamp}"
    base.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    base.with_suffix(".md").write_text(markdown(report) + "\n")
    latest = directory / f"{name}-latest"
    for ext in (".json", ".md"):
        shutil.copyfile(base.with_suffix(ext), latest.with_suffix(ext))
    return latest.with_suffix(".json"), latest.with_suffix(".md")
