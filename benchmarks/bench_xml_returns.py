"""Returns in the DfE's XML form beside the same returns as CSV tables: `placecast validate` on each, the whole
command (import, read, every rule), for a typical council and a large one.

The data is simulated and written both ways once (not timed); each timed run is a fresh `placecast validate`
process, the two forms interleaved, so that the machine's drift falls on both alike.

Run: ``.venv/bin/python benchmarks/bench_xml_returns.py [--runs 3] [--no-write]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, median, update_results  # noqa: E402

from placecast.ssda903 import read_returns  # noqa: E402
from placecast.ssda903.xml_return import xml_from_tables  # noqa: E402
from placecast.synth import SynthSettings, simulate, write_returns  # noqa: E402

PLACECAST = Path(sys.executable).with_name("placecast")


def both_forms(root: Path, children: int) -> tuple[Path, Path, int]:
    """The council's returns as CSV tables and as one XML file a year; its children in care at the end."""
    made = write_returns(simulate(SynthSettings(children_in_care=children, years=5, end_year=2025, seed=3)),
                         root / "csv")
    for year in sorted(p for p in (root / "csv").iterdir() if p.name.isdigit()):
        tables = {t.table: t.data for t in read_returns([year]).tables}
        (root / "xml" / year.name).mkdir(parents=True)
        (root / "xml" / year.name / "return.xml").write_bytes(xml_from_tables(tables))
    return root / "csv", root / "xml", made["children_in_care_at_end"]


def timed(folder: Path) -> tuple[float, float]:
    """Seconds and peak memory (MB, as GNU time reports the process's maximum resident set) of one
    `placecast validate` process."""
    start = time.perf_counter()
    done = subprocess.run(["/usr/bin/time", "-f", "%M", str(PLACECAST), "validate", str(folder)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    return seconds, int(done.stderr.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-write", action="store_true", help="Do not update RESULTS.md.")
    args = parser.parse_args()
    rows = []
    for children in (480, 23_000):
        with tempfile.TemporaryDirectory() as tmp:
            csv_folder, xml_folder, now = both_forms(Path(tmp), children)
            mb = sum(p.stat().st_size for p in xml_folder.rglob("*.xml")) / 1e6
            times: dict[str, list[float]] = {"csv": [], "xml": []}
            peak: dict[str, float] = {"csv": 0.0, "xml": 0.0}
            for _ in range(args.runs):
                for form, folder in (("csv", csv_folder), ("xml", xml_folder)):
                    seconds, mem = timed(folder)
                    times[form].append(seconds)
                    peak[form] = max(peak[form], mem)
            rows.append("| " + " | ".join([f"{now:,}", *(
                f"{median(times[f]):.2f} s ({', '.join(f'{t:.2f}' for t in times[f])}), {peak[f]:,.0f} MB"
                for f in ("csv", "xml")), f"{mb:.0f} MB"]) + " |")
    body = f"""## SSDA903 returns in the DfE's XML form beside CSV tables

- Date: {date.today().isoformat()}; machine: {machine()}
- Command: `.venv/bin/python benchmarks/bench_xml_returns.py --runs {args.runs}`; each figure is the median of
  {args.runs} fresh `placecast validate RETURNS` processes (import, read, every rule), the two forms
  interleaved. Synthetic councils (`placecast synth --seed 3`), five yearly returns written both ways.

| children in care at the end | CSV tables: time (runs), peak memory | XML, one file a year: time (runs), peak memory | size of the XML |
|---|---|---|---|
{chr(10).join(rows)}
"""
    print(body)
    if not args.no_write:
        update_results("xml-returns", body)


if __name__ == "__main__":
    main()
