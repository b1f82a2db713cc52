"""Chart data for ``web/includes/chart.html``: one dict drives the ECharts chart (through
json_script and static/web/charts.js) and the table of figures underneath it."""

from collections.abc import Sequence


def chart_spec(
    *,
    categories: Sequence[str],
    series: Sequence[dict],
    category_label: str,
    kind: str = "bar",
    money: bool = True,
    severity: bool = False,
) -> dict:
    """Build the dict a chart include takes.

    ``series`` items are ``{"name": str, "values": [Decimal…], "type": "bar"|"line"}`` (type
    defaults to ``kind``). ``kind`` "bar" draws vertical bars, "hbar" horizontal bars, "line" lines.
    ``severity`` colours a single bar series from green (first category) to dark red (last), as
    for aging buckets. Amounts stay ``Decimal`` (json_script writes them as strings, never floats).
    """
    labels = [str(c) for c in categories]
    for item in series:
        if len(item["values"]) != len(labels):
            raise ValueError(f"series {item['name']!r} needs one value per category")
    return {
        "kind": kind,
        "money": money,
        "severity": severity,
        "category_label": str(category_label),
        "categories": labels,
        "series": [
            {"name": str(s["name"]), "type": s.get("type", kind), "data": list(s["values"])}
            for s in series
        ],
        "rows": [
            {"label": label, "values": [s["values"][i] for s in series]}
            for i, label in enumerate(labels)
        ],
    }
