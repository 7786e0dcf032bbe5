"""Incident workflow: open, transition, edit, timeline, postmortem, action items.

`actor` everywhere is who did it: a User (recorded as the entry's author), a
string label such as "token:bot" or "rule:trade-success" (recorded as
`author_label`), or None (recorded as "system").

Status workflow (like incident.io): investigating → identified → monitoring →
resolved; any forward move is allowed, skipping steps included; the only
backward move is resolved → investigating, a reopen. Milestones follow status:
- detected_at: when the incident is opened; started_at defaults to it.
- acknowledged_at: the first of "a commander is assigned" and "first moved off
  investigating".
- mitigated_at: first move to monitoring (or straight to resolved).
- resolved_at: the move to resolved. A reopen clears mitigated_at and
  resolved_at (their old values stay in the timeline entry's data).
"""

from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.history import actor_label, field_changes, field_values
from incidents.models import (
    MILESTONES,
    STATUS_ORDER,
    ActionItem,
    ActionItemEvent,
    ActionItemStatus,
    Incident,
    IncidentStatus,
    IncidentTimelineEntry,
    Postmortem,
    PostmortemRevision,
    PostmortemStatus,
    Severity,
    TimelineKind,
)

Actor = AbstractBaseUser | str | None

EDITABLE_FIELDS = ("title", "severity", "summary", "affected_components")
POSTMORTEM_FIELDS = (
    "summary", "users_affected", "trades_affected", "fees_affected_sol", "trigger",
    "root_cause", "detection", "resolution", "went_well", "went_badly", "lessons",
)


def _author(actor: Actor) -> dict:
    if actor is None:
        return {"author": None, "author_label": "system"}
    if isinstance(actor, str):
        return {"author": None, "author_label": actor[:100]}
    return {"author": actor, "author_label": ""}


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _locked(incident: Incident) -> Incident:
    """Re-read the incident under a row lock so two commanders cannot race a transition."""
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _sync(target: Incident, source: Incident) -> None:
    """Copy the saved state back onto the caller's instance."""
    target.__dict__.update(
        {k: v for k, v in source.__dict__.items() if not k.startswith("_")}
    )
    target._state.fields_cache = dict(source._state.fields_cache)


def incident_timeline_add(
    *, incident: Incident, kind: str, text: str, author=None, author_label: str = "",
    at: datetime | None = None, data: dict | None = None,
) -> IncidentTimelineEntry:
    """Append one entry to an incident's timeline."""
    if kind not in TimelineKind.values:
        raise ValidationError(
            {"kind": f"Unknown kind '{kind}'; expected one of {', '.join(TimelineKind.values)}."}
        )
    if not (text or "").strip():
        raise ValidationError({"text": "A timeline entry needs some text."})
    entry = IncidentTimelineEntry(
        incident=incident, kind=kind, text=text.strip(), author=author,
        author_label="" if author else (author_label or "system"),
        at=at or timezone.now(), data=data or {},
    )
    entry.full_clean()
    entry.save()
    return entry


def _log(incident, kind, text, actor, at, data=None):
    return incident_timeline_add(
        incident=incident, kind=kind, text=text, at=at, data=data, **_author(actor),
    )


@transaction.atomic
def incident_open(
    *, title: str, severity: str, summary: str = "", source: str = "", actor: Actor = None,
    at: datetime | None = None, affected_components: list[str] | None = None,
    commander=None, started_at: datetime | None = None,
) -> Incident:
    """Open an incident as investigating, detected at `at` (default now)."""
    at = at or timezone.now()
    if severity not in Severity.values:
        raise ValidationError(
            {"severity": f"Unknown severity '{severity}'; expected one of "
                         f"{', '.join(Severity.values)}."}
        )
    incident = Incident(
        title=title, severity=severity, summary=summary, source=source,
        affected_components=affected_components or [], started_at=started_at or at,
        detected_at=at,
    )
    incident.full_clean()
    incident.save()
    _log(
        incident, TimelineKind.STATUS_CHANGE,
        f"Incident opened as {Severity(severity).label.split(':')[0]}: {title}", actor, at,
        {"from": None, "to": IncidentStatus.INVESTIGATING, "source": source},
    )
    if commander is not None:
        incident_commander_assign(incident=incident, commander=commander, actor=actor, at=at)
    return incident


