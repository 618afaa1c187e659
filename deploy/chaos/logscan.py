"""Error lines the services wrote during one scenario (what the report shows under it)."""

from __future__ import annotations

from pathlib import Path

MARKERS = ("Traceback", " ERROR ", "CRITICAL")
EXPECTED = ("GroupCoordinatorNotAvailable",)  # a fresh broker's start-up transient
SHOWN = 5


class LogScan:
    """Remembers how long each service log in `logs` was, to read only what came after."""

    def __init__(self, logs: Path):
        self.logs = logs
        self.offsets = {p: p.stat().st_size for p in logs.glob("*.log")}

    def errors(self) -> list[str]:
        """Up to SHOWN error lines written since, each with its file, and a count per file."""
        shown: list[str] = []
        counts: dict[str, int] = {}
        for path in sorted(self.logs.glob("*.log")):
            with path.open("rb") as f:
                f.seek(self.offsets.get(path, 0))
                text = f.read().decode(errors="replace")
            hits = [ln for ln in text.splitlines()
                    if any(m in ln for m in MARKERS) and not any(e in ln for e in EXPECTED)]
            if hits:
                counts[path.name] = len(hits)
                shown += [f"{path.name}: {ln[:200]}" for ln in hits[:SHOWN - len(shown)]]
        summary = [f"{name}: {n} error line(s)" for name, n in counts.items()]
        return summary + shown
