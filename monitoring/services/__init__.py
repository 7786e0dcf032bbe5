"""Writes and workflows for monitoring, one module per aggregate.

Callers import the module they need: `from monitoring.services import health`.
"""
