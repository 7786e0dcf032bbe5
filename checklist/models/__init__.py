# One module per aggregate; every model is imported here for Django.
from checklist.models.decisions import LaunchDecision
from checklist.models.items import (
    ChecklistItem,
    ChecklistItemEvent,
    ItemStatus,
    ReadinessOverview,
    VerificationResult,
)
from checklist.models.launch import (
    Launch,
    LaunchStep,
    LaunchStepEvent,
    PostLaunchReview,
    StepStatus,
)
from checklist.models.metrics import SuccessMetric, SuccessMetricEntry
from checklist.models.waivers import DecisionSignoff, VerdictEvent, Waiver

__all__ = [
    "ChecklistItem", "ChecklistItemEvent", "ItemStatus", "ReadinessOverview",
    "VerificationResult", "LaunchDecision", "Launch", "LaunchStep", "LaunchStepEvent",
    "PostLaunchReview",
    "StepStatus", "SuccessMetric", "SuccessMetricEntry", "DecisionSignoff", "VerdictEvent",
    "Waiver",
]
