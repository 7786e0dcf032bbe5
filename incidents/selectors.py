"""Reads for incidents: lists, MTTA/MTTR, overdue action items, postmortem export."""

from datetime import datetime, timedelta
from statistics import fmean

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from incidents.models import (
    ActionItem,
    ActionItemStatus,
    Incident,
    IncidentStatus,
    Postmortem,
)


def incident_list(
    *, status: str | None = None, severity: str | None = None,
    started_after: datetime | None = None, started_before: datetime | None = None,
) -> QuerySet[Incident]:
    """Incidents newest first, filtered; values are already validated."""
    qs = Incident.objects.select_related("commander")
    if status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity=severity)
    if started_after:
        qs = qs.filter(started_at__gte=started_after)
    if started_before:
        qs = qs.filter(started_at__lt=started_before)
    return qs


def incident_get(*, pk) -> Incident:
    """The incident with its commander; Http404 when there is none."""
    return get_object_or_404(Incident.objects.select_related("commander"), pk=pk)


def action_item_get(*, pk) -> ActionItem:
    """The action item with its postmortem; Http404 when there is none."""
    return get_object_or_404(ActionItem.objects.select_related("postmortem"), pk=pk)


def incident_open_list() -> QuerySet[Incident]:
    return Incident.objects.exclude(status=IncidentStatus.RESOLVED).select_related("commander")


def _seconds(values: list[timedelta]) -> float | None:
    return round(fmean(v.total_seconds() for v in values), 3) if values else None


def incident_mtta_mttr(*, since: datetime, until: datetime) -> dict:
    """Mean time to acknowledge / resolve over incidents detected in [since, until).

    Both are measured from detection. Incidents not yet acknowledged (resolved)
    count in `incidents` but not in the mean. Means are seconds, None with no sample.
    """
    rows = Incident.objects.filter(detected_at__gte=since, detected_at__lt=until).values_list(
        "detected_at", "acknowledged_at", "resolved_at"
    )
    tta = [ack - det for det, ack, _ in rows if ack]
    ttr = [res - det for det, _, res in rows if res]
    return {
        "since": since,
        "until": until,
        "incidents": len(rows),
        "acknowledged": len(tta),
        "resolved": len(ttr),
        "mtta_seconds": _seconds(tta),
        "mttr_seconds": _seconds(ttr),
    }


def action_items_overdue(*, now: datetime | None = None) -> QuerySet[ActionItem]:
    """Open or in-progress action items whose due date has passed (due today is not overdue)."""
    today = timezone.localdate(now or timezone.now())
    return (
        ActionItem.objects.filter(
            status__in=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS],
            due_date__lt=today,
        )
        .select_related("owner", "postmortem__incident")
        .order_by("due_date", "id")
    )


def action_items_overdue_count(*, now: datetime | None = None) -> int:
    """How many action items are overdue: an alert-rule metric."""
    return action_items_overdue(now=now).count()


def format_duration(value: timedelta | float | None) -> str:
    """`1h 02m 03s`; "-" for none. Seconds may be a float (a mean)."""
    if value is None:
        return "-"
    seconds = int(round(value.total_seconds() if isinstance(value, timedelta) else value))
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{sign}{hours}h {minutes:02d}m {secs:02d}s"
    if minutes:
        return f"{sign}{minutes}m {secs:02d}s"
    return f"{sign}{secs}s"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _secs(value: timedelta | None) -> float | None:
    return value.total_seconds() if value is not None else None


def postmortem_get(*, incident: Incident) -> Postmortem | None:
    return Postmortem.objects.filter(incident=incident).first()


