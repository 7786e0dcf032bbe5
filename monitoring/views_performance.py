"""GET /performance/: baseline against current per measurement, 24 h p95 charts."""

from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import render
from django.utils import timezone

from monitoring.charts import line_chart
from monitoring.selectors.performance import (
    current_window,
    performance_current,
    performance_hourly_p95,
    performance_regressions_open,
)


def _r(value):
    return None if value is None else round(value, 2)


@staff_member_required
def performance(request):
    now = timezone.now()
    current = performance_current(now=now)
    rows = []
    for name, c in current.items():
        points = performance_hourly_p95(measurement=name, now=now)
        chart = line_chart([_r(p["p95"]) for p in points],
                           labels=[p["hour"].strftime("%H:00") for p in points],
                           reference=c["baseline_p95"])
        rows.append({"name": name, "chart": chart, **c})
    start, end = current_window(now)
    return render(request, "monitoring/performance.html", {
        "title": "Performance", "rows": rows, "window_start": start, "window_end": end,
        "open_regressions": performance_regressions_open(),
    })
