"""What the positions say at `now`: the guard's and the risk metrics' numbers."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum

from monitoring.models import Position

DAY = datetime.timedelta(days=1)
STREAK_LOOKBACK = 200  # a streak longer than this reads as this: already far past any limit


def positions_open(*, now: datetime.datetime) -> QuerySet[Position]:
    return Position.objects.filter(Q(closed_at__isnull=True) | Q(closed_at__gt=now),
                                   opened_at__lte=now)


def positions_unprotected(*, now: datetime.datetime) -> list[Position]:
    """Open longer than TPSL_GRACE_SECONDS without a take-profit or a stop-loss."""
    grace = datetime.timedelta(seconds=settings.TPSL_GRACE_SECONDS)
    return list(positions_open(now=now)
                .filter(Q(take_profit_pct__isnull=True) | Q(stop_loss_pct__isnull=True),
                        opened_at__lte=now - grace).order_by("opened_at", "position_id"))


def positions_unprotected_text(*, now: datetime.datetime, limit: int = 20) -> str:
    """One line naming the unprotected positions (an incident's summary, a page)."""
    found = positions_unprotected(now=now)
    parts = []
    for p in found[:limit]:
        missing = " and ".join(name for name, value in (("TP", p.take_profit_pct),
                                                         ("SL", p.stop_loss_pct))
                               if value is None)
        parts.append(f"{p.position_id} ({p.token}, {p.size_sol} SOL, no {missing})")
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return "; ".join(parts) + more


def _sl_streak(now: datetime.datetime) -> int:
    reasons = (Position.objects.filter(closed_at__lte=now).order_by("-closed_at", "-pk")
               .values_list("close_reason", flat=True)[:STREAK_LOOKBACK])
    streak = 0
    for reason in reasons:
        if reason != "sl":
            break
        streak += 1
    return streak


def _drawdown(now: datetime.datetime) -> float:
    """Largest fall of cumulative realized PnL from its running peak, closes of the last
    24 h in order (the peak starts at 0: the window's start)."""
    cum = peak = worst = Decimal(0)
    for pnl in (Position.objects.filter(closed_at__gt=now - DAY, closed_at__lte=now,
                                        pnl_sol__isnull=False)
                .order_by("closed_at", "pk").values_list("pnl_sol", flat=True)):
        cum += pnl or 0  # never null here (filtered): for the type checker
        peak = max(peak, cum)
        worst = max(worst, peak - cum)
    return float(worst)


def position_metrics(*, now: datetime.datetime) -> dict:
    """The /metrics keys of positions, in four queries. SOL amounts as floats: rules
    compare them."""
    midnight = now.astimezone(datetime.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    grace = datetime.timedelta(seconds=settings.TPSL_GRACE_SECONDS)
    unprotected = (Q(take_profit_pct__isnull=True) | Q(stop_loss_pct__isnull=True)) & Q(
        opened_at__lte=now - grace)
    counts = positions_open(now=now).aggregate(
        open=Count("pk"), unprotected=Count("pk", filter=unprotected))
    pnl = Position.objects.filter(closed_at__lte=now, opened_at__isnull=False).aggregate(
        day=Sum("pnl_sol", filter=Q(closed_at__gt=now - DAY)),
        today=Sum("pnl_sol", filter=Q(closed_at__gte=midnight)))
    today = pnl["today"] or Decimal(0)
    return {
        "open_positions": counts["open"],
        "positions_without_tpsl": counts["unprotected"],
        "realized_pnl_sol_24h": float(pnl["day"] or 0),
        "sl_streak": _sl_streak(now),
        "daily_loss_sol": float(max(Decimal(0), -today)),
        "drawdown_sol_24h": _drawdown(now),
    }