def postmortem_export(*, postmortem: Postmortem) -> dict:
    """The postmortem with its incident, milestones, timeline and action items, as plain data."""
    incident = postmortem.incident
    timeline = incident.timeline.select_related("author")
    items = postmortem.action_items.select_related("owner")
    return {
        "incident": {
            "id": incident.pk,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "commander": incident.commander.get_username() if incident.commander else None,
            "affected_components": incident.affected_components,
            "started_at": _iso(incident.started_at),
            "detected_at": _iso(incident.detected_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
            "time_to_acknowledge_seconds": _secs(incident.time_to_acknowledge),
            "time_to_resolve_seconds": _secs(incident.time_to_resolve),
        },
        "status": postmortem.status,
        "published_at": _iso(postmortem.published_at),
        "summary": postmortem.summary,
        "impact": {
            "users_affected": postmortem.users_affected,
            "trades_affected": postmortem.trades_affected,
            "fees_affected_sol": (
                str(postmortem.fees_affected_sol)
                if postmortem.fees_affected_sol is not None else None
            ),
            "duration_seconds": _secs(incident.impact_duration),
        },
        "trigger": postmortem.trigger,
        "root_cause": postmortem.root_cause,
        "detection": postmortem.detection,
        "resolution": postmortem.resolution,
        "went_well": postmortem.went_well,
        "went_badly": postmortem.went_badly,
        "lessons": postmortem.lessons,
        "timeline": [
            {"at": _iso(e.at), "kind": e.kind, "text": e.text, "author": e.author_name,
             "data": e.data}
            for e in timeline
        ],
        "action_items": [
            {"id": i.pk, "title": i.title,
             "owner": i.owner.get_username() if i.owner else None,
             "due_date": i.due_date.isoformat() if i.due_date else None, "status": i.status}
            for i in items
        ],
    }


SECTIONS = [
    ("trigger", "Trigger"), ("root_cause", "Root cause"), ("detection", "Detection"),
    ("resolution", "Resolution"), ("went_well", "What went well"),
    ("went_badly", "What went badly"), ("lessons", "Lessons"),
]


def _cell(value) -> str:
    # Keep a table row on one line whatever the text holds.
    return str(value if value not in (None, "") else "-").replace("|", "\\|").replace("\n", " ")


def postmortem_markdown(*, export: dict) -> str:
    """Render `postmortem_export`'s data as a Markdown document."""
    inc = export["incident"]
    impact = export["impact"]
    lines = [
        f"# Postmortem: {inc['title']}",
        "",
        f"Incident #{inc['id']} · severity {inc['severity'].upper()} · status {inc['status']}"
        f" · commander {inc['commander'] or '-'} · postmortem {export['status']}",
        "",
        "## Summary",
        "",
        export["summary"] or "_Not written yet._",
        "",
        "## Impact",
        "",
        "| measure | value |",
        "|---|---|",
        f"| users affected | {_cell(impact['users_affected'])} |",
        f"| trades affected | {_cell(impact['trades_affected'])} |",
        f"| fees affected (SOL) | {_cell(impact['fees_affected_sol'])} |",
        f"| duration | {format_duration(impact['duration_seconds'])} |",
        f"| affected components | {_cell(', '.join(inc['affected_components']))} |",
        "",
        "## Milestones",
        "",
        "| milestone | at |",
        "|---|---|",
    ]
    for name in ("started_at", "detected_at", "acknowledged_at", "mitigated_at", "resolved_at"):
        lines.append(f"| {name.removesuffix('_at').replace('_', ' ')} | {_cell(inc[name])} |")
    lines += [
        "",
        f"Time to acknowledge: {format_duration(inc['time_to_acknowledge_seconds'])}; "
        f"time to resolve: {format_duration(inc['time_to_resolve_seconds'])}.",
        "",
    ]
    for key, title in SECTIONS:
        lines += [f"## {title}", "", export[key] or "_Not written yet._", ""]
    lines += ["## Timeline", "", "| at | kind | by | what |", "|---|---|---|---|"]
    for e in export["timeline"]:
        lines.append(f"| {e['at']} | {e['kind']} | {_cell(e['author'])} | {_cell(e['text'])} |")
    lines += ["", "## Action items", ""]
    if export["action_items"]:
        lines += ["| action | owner | due | status |", "|---|---|---|---|"]
        for i in export["action_items"]:
            lines.append(
                f"| {_cell(i['title'])} | {_cell(i['owner'])} | {_cell(i['due_date'])} "
                f"| {i['status']} |"
            )
    else:
        lines.append("_None._")
    return "\n".join(lines) + "\n"
