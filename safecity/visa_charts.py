"""The visa chapter's chart: Proclamation 9645's countries, each as an index of its window average, drawn from the
frames the chapter computes (`visas.index_series`, `visas.chart_events`)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from . import charts
from .sources import state_dept_monthly
from .visas_config import KIND_LABELS, LABEL  # words of the chapter's template


#: Height of one country's panel, and of one row of the orders' labels above the panels, in pixels.
PANEL_HEIGHT = 64
LABEL_ROW = 13


def proclamation_figure(frame: pd.DataFrame, events: pd.DataFrame, text: dict[str, str]) -> charts.Figure:
    """Small multiples in one column as wide as the page's (a phone's too): each country's monthly visas as an index
    of its monthly average over the window (= 100) on one shared scale, under a strip that labels each order and
    ruling of the dates table at its date, with a rule through every panel. Its words are the record's `text`."""
    indexed = ["nonimmigrant_index", "immigrant_index"]
    drawn = frame[indexed].notna().any(axis=1)
    countries = [c for c in dict.fromkeys(frame["country"]) if c in set(frame.loc[drawn, "country"])]
    months = frame["month"]
    domain = [months.min().strftime("%Y-%m-%d"), months.max().strftime("%Y-%m-%d")]
    # Each label on its own row, in date order; labels in the later half of the span end at their rule (so none runs
    # off the right edge).
    middle = months.min() + (months.max() - months.min()) / 2
    events = pd.DataFrame({"date": events["date"].dt.strftime("%Y-%m-%d"), "label": events["label"],
                           "event": events["event"], "row": range(len(events)),
                           "side": np.where(events["date"] > middle, "right", "left")})
    plot = frame[frame["country"].isin(countries)].assign(month=frame["month"].dt.strftime("%Y-%m-%d"))
    kinds = list(KIND_LABELS.values())
    values = frame[indexed].to_numpy(dtype="float64")
    top = float(np.nanmax(values)) if (~np.isnan(values)).any() else 100.0
    x_scale = alt.Scale(domain=domain)
    y = alt.Y("index:Q", title=None, scale=alt.Scale(domain=[0, max(top, 100.0)], nice=True),
              axis=alt.Axis(tickCount=3, grid=True))
    colour = alt.Color("visas:N", scale=alt.Scale(domain=kinds, range=charts.PALETTE[:2]), title=None,
                       legend=alt.Legend(orient="top"))
    rule_style = {"color": "#777777", "strokeDash": [3, 3], "strokeWidth": 1}
    event_tip = [alt.Tooltip("date:T", title=LABEL["date"], format="%d %b %Y"), alt.Tooltip("event:N", title=LABEL["event"])]

    strip_height = LABEL_ROW * max(len(events), 1)
    strip_x = alt.X("date:T", scale=x_scale, axis=None)
    # Per date, placed in pixels (so the strip needs no y scale of its own, and the panels' shared index scale is the
    # chart's only y scale): its label on its own row, on a white halo, and its rule from that row down, so that no
    # later date's rule runs through an earlier label.
    layers = []
    for e in events.itertuples():
        one = alt.Chart(events).transform_filter(alt.datum.row == e.row)
        top = LABEL_ROW * e.row
        style = {"align": e.side, "baseline": "middle", "dx": 3 if e.side == "left" else -3,
                 "y": top + LABEL_ROW / 2, "fontSize": 10}
        label = {"x": strip_x, "text": "label:N"}
        layers += [one.mark_rule(**rule_style).encode(x=strip_x, y=alt.value(top), y2=alt.value(strip_height),
                                                      tooltip=event_tip),
                   one.mark_text(**style, color="white", stroke="white", strokeWidth=3).encode(**label),  # halo
                   one.mark_text(**style, color="#333333").encode(**label, tooltip=event_tip)]
    panels = [alt.layer(*layers).properties(width="container", height=strip_height,
                                            view=alt.ViewBackground(stroke=None))] if layers else []
    for i, name in enumerate(countries):
        last = i == len(countries) - 1
        x = alt.X("month:T", title=None, scale=x_scale,
                  axis=alt.Axis(format="%Y", tickCount="year", labelOverlap=True, grid=True, labels=last,
                                ticks=last, domain=last))
        one = alt.Chart(plot).transform_filter(alt.datum.country == name).transform_fold(
            indexed, as_=["series", "index"]).transform_calculate(
            visas=f"datum.series == 'nonimmigrant_index' ? '{kinds[0]}' : '{kinds[1]}'",
            issued="datum.series == 'nonimmigrant_index' ? datum.nonimmigrant : datum.immigrant")
        lines = one.mark_line(strokeWidth=1.5, invalid="break-paths-show-domains").encode(x=x, y=y, color=colour)
        points = one.mark_point(size=12, filled=True, opacity=0.6, invalid="break-paths-show-domains").encode(
            x=x, y="index:Q", color=colour,
            tooltip=[alt.Tooltip("country:N", title=LABEL["country"]), alt.Tooltip("month:T", title=LABEL["month"], format="%b %Y"),
                     alt.Tooltip("visas:N", title=LABEL["visas"]), alt.Tooltip("issued:Q", title=LABEL["issued"], format=","),
                     alt.Tooltip("index:Q", title=LABEL["index"], format=",.0f")])
        base = alt.Chart(pd.DataFrame({"y": [100]})).mark_rule(color="#999999").encode(y="y:Q")
        rules = alt.Chart(events).mark_rule(**rule_style).encode(x=alt.X("date:T", scale=x_scale), tooltip=event_tip)
        panels.append(alt.layer(base, rules, lines, points).properties(
            width="container", height=PANEL_HEIGHT,
            title=alt.TitleParams(name, anchor="start", fontSize=12, offset=2)))
    # One column as wide as the page's column (a phone's 342 px included): axes and padding fit inside it.
    chart = alt.vconcat(*panels, spacing=6).resolve_scale(y="shared", x="shared").properties(
        autosize={"type": "fit-x", "contains": "padding"})
    table = frame.assign(month=frame["month"].dt.strftime("%Y-%m")).astype(
        {k: "Int64" for k in state_dept_monthly.KINDS})
    return charts.Figure(chart, name="visas-proclamation-countries", text=text, data=table,
                         columns={"month": (LABEL["column_month"], "month"), "nonimmigrant": (LABEL["column_non_immigrant_visas"], "count"),
                                  "immigrant": (LABEL["column_immigrant_visas"], "count"),
                                  "nonimmigrant_index": (LABEL["column_non_immigrant_index"], "number"),
                                  "immigrant_index": (LABEL["column_immigrant_index"], "number")})
