# One module per aggregate; every model is imported here for Django.
from checklist.models.decisions import LaunchDecision
from checklist.models.items import (
    ChecklistItem,
    ChecklistItemEvent,
    ItemStatus,
    ReadinessOverview,
    VerificationResult,
)
from checklist.models.launch import Launch, LaunchStep, PostLaunchReview, StepStatus
from checklist.models.metrics import SuccessMetric, SuccessMetricEntry

__all__ = [
    "ChecklistItem", "ChecklistItemEvent", "ItemStatus", "ReadinessOverview",
    "VerificationResult", "LaunchDecision", "Launch", "LaunchStep", "PostLaunchReview",
    "StepStatus", "SuccessMetric", "SuccessMetricEntry",
]
