from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    INGEST = "ingest", "ingest (POST events)"
    READ = "read", "read (metrics, lists)"
    WRITE = "write", "write (create, change, act)"
    # With read: channel and RPC URLs whole, credentials included (the bot needs the
    # active RPC endpoint's key); without it they are masked (docs/security.md).
    SECRETS = "secrets", "secrets (see credentials in channel and RPC URLs)"
    # The bot's CI: POST its coverage, test and review evidence, and nothing else.
    EVIDENCE = "evidence", "evidence (POST CI coverage, test and review reports)"
    # The kill switch (POST /api/v1/bot/control): pause, resume, ask for exit_all.
    CONTROL = "control", "control (pause or resume the bot's entries, ask for exit all)"


class ApiToken(models.Model):
    """A bearer token for the bot, Prometheus or a script. Only a hash of the key is kept."""

    name = models.CharField(max_length=100)
    # The first characters of the key, kept in clear so a token can be told
    # apart in admin and looked up by index without scanning every hash.
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="Any of: ingest, read, write")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class ScanStatus(models.TextChoices):
    CLEAN = "clean", "clean"
    FINDINGS = "findings", "findings"
    # The tool could not do its job (no network to its vulnerability service):
    # neither clean nor failed, and never to be read as clean.
    UNAVAILABLE = "unavailable", "could not run"


class SecurityScan(models.Model):
    """One run of a security scanner: evidence for the checklist's security items."""

    tool = models.CharField(max_length=40)
    status = models.CharField(max_length=20, choices=ScanStatus.choices)
    findings = models.PositiveIntegerField(default=0)
    summary = models.CharField(max_length=300)
    output = models.TextField(blank=True)
    ran_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-ran_at"]

    def __str__(self):
        return f"{self.tool} {self.status} at {self.ran_at:%Y-%m-%d %H:%M}"