def incident_transition_allowed(from_status: str, to_status: str) -> bool:
    """Forward moves (skipping allowed) and the resolved → investigating reopen."""
    if from_status == IncidentStatus.RESOLVED:
        return to_status == IncidentStatus.INVESTIGATING
    return STATUS_ORDER.index(to_status) > STATUS_ORDER.index(from_status)


@transaction.atomic
def incident_transition(
    *, incident: Incident, to_status: str, actor: Actor, at: datetime | None = None,
    note: str = "",
) -> Incident:
    """Move an incident to `to_status`, setting milestones; refuses impossible moves."""
    if to_status not in IncidentStatus.values:
        raise ValidationError(
            {"status": f"Unknown status '{to_status}'; expected one of "
                       f"{', '.join(IncidentStatus.values)}."}
        )
    current = _locked(incident)
    from_status = current.status
    if from_status == to_status:
        raise ValidationError({"status": f"The incident is already {to_status}."})
    if not incident_transition_allowed(from_status, to_status):
        raise ValidationError(
            {"status": f"Cannot move an incident from {from_status} to {to_status}: only "
                       "forward moves, or resolved → investigating to reopen."}
        )
    at = at or timezone.now()
    before = {name: _iso(getattr(current, name)) for name in MILESTONES}
    if to_status == IncidentStatus.INVESTIGATING:  # a reopen
        current.mitigated_at = None
        current.resolved_at = None
    else:
        if current.acknowledged_at is None:
            current.acknowledged_at = at
        if to_status in (IncidentStatus.MONITORING, IncidentStatus.RESOLVED):
            current.mitigated_at = current.mitigated_at or at
        if to_status == IncidentStatus.RESOLVED:
            current.resolved_at = at
    current.status = to_status
    current.full_clean()
    current.save()
    verb = "Reopened" if from_status == IncidentStatus.RESOLVED else "Status"
    text = f"{verb}: {from_status} → {to_status}" + (f". {note.strip()}" if note.strip() else "")
    after = {name: _iso(getattr(current, name)) for name in MILESTONES}
    _log(
        current, TimelineKind.STATUS_CHANGE, text, actor, at,
        {"from": from_status, "to": to_status,
         "milestones": {k: {"old": before[k], "new": after[k]}
                        for k in MILESTONES if before[k] != after[k]}},
    )
    _sync(incident, current)
    return incident


@transaction.atomic
def incident_commander_assign(
    *, incident: Incident, commander, actor: Actor, at: datetime | None = None,
) -> Incident:
    """Set (or clear with None) the commander; the first assignment acknowledges."""
    current = _locked(incident)
    if current.commander_id == (commander.pk if commander else None):
        return incident
    at = at or timezone.now()
    old = current.commander.get_username() if current.commander else None
    current.commander = commander
    if commander is not None and current.acknowledged_at is None:
        current.acknowledged_at = max(at, current.detected_at)
    current.full_clean()
    current.save()
    new = commander.get_username() if commander else None
    text = f"Commander: {new}" if new else f"Commander {old} unassigned"
    _log(current, TimelineKind.UPDATED, text, actor, at,
         {"field": "commander", "old": old, "new": new})
    _sync(incident, current)
    return incident


