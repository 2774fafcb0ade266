"""A replay run's report as the plain-text regression table the CLI prints."""

from __future__ import annotations

from typing import Any

CHANGED_SHOWN = 15


def _pct(value: float) -> str:
    return f"{100 * value:5.1f}%"


def _triage_lines(triage: dict[str, Any]) -> list[str]:
    lines = [f"{'category':<28} {'cases':>5}  {'accuracy now':>12} {'candidate':>10} {'change':>8}  "
             f"{'abstain now':>11} {'candidate':>10}"]
    rows = [*triage["by_label"].items(), ("ALL", {**triage, "delta_points": round(
        100 * (triage["candidate"]["accuracy"] - triage["current"]["accuracy"]), 2)})]
    for label, row in rows:
        lines.append(f"{label[:28]:<28} {row['cases']:>5}  {_pct(row['current']['accuracy']):>12} "
                     f"{_pct(row['candidate']['accuracy']):>10} {row['delta_points']:>+7.1f}p  "
                     f"{_pct(row['current']['abstention']):>11} {_pct(row['candidate']['abstention']):>10}")
    lines.append(f"latency per case: embedding {triage['embed_ms_per_case']:.2f} ms shared; model now "
                 f"{triage['current']['latency_ms']:.2f} ms, candidate {triage['candidate']['latency_ms']:.2f} ms")
    return lines


def _answer_lines(answers: dict[str, Any]) -> list[str]:
    now, then = answers["current"], answers["candidate"]
    lines = [f"{'answers (by expected article)':<34} {'cases':>5}  {'precision now':>13} {'candidate':>10}  "
             f"{'deflection now':>14} {'candidate':>10} {'change':>8}"]
    overall = {**answers, "delta_points": round(100 * (then["deflection"] - now["deflection"]), 2)}
    for intent, row in [*answers["by_intent"].items(), ("ALL", overall)]:
        lines.append(f"{intent[:34]:<34} {row['cases']:>5}  {_pct(row['current']['precision']):>13} "
                     f"{_pct(row['candidate']['precision']):>10}  {_pct(row['current']['deflection']):>14} "
                     f"{_pct(row['candidate']['deflection']):>10} {row.get('delta_points', 0.0):>+7.1f}p")
    lines.append(f"abstention now {_pct(now['abstention'])} (below {now['abstain_below']}), candidate "
                 f"{_pct(then['abstention'])} (below {then['abstain_below']}); {now['latency_ms']:.1f} ms per answer "
                 f"now, candidate {then['latency_ms']:.1f} ms")
    return lines


def _changed_lines(changed: list[dict[str, Any]], what: str) -> list[str]:
    if not changed:
        return [f"no {what} case changed"]
    lines = [f"{len(changed)} {what} cases changed (first {min(len(changed), CHANGED_SHOWN)}):"]
    for item in changed[:CHANGED_SHOWN]:
        lines.append(f"  {item['source']:<22} expected {item['expected']!s:<20} now {item['current']!s:<20} "
                     f"candidate {item['candidate']!s:<20} {item['question'][:60]!r}")
    return lines


def format_report(run_id: int, report: dict[str, Any]) -> str:
    """The table of one run: per category and per article, what changed, and the verdict."""
    lines = [f"replay run {run_id}: set v{report['set_version']}, candidate {report['candidate']}", ""]
    if report.get("triage"):
        lines += [*_triage_lines(report["triage"]), *_changed_lines(report["triage"]["changed"], "triage"), ""]
    if report.get("answers"):
        lines += [*_answer_lines(report["answers"]), *_changed_lines(report["answers"]["changed"], "answer"), ""]
    if report["regressions"]:
        lines.append("REFUSED: " + "; ".join(report["regressions"]))
    else:
        lines.append(f"PASSED: no category drops more than {report['max_drop_points']:g} points")
    if report.get("component") in ("kb", "settings") and not report.get("answers"):
        lines.append("note: the replay set has no answer cases, so the answers were not compared")
    return "\n".join(lines)
