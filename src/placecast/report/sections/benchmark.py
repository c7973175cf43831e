"""Section: children looked after per 10,000 against statistical neighbours, region and England."""

from __future__ import annotations

import pandas as pd

from placecast.quarter import QuarterResults
from placecast.report.charts import benchmark_chart
from placecast.report.model import Chart, Column, Section, Table
from placecast.report.sections.common import intro

ID = "benchmark"


def build(results: QuarterResults) -> Section | None:
    """Benchmarking against statistical neighbours (no section without the DfE statistics)."""
    bench = results.benchmark
    if bench is None:
        return None
    frame = bench.table
    rows = [{"year": int(r["year"]), "council": r["status"] or r["council"], "rank": None if pd.isna(r["rank"]) else
             f"{int(r['rank'])} of {int(r['of'])}", "sn": r["sn_average"], "region": r["region"],
             "england": r["england"]} for r in frame.to_dict("records")]
    latest = rows[-1]
    return Section(ID, "Benchmarking against statistical neighbours", [
        Chart("benchmark_chart", f"Children looked after per 10,000 children: {bench.council}, statistical "
                                 "neighbours, region and England",
              benchmark_chart(frame[["year", "council", "sn_average", "region", "england"]], bench.council,
                              "per 10,000 children aged 0-17"),
              f"Line chart of children looked after per 10,000 children aged 0-17 at 31 March by year for "
              f"{bench.council}, the average of its 10 statistical neighbours, {bench.region} and England. "
              f"In {latest['year']}: {bench.council} {latest['council']}, neighbours {latest['sn']}, England "
              f"{latest['england']}."),
        Table("benchmark", "Children looked after per 10,000 children aged 0-17 (DfE, 31 March)",
              [Column("year", "Year"), Column("council", bench.council, "num1"),
               Column("rank", "Rank (1 = lowest)"), Column("sn", "Statistical neighbours", "num1"),
               Column("region", bench.region, "num1"), Column("england", "England", "num1")], rows,
              f"Source: DfE, Children looked after in England including adoptions (OGL v3). Statistical neighbours "
              f"(DfE model, old codes): {', '.join(bench.neighbours_named())}. 'Not applicable': the council did not "
              f"exist that year. {results.inputs.benchmark_note}".strip()),
    ], intro(results, ID))
