"""Waivers: requested by an Operator, approved in the portal by a different Admin, expiring.

A waiver is the one way an item closes without evidence, so it is the first thing a
forger reaches for: a one-character reason, no end date, an approver's name typed
into a field. Here the approver is whoever performs the approval (a signed-in
user), never a value someone supplies, and an expired waiver re-opens its item.
"""

import datetime
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from checklist.models import ChecklistItem, ChecklistItemEvent, ItemStatus, VerdictEvent, Waiver
from checklist.selectors import user_is_portal_admin
from checklist.services.items import checklist_item_save

Kind = VerdictEvent.Kind


def waiver_reason_validate(reason: str) -> str:
    """The reason, whitespace collapsed; refused when it is not a real explanation."""
    text = " ".join((reason or "").split())
    words = {w.lower() for w in re.findall(r"[^\W\d_]{2,}", text)}
    if len(text) < settings.WAIVER_MIN_REASON_CHARS or \
            len(words) < settings.WAIVER_MIN_REASON_WORDS:
        raise ValidationError({"reason": (
            f"A waiver needs a real reason: at least {settings.WAIVER_MIN_REASON_CHARS} "
            f"characters and {settings.WAIVER_MIN_REASON_WORDS} different words saying why "
            f"the item can wait and what covers the risk meanwhile.")})
    return text


def _expiry_validate(expires_at, now) -> None:
    if expires_at is None:
        raise ValidationError({"expires_at": "A waiver needs an expiry date."})
    if timezone.is_naive(expires_at):
        raise ValidationError({"expires_at": "Give the expiry with a time zone."})
    if expires_at <= now:
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    if expires_at > now + datetime.timedelta(days=settings.WAIVER_MAX_DAYS):
        raise ValidationError({"expires_at": f"A waiver lasts at most "
                                             f"{settings.WAIVER_MAX_DAYS} days."})


def _event(kind, *, waiver: Waiver, actor, now, note: str = "") -> None:
    VerdictEvent.objects.create(at=now, kind=kind, actor=actor, item=waiver.item,
                                waiver=waiver, note=note)


def waiver_request(*, item: ChecklistItem, reason: str, expires_at, user,
                   now=None) -> Waiver:
    """Ask for a waiver of an open item (Operators and up); pending until an Admin approves."""
    now = now or timezone.now()
    if not (user and user.is_authenticated and
            user.has_perm("checklist.change_checklistitem")):
        raise PermissionDenied("Only Operators and Admins request waivers.")
    text = waiver_reason_validate(reason)
    _expiry_validate(expires_at, now)
    if item.status == ItemStatus.DONE:
        raise ValidationError("This item is done: there is nothing to waive.")
    waiver = Waiver(item=item, reason=text, expires_at=expires_at, requested_by=user,
                    requested_at=now)
    try:
        with transaction.atomic():
            waiver.save()
            _event(Kind.WAIVER_REQUESTED, waiver=waiver, actor=user, now=now,
                   note=f"until {expires_at:%Y-%m-%d %H:%M} UTC: {text}")
    except IntegrityError:
        raise ValidationError("This item already has a pending or approved waiver.") from None
    return waiver


def _locked(waiver: Waiver) -> Waiver:
    return Waiver.objects.select_for_update().select_related("item").get(pk=waiver.pk)


def waiver_approve(*, waiver: Waiver, user, note: str = "", now=None) -> Waiver:
    """Approve as the signed-in Admin `user`, who must not be the one who asked."""
    now = now or timezone.now()
    if not user_is_portal_admin(user):
        raise PermissionDenied("Only an Admin approves a waiver.")
    with transaction.atomic():
        waiver = _locked(waiver)
        if waiver.requested_by_id == user.pk:
            raise PermissionDenied("A waiver is approved by someone other than who asked "
                                   "for it.")
        if waiver.state != Waiver.State.PENDING:
            raise ValidationError(f"This waiver is {waiver.get_state_display()}, not pending.")
        if waiver.expires_at <= now:
            raise ValidationError("This waiver's expiry has passed: ask for a new one.")
        waiver.state, waiver.decided_by, waiver.decided_at = Waiver.State.APPROVED, user, now
        waiver.decision_note = note
        waiver.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        _event(Kind.WAIVER_APPROVED, waiver=waiver, actor=user, now=now, note=note)
        item = waiver.item
        if item.status != ItemStatus.DONE:
            item.status = ItemStatus.WAIVED
            checklist_item_save(item=item, actor=user, kind=ChecklistItemEvent.Kind.WAIVED,
                                note=f"waiver #{waiver.pk} asked by {waiver.requested_by}, "
                                     f"approved by {user}, until "
                                     f"{waiver.expires_at:%Y-%m-%d %H:%M} UTC: "
                                     f"{waiver.reason}", now=now)
    return waiver


def waiver_reject(*, waiver: Waiver, user, note: str = "", now=None) -> Waiver:
    """Refuse a pending waiver (an Admin), or withdraw one's own request (its asker)."""
    now = now or timezone.now()
    with transaction.atomic():
        waiver = _locked(waiver)
        own = waiver.requested_by_id == getattr(user, "pk", None)
        if not (user_is_portal_admin(user) or own):
            raise PermissionDenied("Only an Admin rejects a waiver (or its asker withdraws it).")
        if waiver.state != Waiver.State.PENDING:
            raise ValidationError(f"This waiver is {waiver.get_state_display()}, not pending.")
        withdrawn = own and not user_is_portal_admin(user)
        waiver.state = Waiver.State.WITHDRAWN if withdrawn else Waiver.State.REJECTED
        waiver.decided_by, waiver.decided_at, waiver.decision_note = user, now, note
        waiver.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        _event(Kind.WAIVER_WITHDRAWN if withdrawn else Kind.WAIVER_REJECTED, waiver=waiver,
               actor=user, now=now, note=note)
    return waiver


def waivers_expire(*, now=None) -> list[str]:
    """Approved waivers past their expiry: expired, their items open again (blockers)."""
    now = now or timezone.now()
    lines = []
    for pk in Waiver.objects.filter(state=Waiver.State.APPROVED, expires_at__lte=now) \
            .values_list("pk", flat=True):
        with transaction.atomic():
            waiver = Waiver.objects.select_for_update().select_related("item").get(pk=pk)
            if waiver.state != Waiver.State.APPROVED:
                continue  # another pass got it first
            waiver.state = Waiver.State.EXPIRED
            waiver.save(update_fields=["state"])
            _event(Kind.WAIVER_EXPIRED, waiver=waiver, actor=None, now=now,
                   note=f"expired {waiver.expires_at:%Y-%m-%d %H:%M} UTC")
            item = waiver.item
            if item.status == ItemStatus.WAIVED:
                item.status = ItemStatus.TODO
                checklist_item_save(item=item, kind=ChecklistItemEvent.Kind.STATUS, now=now,
                                    note=f"waiver #{waiver.pk} expired: the item is open "
                                         f"again")
            lines.append(f"waiver of {item.key} expired")
    return lines
