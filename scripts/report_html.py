"""One self-contained HTML report of the published warehouse (`python -m scripts report --format html`):
every chart is inline SVG written here from aggregates DuckDB computes, so the file needs no JavaScript,
no CDN and no network, and opens the same offline in any browser or mail client.

Each query aggregates in DuckDB and returns at most a few hundred rows, so the report costs the same at
1M customers as at 2,000; the one exception, churn calibration, scores a fixed-size sample. A mart that
is empty (no campaigns, no CRM) still gets its chart, with a "no data" note. Every label is HTML-escaped:
segment names come from a seed users edit.
"""
from __future__ import annotations

import datetime as dt
import html
import importlib.util
import math
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STAGES = ["new", "active", "reactivated", "at_risk", "lapsed", "churned"]
# Okabe-Ito: distinguishable with the common colour-vision deficiencies and in grey print
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999"]
STAGE_COLOURS = dict(zip(["prospect", *STAGES], ["#999999", "#56B4E9", "#009E73", "#0072B2", "#E69F00", "#D55E00", "#CC79A7"]))
RISK_COLOURS = {"low": "#009E73", "medium": "#F0E442", "high": "#E69F00", "very_high": "#D55E00"}
# viridis stops: a sequential scale that stays ordered in grey and for colour-blind readers
VIRIDIS = [(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)]
# scoring every labelled customer-month of 1M customers would take about a minute; a decile of a
# 100,000-row sample holds 10,000 rows, so its observed churn share is off by at most half a point (1 SE)
CALIBRATION_SAMPLE_ROWS = 100_000
CALIBRATION_MONTHS = 3
WIDTH = 900
MARGIN = {"left": 80, "right": 30, "top": 40, "bottom": 60}


def esc(value) -> str:
    return html.escape(str(value), quote=True)


def compact(value: float) -> str:
    """1234 -> 1.2k: tick and cell labels stay short whatever the warehouse's scale."""
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            return f"{value / limit:.1f}{suffix}"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.2f}"


def percent(value: float, digits: int = 1) -> str:
    return f"{100 * value:.{digits}f} %"


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / count
    step = 10 ** math.floor(math.log10(raw))
    step *= next(m for m in (1, 2, 2.5, 5, 10) if raw <= step * m)
    first = math.floor(lo / step) * step
    return [round(first + i * step, 12) for i in range(int(math.ceil((hi - first) / step)) + 1)]


def viridis(share: float) -> str:
    share = min(max(share, 0.0), 1.0) * (len(VIRIDIS) - 1)
    i = min(int(share), len(VIRIDIS) - 2)
    t = share - i
    r, g, b = (round(a + (c - a) * t) for a, c in zip(VIRIDIS[i], VIRIDIS[i + 1]))
    return f"#{r:02x}{g:02x}{b:02x}"


