"""Solana RPC endpoints, their getHealth probes and the active-endpoint history."""

from django.db import models
from django.db.models import Q

from common.encryption import EncryptedURLField
from common.secret_urls import refuse_masked


class RpcEndpoint(models.Model):
    name = models.CharField(max_length=100, unique=True)
    # Carries API keys: encrypted at rest, masked below Admin (docs/security.md).
    url = EncryptedURLField(max_length=500, validators=[refuse_masked])
    priority = models.IntegerField(default=0, help_text="Lower is preferred.")
    enabled = models.BooleanField(default=True)
    is_active = models.BooleanField(default=False, editable=False)
    active_since = models.DateTimeField(null=True, blank=True, editable=False)
    # Probe state, kept on the row so failover needs no scan of the probe table.
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    healthy_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_probe_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["priority", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True),
                                    name="one_active_rpc_endpoint"),
        ]

    def __str__(self):
        return f"{self.name} (priority {self.priority})"

    @property
    def healthy(self) -> bool:
        return self.healthy_since is not None


class RpcProbe(models.Model):
    endpoint = models.ForeignKey(RpcEndpoint, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField()
    ok = models.BooleanField()
    latency_ms = models.FloatField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-at"])]

    def __str__(self):
        return f"{self.endpoint.name} {'ok' if self.ok else 'FAIL'} @ {self.at:%H:%M:%S}"


class RpcSwitch(models.Model):
    """Append-only history of which endpoint the bot was told to use."""

    at = models.DateTimeField()
    from_endpoint = models.ForeignKey(RpcEndpoint, null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    to_endpoint = models.ForeignKey(RpcEndpoint, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} → {self.to_endpoint.name}: {self.reason}"