@transaction.atomic
def incident_milestone_set(
    *, incident: Incident, milestone: str, value: datetime | None, actor: Actor,
    at: datetime | None = None, note: str = "",
) -> Incident:
    """Correct one milestone; the timeline records the old and new value."""
    if milestone not in MILESTONES:
        raise ValidationError(
            {"milestone": f"Unknown milestone '{milestone}'; expected one of "
                          f"{', '.join(MILESTONES)}."}
        )
    if value is None and milestone in ("started_at", "detected_at"):
        raise ValidationError({milestone: "This milestone cannot be cleared."})
    current = _locked(incident)
    old = getattr(current, milestone)
    if old == value:
        return incident
    setattr(current, milestone, value)
    current.full_clean()
    current.save()
    label = milestone.removesuffix("_at").replace("_", " ")
    text = f"Milestone {label} changed from {_iso(old) or 'unset'} to {_iso(value) or 'unset'}"
    if note.strip():
        text += f". {note.strip()}"
    _log(current, TimelineKind.MILESTONE_CHANGED, text, actor, at,
         {"milestone": milestone, "old": _iso(old), "new": _iso(value)})
    _sync(incident, current)
    return incident


@transaction.atomic
def incident_edit(
    *, incident: Incident, actor: Actor, changes: dict, note: str = "",
    at: datetime | None = None,
) -> Incident:
    """Apply several changes at once, all or nothing: fields, commander, status, milestones.

    `changes` keys: title, severity, summary, affected_components, commander
    (a User or None), status, and any milestone name.
    """
    unknown = set(changes) - {*EDITABLE_FIELDS, "commander", "status", *MILESTONES}
    if unknown:
        raise ValidationError({k: "This field cannot be changed." for k in sorted(unknown)})
    current = _locked(incident)
    at = at or timezone.now()
    for field in EDITABLE_FIELDS:
        if field in changes and changes[field] != getattr(current, field):
            old = getattr(current, field)
            setattr(current, field, changes[field])
            current.full_clean()
            current.save()
            shown = {"title", "severity"}
            text = (f"{field.capitalize()}: {old} → {changes[field]}" if field in shown
                    else f"{field.replace('_', ' ').capitalize()} updated")
            _log(current, TimelineKind.UPDATED, text, actor, at,
                 {"field": field, "old": old, "new": changes[field]})
    if "commander" in changes:
        incident_commander_assign(incident=current, commander=changes["commander"], actor=actor,
                                  at=at)
    if "status" in changes and changes["status"] != current.status:
        incident_transition(incident=current, to_status=changes["status"], actor=actor, at=at,
                            note=note)
    elif note.strip():
        _log(current, TimelineKind.NOTE, note, actor, at)
    for milestone in MILESTONES:
        if milestone in changes:
            incident_milestone_set(incident=current, milestone=milestone,
                                   value=changes[milestone], actor=actor, at=at)
    _sync(incident, current)
    return incident


@transaction.atomic
def postmortem_create(*, incident: Incident, actor: Actor, **fields) -> Postmortem:
    """Start the (single) postmortem of an incident as a draft."""
    if Postmortem.objects.filter(incident=incident).exists():
        raise ValidationError({"incident": "This incident already has a postmortem."})
    postmortem = Postmortem(incident=incident)
    _postmortem_assign(postmortem, fields)
    postmortem.full_clean()
    postmortem.save()
    _postmortem_revision(postmortem, actor, "started as a draft",
                         field_changes({}, postmortem, fields))
    _log(incident, TimelineKind.UPDATED, "Postmortem started", actor, None,
         {"field": "postmortem", "new": PostmortemStatus.DRAFT})
    return postmortem


def _postmortem_assign(postmortem: Postmortem, fields: dict) -> None:
    unknown = set(fields) - set(POSTMORTEM_FIELDS)
    if unknown:
        raise ValidationError({k: "This field cannot be changed." for k in sorted(unknown)})
    for name, value in fields.items():
        setattr(postmortem, name, value)


