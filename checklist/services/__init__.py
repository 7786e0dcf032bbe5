"""Writes and workflows for launch readiness, one module per aggregate."""

from checklist.services.bootstrap import checklist_bootstrap

__all__ = ["checklist_bootstrap"]
