"""Chart specifications, written once with Altair (Vega-Lite) and rendered for every format.

Data are inline (never a URL), colours are from a palette with enough contrast on white, and every
chart has alt text in the report model.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

BLUE = "#1f4e79"
BAND = "#9dc3e6"
ORANGE = "#b34700"
GREY = "#595959"
FONT = "DejaVu Sans, Arial, sans-serif"


def _spec(chart: alt.TopLevelMixin) -> dict:
    spec = chart.configure(font=FONT).configure_view(stroke=None).to_dict()
    spec.pop("$schema", None)  # a string, never fetched; dropped so the report names no external address
    return spec


def children_chart(frame: pd.DataFrame, categories: list[str], labels: dict[str, str]) -> dict:
    """Actual counts (past, when there are any) and forecast mean with 80% and 90% bands (future), small
    multiples by category.

    ``frame``: date (ISO), category, kind ('actual' or 'forecast'), mean, p05, p10, p90, p95.
    """
    data = frame.copy()
    data["label"] = data["category"].map(labels).fillna(data["category"])
    order = [labels.get(c, c) for c in categories]
    base = alt.Chart(data).encode(x=alt.X("date:T", title=None, axis=alt.Axis(format="%b %y", labelAngle=0,
                                                                              tickCount=4)))
    fc = base.transform_filter(alt.datum.kind == "forecast")
    band90 = fc.mark_area(color=BAND, opacity=0.35).encode(y=alt.Y("p05:Q", title="children"), y2="p95:Q")
    band80 = fc.mark_area(color=BAND, opacity=0.7).encode(y="p10:Q", y2="p90:Q")
    line = fc.mark_line(color=BLUE, strokeDash=[4, 2]).encode(
        y="mean:Q", tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "label:N",
                             alt.Tooltip("mean:Q", format=",.0f", title="forecast (mean)"),
                             alt.Tooltip("p10:Q", format=",.0f", title="P10"),
                             alt.Tooltip("p90:Q", format=",.0f", title="P90")])
    actual = base.transform_filter(alt.datum.kind == "actual").mark_line(color=GREY, point=True).encode(
        y="mean:Q", tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "label:N",
                             alt.Tooltip("mean:Q", format=",.0f", title="children in care")])
    layers = [band90, band80, line, actual] if (data["kind"] == "actual").any() else [band90, band80, line]
    # (a layer without data leaves empty marks that screen readers are given without a name)
    chart = alt.layer(*layers).properties(width=200, height=110).facet(
        facet=alt.Facet("label:N", title=None, sort=order), columns=4
    ).resolve_scale(y="independent")
    return _spec(chart)


def cost_chart(frame: pd.DataFrame, labels: dict[str, str], unit: str = "£000", pounds: float = 1000.0) -> dict:
    """Placement cost by financial year: mean stacked by category, with the P10-P90 range of the total,
    in the report's money unit (``unit``, ``pounds`` to one unit).

    ``frame``: financial_year, category, mean_gbp, p10_gbp, p90_gbp (rows with category 'total' give the range).
    """
    fmt = ",.0f" if pounds <= 1000 else ",.1f"
    parts = frame[frame["category"] != "total"].copy()
    parts["label"] = parts["category"].map(labels).fillna(parts["category"])
    parts["mean_u"] = parts["mean_gbp"].astype(float) / pounds
    total = frame[frame["category"] == "total"].copy()
    total["p10_u"] = total["p10_gbp"].astype(float) / pounds
    total["p90_u"] = total["p90_gbp"].astype(float) / pounds
    bars = alt.Chart(parts).mark_bar().encode(
        x=alt.X("financial_year:N", title="financial year", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("sum(mean_u):Q", title=f"{unit} (mean)"),
        color=alt.Color("label:N", title="placement", scale=alt.Scale(scheme="tableau10")),
        tooltip=["financial_year:N", "label:N", alt.Tooltip("mean_u:Q", format=fmt, title=unit)])
    rng = alt.Chart(total).mark_rule(color="black", strokeWidth=2).encode(
        x="financial_year:N", y="p10_u:Q", y2="p90_u:Q",
        tooltip=["financial_year:N", alt.Tooltip("p10_u:Q", format=fmt, title=f"P10 {unit}"),
                 alt.Tooltip("p90_u:Q", format=fmt, title=f"P90 {unit}")])
    return _spec(alt.layer(bars, rng).properties(width=420, height=240))


def avoidance_chart(frame: pd.DataFrame, unit: str = "£000") -> dict:
    """Planned against realised cost avoidance by intervention, in the report's money unit, the realised
    bar with its 80% interval; zero is the frozen baseline (``frame``: intervention, planned_k, realised_k
    and, optionally, p10_k and p90_k, in that unit)."""
    long = frame.melt(id_vars=["intervention"], value_vars=["planned_k", "realised_k"], var_name="which",
                      value_name="k")
    long["which"] = long["which"].map({"planned_k": "planned", "realised_k": "realised"})
    bars = alt.Chart(long).mark_bar().encode(
        y=alt.Y("intervention:N", title=None),
        yOffset="which:N",
        x=alt.X("k:Q", title=f"{unit} (0 = the frozen baseline)"),
        color=alt.Color("which:N", title=None, scale=alt.Scale(domain=["planned", "realised"],
                                                                range=[BAND, BLUE])),
        tooltip=["intervention:N", "which:N", alt.Tooltip("k:Q", format=",.1f", title=unit)],
    )
    layers = [bars]
    if "p10_k" in frame:
        ranges = frame.assign(which="realised")
        layers.append(alt.Chart(ranges).mark_rule(color="black", strokeWidth=2).encode(
            y="intervention:N", yOffset="which:N", x="p10_k:Q", x2="p90_k:Q",
            tooltip=["intervention:N", alt.Tooltip("p10_k:Q", format=",.1f", title=f"P10 {unit}"),
                     alt.Tooltip("p90_k:Q", format=",.1f", title=f"P90 {unit}")]))
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color=GREY, strokeDash=[3, 3]).encode(x="x:Q")
    return _spec(alt.layer(*layers, zero).properties(width=420, height=alt.Step(14)))


def benchmark_chart(frame: pd.DataFrame, council: str, measure: str) -> dict:
    """A published measure over the years: the council, its statistical neighbours' average, region, England."""
    long = frame.rename(columns={"council": council, "sn_average": "statistical neighbours",
                                 "region": "region", "england": "England"})
    series = [council, "statistical neighbours", "region", "England"]
    long = long.melt(id_vars=["year"], value_vars=series, var_name="series", value_name="value").dropna()
    long["value"] = long["value"].astype(float)
    chart = alt.Chart(long).mark_line(point=True).encode(
        x=alt.X("year:O", title="year (31 March)"),
        y=alt.Y("value:Q", title=measure, scale=alt.Scale(zero=False)),
        color=alt.Color("series:N", title=None, sort=series,
                        scale=alt.Scale(domain=series, range=[BLUE, ORANGE, "#2e7d32", GREY])),
        strokeDash=alt.StrokeDash("series:N", sort=series, legend=None),
        tooltip=["year:O", "series:N", alt.Tooltip("value:Q", format=",.1f")],
    ).properties(width=420, height=220)
    return _spec(chart)