@transaction.atomic
def postmortem_update(*, postmortem: Postmortem, actor: Actor, **fields) -> Postmortem:
    """Change a postmortem's text and impact fields; the edit is kept as a revision."""
    before = field_values(postmortem, fields)
    _postmortem_assign(postmortem, fields)
    postmortem.full_clean()
    postmortem.save()
    changes = field_changes(before, postmortem, fields)
    if changes:
        _postmortem_revision(postmortem, actor, f"edited {', '.join(changes)}", changes)
    return postmortem


def _postmortem_revision(postmortem: Postmortem, actor: Actor, note: str,
                         changes: dict) -> PostmortemRevision:
    return PostmortemRevision.objects.create(postmortem=postmortem, actor=_label(actor),
                                             note=note, changes=changes)


def _label(actor: Actor) -> str:
    return actor[:150] if isinstance(actor, str) else actor_label(actor)


@transaction.atomic
def postmortem_status_set(
    *, postmortem: Postmortem, to_status: str, actor: Actor, at: datetime | None = None,
) -> Postmortem:
    """Publish (refused while the incident is open or an action item has no owner) or unpublish."""
    if to_status not in PostmortemStatus.values:
        raise ValidationError(
            {"status": f"Unknown postmortem status '{to_status}'; expected one of "
                       f"{', '.join(PostmortemStatus.values)}."}
        )
    postmortem = Postmortem.objects.select_for_update().select_related("incident").get(
        pk=postmortem.pk
    )
    if postmortem.status == to_status:
        raise ValidationError({"status": f"The postmortem is already {to_status}."})
    at = at or timezone.now()
    was_published_at = postmortem.published_at
    if to_status == PostmortemStatus.PUBLISHED:
        if postmortem.incident.status != IncidentStatus.RESOLVED:
            raise ValidationError(
                {"status": "Resolve the incident before publishing its postmortem."}
            )
        unowned = list(
            postmortem.action_items.filter(owner__isnull=True).values_list("title", flat=True)
        )
        if unowned:
            raise ValidationError(
                {"status": "Cannot publish: every action item needs an owner; without one: "
                           + ", ".join(f"'{t}'" for t in unowned) + "."}
            )
        postmortem.published_at = at
    else:
        postmortem.published_at = None
    from_status = postmortem.status
    postmortem.status = to_status
    postmortem.full_clean()
    postmortem.save()
    _postmortem_revision(postmortem, actor, to_status,
                         {"status": [from_status, to_status],
                          "published_at": [_iso(was_published_at),
                                           _iso(postmortem.published_at)]})
    text = "Postmortem published" if to_status == PostmortemStatus.PUBLISHED else (
        "Postmortem back to draft")
    _log(postmortem.incident, TimelineKind.UPDATED, text, actor, at,
         {"field": "postmortem", "new": to_status})
    return postmortem


ACTION_ITEM_FIELDS = ("title", "owner", "due_date", "status", "completed_at")


def action_item_save(*, item: ActionItem, actor: Actor = None) -> ActionItem:
    """Validate and save an action item, stamping completed_at when it becomes done;
    what changed is kept on its history."""
    created = item.pk is None
    before = field_values(item, ACTION_ITEM_FIELDS)
    if item.status == ActionItemStatus.DONE:
        item.completed_at = item.completed_at or timezone.now()
    else:
        item.completed_at = None
    item.full_clean()
    item.save()
    changes = field_changes(before, item, ACTION_ITEM_FIELDS)
    if created or changes:
        ActionItemEvent.objects.create(
            item=item, actor=_label(actor), changes=changes,
            note="added" if created else f"changed {', '.join(changes)}")
    return item


@transaction.atomic
def action_item_create(
    *, postmortem: Postmortem, title: str, owner=None, due_date: date | None = None,
    status: str = ActionItemStatus.OPEN, actor: Actor = None,
) -> ActionItem:
    """Add an action item to a postmortem."""
    return action_item_save(item=ActionItem(
        postmortem=postmortem, title=title, owner=owner, due_date=due_date, status=status,
    ), actor=actor)
