"""Machine description and the report files: `<mode>-<timestamp>.json|.png`, `<mode>-latest.*`.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from deploy.loadtest.recorder import Sample

SERVICE_ENV = (
    "TICKETING_WORKERS", "RESERVATION_CONSUMERS", "KAFKA_PARTITIONS", "KAFKA_LINGER_MS",
    "RESERVATION_BATCH_MAX", "TICKETING_SSE_MAX_PER_ADDRESS", "TICKETING_SSE_MAX_PER_USER",
    "TICKETING_SSE_MAX_STREAMS",
)


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def machine(load_at_start: tuple[float, ...] | None = None) -> dict:
    """CPU, memory, OS, the load average when the run started (was anything else busy?) and
    the service layout the run was measured on."""
    mem_kib = _proc_field("/proc/meminfo", "MemTotal")
    return {
        "load_average_at_start": [round(x, 2) for x in load_at_start or os.getloadavg()],
        "cpu_count": os.cpu_count(),
        "cpu_model": _proc_field("/proc/cpuinfo", "model name"),
        "memory_gib": round(int(mem_kib.split()[0]) / 2**20, 1) if mem_kib else None,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "services": {k.lower(): os.environ.get(k) for k in SERVICE_ENV if os.environ.get(k)},
    }


def write(report: dict, samples: Sequence[Sample], settle_ms: Sequence[float],
          directory: Path, stamp: str) -> tuple[Path, Path | None]:
    """Write the JSON and the PNG, and copy both to `<mode>-latest.*` (a sabotaged run is
    named `<mode>-sabotage-<kind>-…`, so it never replaces the latest real figures)."""
    directory.mkdir(parents=True, exist_ok=True)
    name = report["mode"] + (f"-sabotage-{report['sabotage']}" if report.get("sabotage") else "")
    base = directory / f"{name}-{stamp}"
    png: Path | None = base.with_suffix(".png")
    try:
        from deploy.loadtest.plot import render

        render(report, samples, settle_ms, png)
    except ImportError as e:  # matplotlib missing: the JSON is what matters
        print(f"no plot: {e}", file=sys.stderr)
        png = None
    report = {**report, "plot": str(png) if png else None}
    json_path = base.with_suffix(".json")
    json_path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    latest = directory / f"{name}-latest"
    shutil.copyfile(json_path, latest.with_suffix(".json"))
    if png:
        shutil.copyfile(png, latest.with_suffix(".png"))
    return json_path, png
