"""Shared helpers for benchmark scripts: machine facts, timing in subprocesses, peak memory."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}, {platform.system()}"


def run_measured(code: str, runs: int) -> list[dict]:
    """Run ``code`` (which prints one JSON object) in fresh interpreters; add each run's peak RSS."""
    wrapper = (
        "import json, resource, sys\n"
        f"{code}\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n"
        "result['peak_mb'] = peak\n"
        "print(json.dumps(result))\n"
    )
    out = []
    for _ in range(runs):
        proc = subprocess.run([sys.executable, "-c", wrapper], capture_output=True, text=True, check=True)
        out.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return out


def median(values: list[float]) -> float:
    return statistics.median(values)


def update_results(section: str, body: str, path: Path = Path(__file__).with_name("RESULTS.md")) -> None:
    """Replace (or add) the block between ``<!-- section -->`` markers in RESULTS.md."""
    start, end = f"<!-- {section} -->", f"<!-- /{section} -->"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmark results\n"
    block = f"{start}\n{body.rstrip()}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end):]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    path.write_text(text, encoding="utf-8")