class Chart:
    """An <svg data-chart=name> with its <title>; parts are appended as SVG strings."""

    def __init__(self, name: str, title: str, height: int, width: int = WIDTH):
        self.name, self.title, self.width, self.height = name, title, width, height
        self.parts: list[str] = []
        self.left, self.top = MARGIN["left"], MARGIN["top"]
        self.right, self.bottom = width - MARGIN["right"], height - MARGIN["bottom"]

    def add(self, part: str) -> None:
        self.parts.append(part)

    def text(self, x: float, y: float, label, anchor: str = "middle", size: int = 12, extra: str = "") -> None:
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" {extra}>{esc(label)}</text>')

    def rect(self, x: float, y: float, w: float, h: float, fill: str, tip: str = "") -> None:
        tooltip = f"<title>{esc(tip)}</title>" if tip else ""
        self.add(f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" fill="{fill}">{tooltip}</rect>')

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = "#333", extra: str = "") -> None:
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" {extra}/>')

    def axis_labels(self, x_label: str, y_label: str) -> None:
        self.text((self.left + self.right) / 2, self.height - 12, x_label, extra='class="axis-label"')
        cy = (self.top + self.bottom) / 2
        self.text(18, cy, y_label, extra=f'class="axis-label" transform="rotate(-90 18 {cy:.1f})"')

    def y_axis(self, lo: float, hi: float, fmt=compact) -> callable:
        """Grid lines and tick labels of a linear y axis; returns value -> pixel."""
        ticks = nice_ticks(lo, hi)
        lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

        def scale(v: float) -> float:
            return self.bottom - (v - lo) / (hi - lo) * (self.bottom - self.top)
        for t in ticks:
            self.line(self.left, scale(t), self.right, scale(t), "#ddd")
            self.text(self.left - 6, scale(t) + 4, fmt(t), anchor="end", size=11)
        self.line(self.left, self.bottom, self.right, self.bottom)
        self.line(self.left, self.top, self.left, self.bottom)
        return scale

    def x_axis(self, lo: float, hi: float, fmt=compact) -> callable:
        ticks = nice_ticks(lo, hi)
        lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])

        def scale(v: float) -> float:
            return self.left + (v - lo) / (hi - lo) * (self.right - self.left)
        for t in ticks:
            self.line(scale(t), self.top, scale(t), self.bottom, "#ddd")
            self.text(scale(t), self.bottom + 16, fmt(t), size=11)
        self.line(self.left, self.bottom, self.right, self.bottom)
        self.line(self.left, self.top, self.left, self.bottom)
        return scale

    def legend_layout(self, items: list[tuple[str, str]]) -> list[tuple[float, float, str, str]]:
        placed, x, y = [], self.left, 12
        for label, colour in items:
            width = 28 + 6.5 * len(str(label))
            if x + width > self.width and x > self.left:
                x, y = self.left, y + 18
            placed.append((x, y, label, colour))
            x += width
        return placed

    def reserve_legend(self, items: list[tuple[str, str]]) -> None:
        """Moves the plot down by the legend's extra rows; call before drawing axes."""
        rows = len({y for _, y, _, _ in self.legend_layout(items)})
        self.top = MARGIN["top"] + 18 * (rows - 1)

    def legend(self, items: list[tuple[str, str]]) -> None:
        for x, y, label, colour in self.legend_layout(items):
            self.rect(x, y, 12, 12, colour)
            self.text(x + 16, y + 10, label, anchor="start", size=11)

    def svg(self) -> str:
        """The chart in a <figure> whose caption is its title, so the page shows which chart is which."""
        return (
            f'<figure><figcaption>{esc(self.title)}</figcaption><svg data-chart="{esc(self.name)}" xmlns="http://www.w3.org/2000/svg" role="img" '
            f'aria-labelledby="{esc(self.name)}-title" viewBox="0 0 {self.width} {self.height}" '
            f'width="{self.width}" height="{self.height}" font-family="sans-serif">'
            f'<title id="{esc(self.name)}-title">{esc(self.title)}</title>' + "".join(self.parts) + "</svg></figure>"
        )


def no_data(name: str, title: str, reason: str, height: int = 160) -> str:
    chart = Chart(name, title, height)
    chart.rect(chart.left, chart.top, chart.right - chart.left, chart.bottom - chart.top, "#f4f4f4")
    chart.text((chart.left + chart.right) / 2, (chart.top + chart.bottom) / 2 + 5, f"no data: {reason}",
               size=14, extra='class="no-data"')
    return chart.svg()


def heatmap(name: str, title: str, cells: dict[tuple[int, int], float], x_label: str, y_label: str,
            fmt=compact, empty: str = "no customers with a purchase") -> str:
    """A 5 x 5 grid of RFM scores (x = recency, y = frequency), coloured by value."""
    if not cells:
        return no_data(name, title, empty)
    chart = Chart(name, title, 460, width=520)
    side = min((chart.right - chart.left), (chart.bottom - chart.top)) / 5
    top_value = max(max(cells.values()), 0) or 1  # a cell of refunds only can be negative
    for x in range(1, 6):
        chart.text(chart.left + (x - 0.5) * side, chart.top + 5 * side + 16, x, size=11)
    for y in range(1, 6):
        chart.text(chart.left - 8, chart.top + (5.5 - y) * side + 4, y, anchor="end", size=11)
    for (x, y), value in cells.items():
        share = value / top_value
        px, py = chart.left + (x - 1) * side, chart.top + (5 - y) * side
        chart.rect(px + 1, py + 1, side - 2, side - 2, viridis(share), f"R{x} F{y}: {fmt(value)}")
        chart.text(px + side / 2, py + side / 2 + 4, fmt(value), size=12, extra=f'fill="{"#000" if share > 0.55 else "#fff"}"')
    chart.text(chart.left + 5 * side + 12, chart.top + 10, f"max {fmt(top_value)}", anchor="start", size=11)
    for i in range(5):
        chart.rect(chart.left + 5 * side + 12, chart.top + 20 + i * 24, 20, 24, viridis(1 - i / 4))
    chart.text(chart.left + 5 * side / 2, chart.top + 5 * side + 40, x_label, extra='class="axis-label"')
    cy = chart.top + 5 * side / 2
    chart.text(18, cy, y_label, extra=f'class="axis-label" transform="rotate(-90 18 {cy:.1f})"')
    return chart.svg()


