"""Runs the peer model (cs-demand-model 0.5.1) in its own virtual environment; prints JSON.

Usage (with the peer's interpreter): python peer_runner.py FOLDER REFERENCE_MONTHS PREDICTION_DAYS DATE...
Prints counts by the peer's placement category at each DATE, and the seconds taken.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from dateutil.relativedelta import relativedelta


def main() -> None:
    folder, ref_months, days = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    dates = [pd.Timestamp(d) for d in sys.argv[4:]]
    t0 = time.perf_counter()
    from cs_demand_model import DemandModellingDataContainer, ModelPredictor, PopulationStats
    from cs_demand_model.config import Config
    from cs_demand_model.datastore import fs_datastore

    config = Config()
    dc = DemandModellingDataContainer(fs_datastore(folder), config)
    stats = PopulationStats(dc.enriched_view, config)
    end = pd.Timestamp(dc.end_date)
    start = end - relativedelta(months=ref_months)
    t1 = time.perf_counter()
    predictor = ModelPredictor.from_model(stats, start, end)
    predicted = predictor.predict(days)
    t2 = time.perf_counter()
    out = {}
    for d in dates:
        row = predicted.loc[predicted.index[predicted.index.get_indexer([d], method="nearest")[0]]]
        by_cat: dict[str, float] = {}
        for key, value in row.items():
            cat = key[-1] if isinstance(key, tuple) else str(key)
            by_cat[str(cat)] = by_cat.get(str(cat), 0.0) + float(value)
        out[d.date().isoformat()] = by_cat
    print(json.dumps({"end": str(end.date()), "load_s": t1 - t0, "predict_s": t2 - t1, "counts": out}))


if __name__ == "__main__":
    main()
