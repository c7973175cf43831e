"""The forecast command a user runs, end to end, beside the peer's deterministic 12-month run (issue 16).

Placecast: ``placecast forecast RETURNS --out OUT --horizon-months 24 --runs 1000`` (import, read,
validate, assemble, fit, 1,000-run Monte Carlo, the model card's backtest, write). The peer
(cs-demand-model 0.5.1, in ``benchmarks/.peer-venv``, made by bench_model_accuracy's ``ensure_peer``):
its whole process loading the same returns (recoded to codes its default configuration knows) and
predicting 12 months ahead from a 6-month reference period, through ``peer_runner.py``.

Each measurement is a fresh process, the two interleaved (ours, peer, ours, peer, ...) so that both see
the same machine; wall time and the process's own peak memory (``wait4``'s max RSS) are recorded. The
councils are simulated once (not timed) with ``placecast synth``.

Run: ``.venv/bin/python benchmarks/bench_forecast_command.py [--runs 3] [--sizes 480 23000]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_model_accuracy import ensure_peer, peer_folder  # noqa: E402
from common import machine, median, update_results  # noqa: E402

from placecast.model.settings import DEFAULT_BACKTEST_RUNS  # noqa: E402

HERE = Path(__file__).parent
PLACECAST = Path(sys.executable).with_name("placecast")
TARGETS = {"typical": 5.0, "large": 3.0}


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one process running ``cmd`` to the end (it must succeed)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {proc.stderr.read().decode()[-2000:] if proc.stderr else ''}")
    return wall, usage.ru_maxrss / 1024


def measure(size: int, runs: int, peer_python: Path, tmp: Path) -> dict:
    returns = tmp / f"returns{size}"
    subprocess.run([str(PLACECAST), "-q", "synth", "--out", str(returns), "--children-in-care", str(size),
                    "--seed", "3"], check=True, stdout=subprocess.DEVNULL)
    peer_in = peer_folder(returns, date(2025, 3, 31), tmp / f"peer{size}")
    ours_cmd = [str(PLACECAST), "-q", "forecast", str(returns), "--out", str(tmp / f"out{size}"),
                "--horizon-months", "24", "--runs", "1000"]
    peer_cmd = [str(peer_python), str(HERE / "peer_runner.py"), str(peer_in), "6", "365", "2026-03-31"]
    ours, peer = [], []
    for _ in range(runs):
        ours.append(timed(ours_cmd))
        peer.append(timed(peer_cmd))
    in_care = _in_care(tmp / f"out{size}")
    return {"size": size, "in_care": in_care, "ours": ours, "peer": peer}


def _in_care(out: Path) -> int:
    import pandas as pd

    table = pd.read_csv(out / "forecast.csv")
    first = table[(table["date"] == table["date"].min()) & (table["category"] == "total")]
    return int(round(float(first["mean"].iloc[0])))


def row(m: dict, kind: str) -> tuple[str, bool]:
    ours = median([w for w, _ in m["ours"]])
    peer = median([w for w, _ in m["peer"]])
    mem = max(p for _, p in m["ours"])
    target = TARGETS[kind]
    ok = peer / ours >= target and mem < 2048
    runs = ", ".join(f"{w:.2f}" for w, _ in m["ours"])
    peer_runs = ", ".join(f"{w:.2f}" for w, _ in m["peer"])
    line = (f"| {m['in_care']:,} | **{ours:.2f} s** ({runs}) | {mem:,.0f} MB | {peer:.2f} s ({peer_runs}) | "
            f"{max(p for _, p in m['peer']):,.0f} MB | **{peer / ours:.2f}x** | at least {target:g}x, under 2 GB: "
            f"{'met' if ok else 'MISSED'} |")
    return line, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[480, 23000])
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    args = parser.parse_args()
    peer_python = ensure_peer()
    with tempfile.TemporaryDirectory() as tmp:
        results = [measure(size, args.runs, peer_python, Path(tmp)) for size in args.sizes]
    lines = [row(m, "typical" if m["size"] < 5000 else "large")[0] for m in results]
    body = f"""## The forecast command beside the peer (issue 16)

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_forecast_command.py --runs {args.runs}`; each figure is the
  median of {args.runs} fresh processes, ours and the peer's interleaved. Ours: `placecast forecast RETURNS
  --horizon-months 24 --runs 1000` (import, read, validate with every rule, assemble, fit, project, the
  model card's backtest at each origin, {DEFAULT_BACKTEST_RUNS} runs each, write). Peer: cs-demand-model 0.5.1's whole process,
  loading the same 5 yearly returns and predicting 12 months (365 days) from a 6-month reference period.
  Synthetic councils from `placecast synth --seed 3`.

| children in care at the start | Placecast command (runs) | peak memory | peer 12-month run (runs) | peer memory | peer / ours | target |
|---|---|---|---|---|---|---|
{chr(10).join(lines)}
"""
    print(body)
    if not args.no_write:
        update_results("forecast-command", body)


if __name__ == "__main__":
    main()
