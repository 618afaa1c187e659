"""The PNG of a run: accept and settle rate over time, accept and settle latency histograms."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import accumulate
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from deploy.loadtest.recorder import ACCEPTED, Sample  # noqa: E402


def _histogram(ax, values_ms: Sequence[float], title: str, p50, p99) -> None:
    ax.hist(values_ms, bins=60, color="tab:blue" if "accept" in title else "tab:green")
    for value, label in ((p50, "p50"), (p99, "p99")):
        if value is not None:
            ax.axvline(value, color="black", linestyle="--" if label == "p50" else ":",
                       label=f"{label} {value:.1f} ms")
    ax.set(title=title, xlabel="ms", ylabel="bookings")
    ax.legend()


def render(report: dict, samples: Sequence[Sample], settle_ms: Sequence[float],
           path: Path) -> Path:
    """Write the figure for `report` to `path`."""
    if report["mode"] == "drain":
        return _drain(report, path)
    fig, (rates, accept, settle) = plt.subplots(3, 1, figsize=(10, 11))
    timeline = report["timeline"]
    for key, label in (("accepted_per_s", "accepted (202) / s"), ("settled_per_s", "settled / s")):
        series = timeline[key]
        rates.plot(range(len(series)), series, label=label, drawstyle="steps-post")
    events = report.get("event_ids") or [report["event_id"]]
    rates.set(
        title=f"{report['mode']}: event{'s' if len(events) > 1 else ''} "
        f"{', '.join(map(str, events))}, {report['seats']} seats, {report['cpu_count']} CPUs",
        xlabel="seconds after the first request",
        ylabel="bookings / s",
    )
    rates.legend()
    latencies = [s.latency * 1000 for s in samples if s.status == ACCEPTED]
    _histogram(accept, latencies, "accept latency (POST /api/booking → 202)",
               report.get("accept_p50_ms"), report.get("accept_p99_ms"))
    _histogram(settle, settle_ms, "settle latency (created_at → updated_at, PostgreSQL)",
               report.get("settle_p50_ms"), report.get("settle_p99_ms"))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _drain(report: dict, path: Path) -> Path:
    """Drain run: accepted per second during the build; settled per 100 ms (bars) and in all
    (line) after the resume. Settles come a transaction at a time, hence the spikes."""
    fig, (build, drain) = plt.subplots(2, 1, figsize=(10, 7))
    accepted = report["timeline"]["accepted_per_s"]
    build.bar(range(len(accepted)), accepted, width=1.0, align="edge", color="tab:blue")
    build.set(title=f"drain: backlog of {report['backlog']} bookings built through the API "
              f"(consumers paused), {report['cpu_count']} CPUs",
              xlabel="seconds after the first request", ylabel="accepted (202) / s")
    settled = report["timeline"]["settled_per_100ms"]
    ticks = [i / 10 for i in range(len(settled))]
    drain.bar(ticks, settled, width=0.1, align="edge", color="tab:green")
    total = drain.twinx()
    total.plot([0.0] + [t + 0.1 for t in ticks], list(accumulate(settled, initial=0)),
               color="black")
    total.set(ylabel="settled in all (line)", ylim=(0, None))
    drain.set(title=f"drain: {report['drain_rps']} bookings/s over {report['drain_seconds']} s "
              "(first → last settle)", xlabel="seconds after the resume (SIGCONT)",
              ylabel="settled / 100 ms (bars)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
