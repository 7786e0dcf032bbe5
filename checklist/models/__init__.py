# One module per aggregate; every model is imported here for Django.
from .decisions import LaunchDecision
from .items import (
    ChecklistItem,
    ChecklistItemEvent,
    ItemStatus,
    ReadinessOverview,
    VerificationResult,
)
from .launch import Launch, LaunchStep, PostLaunchReview, StepStatus
from .metrics import SuccessMetric, SuccessMetricEntry

__all__ = [
    "ChecklistItem", "ChecklistItemEvent", "ItemStatus", "ReadinessOverview",
    "VerificationResult", "LaunchDecision", "Launch", "LaunchStep", "PostLaunchReview",
    "StepStatus", "SuccessMetric", "SuccessMetricEntry",
]