def horizontal_bars(name: str, title: str, labels: list[str], values: list[float], x_label: str,
                    empty: str, colour: str = PALETTE[0], fmt=compact) -> str:
    if not labels:
        return no_data(name, title, empty)
    chart = Chart(name, title, 80 + 26 * len(labels))
    chart.left = 220
    scale = chart.x_axis(0, max(values) or 1)
    band = (chart.bottom - chart.top) / len(labels)
    for i, (label, value) in enumerate(zip(labels, values)):
        y = chart.top + i * band
        chart.rect(scale(0), y + 3, scale(value) - scale(0), band - 6, colour, f"{label}: {fmt(value)}")
        chart.text(chart.left - 8, y + band / 2 + 4, label, anchor="end", size=12)
        chart.text(scale(value) + 4, y + band / 2 + 4, fmt(value), anchor="start", size=11)
    chart.text((chart.left + chart.right) / 2, chart.height - 12, x_label, extra='class="axis-label"')
    return chart.svg()


def stacked_columns(name: str, title: str, categories: list[str], series: list[tuple[str, str, list[float]]],
                    x_label: str, y_label: str, empty: str, fmt=compact, tick_every: int = 1) -> str:
    """Columns per category, each stacked from the series (label, colour, values)."""
    if not categories:
        return no_data(name, title, empty)
    chart = Chart(name, title, 380)
    if len(series) > 1:
        chart.reserve_legend([(label, colour) for label, colour, _ in series])
    totals = [sum(values[i] for _, _, values in series) for i in range(len(categories))]
    scale = chart.y_axis(0, max(totals) or 1, fmt)
    band = (chart.right - chart.left) / len(categories)
    for i, category in enumerate(categories):
        base = 0.0
        for label, colour, values in series:
            if values[i] > 0:
                chart.rect(chart.left + i * band + 1, scale(base + values[i]), band - 2,
                           scale(base) - scale(base + values[i]), colour, f"{category} {label}: {fmt(values[i])}")
            base += values[i]
        if i % tick_every == 0:
            chart.text(chart.left + (i + 0.5) * band, chart.bottom + 16, category, size=10)
    if len(series) > 1:
        chart.legend([(label, colour) for label, colour, _ in series])
    chart.axis_labels(x_label, y_label)
    return chart.svg()


def lines(name: str, title: str, categories: list[str], series: list[tuple[str, list[float | None]]],
          x_label: str, y_label: str, empty: str, fmt=compact, tick_every: int = 1) -> str:
    present = [v for _, values in series for v in values if v is not None]
    if not categories or not present:
        return no_data(name, title, empty)
    chart = Chart(name, title, 400)
    items = [(label, PALETTE[k % len(PALETTE)]) for k, (label, _) in enumerate(series)]
    chart.reserve_legend(items)
    scale = chart.y_axis(0, max(present) or 1, fmt)
    step = (chart.right - chart.left) / max(len(categories) - 1, 1)
    for i, category in enumerate(categories):
        if i % tick_every == 0:
            chart.text(chart.left + i * step, chart.bottom + 16, category, size=10)
    for k, (label, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        dash = "" if k < len(PALETTE) else 'stroke-dasharray="5 3"'
        points = [(chart.left + i * step, scale(v)) for i, v in enumerate(values) if v is not None]
        path = " ".join(f"{'M' if j == 0 else 'L'}{x:.1f},{y:.1f}" for j, (x, y) in enumerate(points))
        chart.add(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2" {dash}><title>{esc(label)}</title></path>')
    chart.legend(items)
    chart.axis_labels(x_label, y_label)
    return chart.svg()


def flow(name: str, title: str, links: list[tuple[str, str, int]], empty: str) -> str:
    """Two-column flow (Sankey) of stage changes: bands from a stage on the left to one on the right,
    as wide as the customers who moved."""
    links = [link for link in links if link[2] > 0]
    if not links:
        return no_data(name, title, empty)
    chart = Chart(name, title, 460)
    order = ["prospect", *STAGES]
    rank = {stage: i for i, stage in enumerate(order)}

    def ordered(stages):
        return sorted(set(stages), key=lambda s: (rank.get(s, len(order)), s))
    sources, targets = ordered(f for f, _, _ in links), ordered(t for _, t, _ in links)
    total = sum(n for _, _, n in links)
    gap = 8
    usable = chart.bottom - chart.top - gap * (max(len(sources), len(targets)) - 1)
    unit = usable / total
    x0, x1, node_w = chart.left + 60, chart.right - 110, 14

    def place(stages, side):
        offsets, y = {}, chart.top
        for stage in stages:
            height = unit * sum(n for f, t, n in links if (f if side == 0 else t) == stage)
            offsets[stage] = y
            x = x0 - node_w if side == 0 else x1
            chart.rect(x, y, node_w, height, STAGE_COLOURS.get(stage, PALETTE[8]), f"{stage}: {compact(height / unit)}")
            label_x = x - 6 if side == 0 else x + node_w + 6
            chart.text(label_x, y + height / 2 + 4, f"{stage} ({compact(height / unit)})",
                       anchor="end" if side == 0 else "start", size=11)
            y += height + gap
        return offsets
    out_y, in_y = place(sources, 0), place(targets, 1)
    for source, target, count in sorted(links, key=lambda k: (rank.get(k[0], 99), rank.get(k[1], 99))):
        width = unit * count
        ya, yb = out_y[source] + width / 2, in_y[target] + width / 2
        out_y[source] += width
        in_y[target] += width
        mid = (x0 + x1) / 2
        chart.add(
            f'<path d="M{x0:.1f},{ya:.1f} C{mid:.1f},{ya:.1f} {mid:.1f},{yb:.1f} {x1:.1f},{yb:.1f}" fill="none" '
            f'stroke="{STAGE_COLOURS.get(target, PALETTE[8])}" stroke-opacity="0.45" stroke-width="{max(width, 0.5):.1f}">'
            f"<title>{esc(source)} to {esc(target)}: {count:,}</title></path>"
        )
    chart.text(x0 - node_w, chart.bottom + 24, "stage at the month end before", anchor="middle", extra='class="axis-label"')
    chart.text(x1, chart.bottom + 24, "stage entered", anchor="middle", extra='class="axis-label"')
    return chart.svg()


def calibration_chart(name: str, title: str, deciles: list[tuple[float, float, int]], empty: str) -> str:
    if not deciles:
        return no_data(name, title, empty)
    chart = Chart(name, title, 460, width=560)
    xs = chart.x_axis(0, 1, percent_tick)
    ys = chart.y_axis(0, 1, percent_tick)
    chart.line(xs(0), ys(0), xs(1), ys(1), "#999", 'stroke-dasharray="4 4"')
    points = " ".join(f"{xs(p):.1f},{ys(o):.1f}" for p, o, _ in deciles)
    chart.add(f'<polyline points="{points}" fill="none" stroke="{PALETTE[0]}" stroke-width="2"/>')
    for i, (predicted, observed, n) in enumerate(deciles, 1):
        chart.add(f'<circle cx="{xs(predicted):.1f}" cy="{ys(observed):.1f}" r="5" fill="{PALETTE[0]}">'
                  f"<title>decile {i}: predicted {percent(predicted)}, observed {percent(observed)}, {n:,} customer-months</title></circle>")
    chart.legend([("score decile", PALETTE[0]), ("perfect calibration", "#999")])
    chart.axis_labels("mean predicted churn probability", "observed churn share")
    return chart.svg()


def percent_tick(value: float) -> str:
    return f"{100 * value:.0f} %"


def lift_over_time(name: str, title: str, rows: list[tuple[str, str, dt.date, float, float, float]], empty: str) -> str:
    """One mark per campaign at its start date: the lift as a dot and its 95 % interval as a vertical bar,
    coloured by channel, filled when the interval excludes zero. The chart keeps its height at any number
    of campaigns; each mark's tooltip names its campaign."""
    if not rows:
        return no_data(name, title, empty)
    chart = Chart(name, title, 420)
    channels = sorted({r[1] for r in rows})
    colours = {c: PALETTE[k % len(PALETTE)] for k, c in enumerate(channels)}
    items = [(c, colours[c]) for c in channels] + [("hollow: interval includes 0", PALETTE[8])]
    chart.reserve_legend(items)
    first = min(r[2] for r in rows)
    days = [(r[2] - first).days for r in rows]
    lo, hi = -15, max(days) + 15

    def xs(day: float) -> float:
        return chart.left + (day - lo) / (hi - lo) * (chart.right - chart.left)
    # ticks on month starts, every `step` months so that at most 8 are labelled
    month = dt.date(first.year, first.month, 1)
    months = (max(r[2] for r in rows).year - month.year) * 12 + max(r[2] for r in rows).month - month.month + 1
    step = max(1, math.ceil(months / 8))
    for k in range(0, months + 1, step):
        tick = dt.date(month.year + (month.month - 1 + k) // 12, (month.month - 1 + k) % 12 + 1, 1)
        x = xs((tick - first).days)
        if chart.left <= x <= chart.right:
            chart.line(x, chart.top, x, chart.bottom, "#ddd")
            chart.text(x, chart.bottom + 16, tick.strftime("%Y-%m"), size=11)
    ys = chart.y_axis(min(0.0, *(r[4] for r in rows)), max(0.0, *(r[5] for r in rows)), lambda v: f"{100 * v:+.1f}")
    chart.line(chart.left, ys(0), chart.right, ys(0), "#000", 'stroke-width="1.5"')
    for (label, channel, _, estimate, lower, upper), day in zip(rows, days):
        x, colour = xs(day), colours[channel]
        chart.line(x, ys(lower), x, ys(upper), colour, 'stroke-width="1.5" stroke-opacity="0.7"')
        fill = colour if lower > 0 or upper < 0 else "#fff"
        chart.add(f'<circle cx="{x:.1f}" cy="{ys(estimate):.1f}" r="4" fill="{fill}" stroke="{colour}" stroke-width="1.5">'
                  f"<title>{esc(label)}: {100 * estimate:+.2f} points (95 % interval {100 * lower:+.2f} to "
                  f"{100 * upper:+.2f})</title></circle>")
    chart.legend(items)
    chart.axis_labels("campaign start date", "absolute lift (percentage points)")
    return chart.svg()


# ---- data: one aggregate query per chart -------------------------------------------------------------

def rfm_cells(con) -> tuple[dict, dict]:
    rows = con.execute(
        """
        select recency_score, frequency_score, count(*), coalesce(sum(monetary_window), 0)
        from marketing.customer_rfm
        where recency_score is not null and frequency_score is not null
        group by all
        """
    ).fetchall()
    return ({(r, f): n for r, f, n, _ in rows}, {(r, f): float(v) for r, f, _, v in rows})


def month_label(value) -> str:
    return str(value)[:7]


def lifecycle_series(con) -> tuple[list[str], list[tuple[str, str, list[float]]]]:
    rows = con.execute(
        """
        select calendar_month_end_date, lifecycle_stage, sum(customers)
        from marketing.customer_lifecycle_monthly group by all order by 1
        """
    ).fetchall()
    months = sorted({r[0] for r in rows})
    index = {m: i for i, m in enumerate(months)}
    stages = STAGES + sorted({r[1] for r in rows} - set(STAGES))
    values = {s: [0.0] * len(months) for s in stages}
    for month, stage, customers in rows:
        values[stage][index[month]] = float(customers)
    return [month_label(m) for m in months], [(s, STAGE_COLOURS.get(s, PALETTE[8]), values[s]) for s in stages]


def transitions(con, months: int) -> list[tuple[str, str, int]]:
    return con.execute(
        """
        select from_stage, to_stage, count(*)
        from marketing.customer_lifecycle_transitions
        where calendar_month_end_date > (
            select max(calendar_month_end_date) - to_months(?) from marketing.customer_lifecycle_transitions
        )
        group by all
        """,
        [months],
    ).fetchall()


def churn_histogram(con) -> tuple[list[str], list[tuple[str, str, list[float]]]]:
    rows = con.execute(
        """
        select least(floor(churn_probability * 20), 19)::int as bin, churn_risk_band, count(*)
        from marketing.customer_churn_scores where churn_probability is not null group by all
        """
    ).fetchall()
    if not rows:
        return [], []
    bands = {b: [0.0] * 20 for b in RISK_COLOURS}
    for b, band, n in rows:
        bands.setdefault(band, [0.0] * 20)[b] += n
    return [f"{5 * b}" for b in range(20)], [(band, RISK_COLOURS.get(band, PALETTE[8]), v) for band, v in bands.items()]


def load_model_file(name: str):
    """A dbt Python model of models/marts/marketing as a module: calibration must score with the very rule
    customer_churn_scores uses, not a copy of it."""
    spec = importlib.util.spec_from_file_location(f"_report_{name}", REPO / "models" / "marts" / "marketing" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def churn_calibration(con) -> tuple[list[tuple[float, float, int]], str]:
    """Predicted vs observed churn by score decile on the newest model's test split (its latest labelled
    as-of dates, never seen in training), scored with the model's exported trees."""
    import json

    import numpy as np

    fit = con.execute(
        "select labelled_through_date, model_trees_json from marketing.churn_model_fits "
        "where model_trees_json is not null order by labelled_through_date desc limit 1"
    ).fetchone()
    if fit is None:
        return [], "no churn model has been trained yet (too little labelled history)"
    labelled_through, trees_json = fit
    if not (REPO / "models" / "marts" / "marketing" / "customer_churn_scores.py").is_file():
        return [], "the scoring code (models/marts/marketing/customer_churn_scores.py) is not beside this script"
    try:
        trees = json.loads(trees_json)
        trees["features"], trees["trees"], trees["baseline"]  # noqa: B018 - the parts scoring reads
    except (ValueError, KeyError, TypeError) as e:  # a hand-edited or truncated fit row
        return [], f"the churn model's trees cannot be read ({type(e).__name__})"
    scoring = load_model_file("customer_churn_scores")
    columns = ", ".join(scoring.feature_sql(name) for name in trees["features"])
    # the sample is drawn from the filtered subquery: USING SAMPLE runs before a WHERE of its own query
    rows = con.execute(
        f"""
        select churned, * exclude (churned) from (
            select is_churned_next_horizon::double as churned, {columns}
            from marketing.churn_features
            where is_churned_next_horizon is not null and as_of_date in (
                select distinct as_of_date from marketing.churn_features
                where is_churned_next_horizon is not null and as_of_date <= ?
                order by as_of_date desc limit {CALIBRATION_MONTHS}
            )
        ) using sample reservoir({CALIBRATION_SAMPLE_ROWS} rows) repeatable (7)
        """,
        [labelled_through],
    ).fetchnumpy()
    if len(rows["churned"]) < 10:
        return [], "fewer than 10 labelled customer-months"
    matrix = np.column_stack([
        np.ma.filled(np.ma.asarray(rows[c], dtype="float64"), np.nan) for c in list(rows)[1:]
    ])
    predicted = 1 / (1 + np.exp(-scoring.raw_scores(trees, matrix)))
    observed = np.asarray(rows["churned"], dtype="float64")
    order = np.argsort(predicted, kind="stable")
    deciles = [(float(predicted[part].mean()), float(observed[part].mean()), int(len(part)))
               for part in np.array_split(order, 10)]
    return deciles, f"model labelled through {labelled_through}, {len(observed):,} labelled customer-months"


def clv_histogram(con) -> tuple[list[str], list[float], str]:
    """Customers per expected-CLV bin up to the 99th percentile; the long tail goes in the last bin."""
    top = con.execute(
        "select quantile_cont(expected_clv, 0.99), count(*) from marketing.customer_clv where expected_clv is not null"
    ).fetchone()
    if not top[1]:
        return [], [], ""
    # a round bin width (10, 20, 25, 50...) keeps the axis readable
    width = nice_ticks(0, float(top[0]) if top[0] and top[0] > 0 else 1.0, 20)[1]
    rows = dict(con.execute(
        """
        select least(greatest(floor(expected_clv / ?), 0), 20)::int, count(*)
        from marketing.customer_clv where expected_clv is not null group by 1
        """,
        [width],
    ).fetchall())
    labels = [compact(b * width) for b in range(20)] + [f">={compact(20 * width)}"]
    return labels, [float(rows.get(b, 0)) for b in range(21)], f"bins of {width:,.0f} EUR" if width >= 1 \
        else f"bins of {width:,.2f} EUR"


def decay_series(con) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    rows = con.execute(
        """
        select month_start_date, source_name || ' ' || field_name, decay_rate
        from quality.fct_contact_decay_monthly where active_record_count > 0 order by 1, 2
        """
    ).fetchall()
    months = sorted({r[0] for r in rows})
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list[float | None]] = {}
    for month, label, rate in rows:
        series.setdefault(label, [None] * len(months))[index[month]] = None if rate is None else float(rate)
    return [month_label(m) for m in months], sorted(series.items())


def contact_statuses(con) -> tuple[list[str], list[tuple[str, str, list[float]]]]:
    """Share of staged e-mails and phones per status per table: 'corrected' is a typo the cleaning fixed."""
    rows = con.execute(
        """
        select source_name || '.' || table_name || ' ' || replace(measure, '_status', ''), outcome, row_share
        from quality.fct_quality_rates where measure in ('email_status', 'phone_status') order by 1, 2
        """
    ).fetchall()
    labels = sorted({r[0] for r in rows})
    index = {label: i for i, label in enumerate(labels)}
    known = ["valid", "corrected", "invalid", "placeholder", "missing"]
    outcomes = known + sorted({r[1] for r in rows} - set(known))
    shares = {o: [0.0] * len(labels) for o in outcomes}
    for label, outcome, share in rows:
        shares[outcome][index[label]] = float(share or 0)
    return labels, [(o, PALETTE[k % len(PALETTE)], shares[o]) for k, o in enumerate(outcomes)]


def typo_series(con) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """Monthly share of staged e-mails whose domain typo the cleaning fixed ('corrected'), per contact table."""
    rows = con.execute(
        """
        select month_start_date, source_name || '.' || table_name,
               sum(case when outcome = 'corrected' then row_count else 0 end) * 1.0 / sum(row_count)
        from quality.fct_contact_status_monthly where measure = 'email_status'
        group by 1, 2 order by 1, 2
        """
    ).fetchall()
    months = sorted({r[0] for r in rows})
    index = {m: i for i, m in enumerate(months)}
    series: dict[str, list[float | None]] = {}
    for month, label, share in rows:
        series.setdefault(label, [None] * len(months))[index[month]] = None if share is None else float(share)
    return [month_label(m) for m in months], sorted(series.items())


def campaign_lifts(con) -> list[tuple[str, str, dt.date, float, float, float]]:
    rows = con.execute(
        """
        select campaign_name || ' (' || channel || ', ' || strftime(start_date, '%Y-%m-%d') || ')', channel,
            start_date, absolute_lift, absolute_lift_lower, absolute_lift_upper
        from marketing.fct_campaign_performance
        where is_all_segments and is_measurable and absolute_lift is not null
        order by start_date, campaign_id
        """
    ).fetchall()
    return [(label, str(channel), start, float(e), float(lo), float(hi)) for label, channel, start, e, lo, hi in rows]


def stacked_share_bars(name: str, title: str, labels: list[str], series: list[tuple[str, str, list[float]]],
                       empty: str) -> str:
    if not labels:
        return no_data(name, title, empty)
    chart = Chart(name, title, 90 + 26 * len(labels))
    chart.left = 220
    chart.reserve_legend([(outcome, colour) for outcome, colour, _ in series])
    chart.bottom += chart.top - MARGIN["top"]
    chart.height += chart.top - MARGIN["top"]
    scale = chart.x_axis(0, 1, percent_tick)
    band = (chart.bottom - chart.top) / len(labels)
    for i, label in enumerate(labels):
        y, base = chart.top + i * band, 0.0
        for outcome, colour, shares in series:
            if shares[i] > 0:
                chart.rect(scale(base), y + 3, scale(base + shares[i]) - scale(base), band - 6, colour,
                           f"{label} {outcome}: {percent(shares[i], 2)}")
            base += shares[i]
        chart.text(chart.left - 8, y + band / 2 + 4, label, anchor="end", size=11)
    chart.legend([(outcome, colour) for outcome, colour, _ in series])
    chart.text((chart.left + chart.right) / 2, chart.height - 12, "share of staged rows", extra='class="axis-label"')
    return chart.svg()


# ---- the page ----------------------------------------------------------------------------------------

CSS = """
body { font-family: sans-serif; margin: 24px auto; max-width: 1080px; color: #222; }
h1 { margin-bottom: 4px; } .meta { color: #555; margin-top: 0; }
section { margin: 28px 0; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 4px; }
.pair { display: flex; flex-wrap: wrap; gap: 12px; } p.note { color: #444; max-width: 900px; }
svg text.axis-label { font-weight: bold; }
figure { margin: 0; } figcaption { font-weight: bold; font-size: 14px; margin: 8px 0 0 8px; } svg text.no-data { fill: #555; }
"""


def section(title: str, note: str, *charts: str) -> str:
    body = charts[0] if len(charts) == 1 else '<div class="pair">' + "".join(charts) + "</div>"
    return f"<section><h2>{esc(title)}</h2><p class=\"note\">{esc(note)}</p>{body}</section>"


def build_html(warehouse: Path, months: int) -> str:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return render(con, warehouse, months)
    finally:
        con.close()


def render(con, warehouse: Path, months: int) -> str:
    as_of = con.execute("select max(as_of_date) from marketing.customer_rfm").fetchone()[0]
    count_cells, value_cells = rfm_cells(con)
    segments = con.execute(
        "select rfm_segment, count(*) from marketing.customer_rfm group by 1 order by 2 desc, 1"
    ).fetchall()
    stage_months, stage_series = lifecycle_series(con)
    links = transitions(con, months)
    risk_bins, risk_series = churn_histogram(con)
    deciles, calibration_note = churn_calibration(con)
    clv_labels, clv_counts, clv_note = clv_histogram(con)
    decay_months, decay = decay_series(con)
    status_labels, status_series = contact_statuses(con)
    typo_months, typos = typo_series(con)
    lifts = campaign_lifts(con)

    every = max(1, len(stage_months) // 12)
    sections = [
        section("RFM grid", "Recency score (x) against frequency score (y), 5 = best, for customers with a purchase "
                "by the as-of date (marketing.customer_rfm): customers per cell, and their spend in the RFM window.",
                heatmap("rfm_grid_count", "Customers per RFM cell", count_cells, "recency score", "frequency score"),
                heatmap("rfm_grid_value", "Window spend (EUR) per RFM cell", value_cells, "recency score",
                        "frequency score")),
        section("Segment sizes", "Customers per RFM segment (names from seeds/rfm_segments.csv).",
                horizontal_bars("segment_sizes", "Customers per RFM segment", [s for s, _ in segments],
                                [float(n) for _, n in segments], "customers", "no customers with a purchase")),
        section("Lifecycle stages over time", "Customers who had bought, by lifecycle stage at each month end "
                "(marketing.customer_lifecycle_monthly).",
                stacked_columns("lifecycle_stages", "Customers per lifecycle stage at each month end", stage_months,
                                stage_series, "month", "customers", "no lifecycle history", tick_every=every)),
        section("Lifecycle transitions", f"Stage changes in the last {months} months "
                "(marketing.customer_lifecycle_transitions): band width = customers who moved.",
                flow("lifecycle_flow", f"Lifecycle stage changes, last {months} months", links, "no stage changes")),
        section("Churn risk", "Distribution of the churn probability at the latest as-of date, coloured by risk "
                f"band; calibration: {calibration_note or 'n/a'} (the newest model's test split, scored as "
                "customer_churn_scores scores).",
                stacked_columns("churn_risk", "Customers per churn probability bin (%)", risk_bins, risk_series,
                                "churn probability (%), bins of 5 points", "customers", "no churn scores"),
                calibration_chart("churn_calibration", "Churn calibration by score decile", deciles,
                                  calibration_note or "no labelled months")),
        section("Customer lifetime value", f"Expected CLV over the horizon (marketing.customer_clv); {clv_note}; "
                "the last bin holds the rest (at most the top 1 %).",
                stacked_columns("clv_distribution", "Customers per expected CLV bin (EUR)", clv_labels,
                                [("customers", PALETTE[0], clv_counts)], "expected CLV (EUR, bin start)", "customers",
                                "no CLV scores", tick_every=2)),
        section("Contact decay", "Share of records that delivered a new e-mail, phone or postal code each month "
                "(quality.fct_contact_decay_monthly).",
                lines("contact_decay", "Monthly contact decay rate by source and field", decay_months, decay, "month",
                      "decay rate", "no contact records", fmt=lambda v: f"{100 * v:.1f} %",
                      tick_every=max(1, len(decay_months) // 12))),
        section("Contact quality and typos", "Share of staged e-mails and phones per status "
                "(quality.fct_quality_rates) and, by load month, the share of e-mails whose domain typo the cleaning "
                "fixed (quality.fct_contact_status_monthly).",
                stacked_share_bars("contact_quality", "E-mail and phone status shares per table", status_labels,
                                   status_series, "no contact tables"),
                lines("typo_trend", "Share of e-mails with a corrected domain typo, by load month", typo_months,
                      typos, "load month", "corrected e-mails", "no contact records",
                      fmt=lambda v: f"{100 * v:.1f} %", tick_every=max(1, len(typo_months) // 12))),
        section("Campaign lift", "Absolute lift of the conversion rate (target minus control, percentage points) "
                "with its 95 % interval, all segments (marketing.fct_campaign_performance); "
                + (f"the {len(lifts)} measurable campaigns, hover a mark for its campaign." if lifts else
                   "no campaign is measurable yet: its target and control groups both need "
                   "var('campaign_min_group_size') members."),
                lift_over_time("campaign_lift", "Campaign lift with 95 % intervals, by start date", lifts,
                               "no measurable campaigns")),
    ]
    generated = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>customer360 report</title><style>{CSS}</style></head><body>"
        f"<h1>customer360 report</h1><p class=\"meta\">{esc(warehouse.name)}, as of {esc(as_of or 'n/a')}; "
        f"generated {esc(generated)}</p>" + "".join(sections) + "</body></html>\n"
    )
