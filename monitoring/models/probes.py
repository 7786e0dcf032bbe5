"""What the bot depends on (HTTP(S) endpoints, API keys) and the probes of them (issue 18)."""

from django.core.exceptions import ValidationError
from django.db import models

from common.encryption import EncryptedCharField, EncryptedURLField
from common.secret_urls import refuse_masked


class Provider(models.TextChoices):
    BAGS = "bags", "bags.fm"
    JUPITER = "jupiter", "Jupiter"
    TELEGRAM = "telegram", "Telegram Bot API"
    SOLANA_RPC = "solana_rpc", "Solana RPC"
    BOT_HEALTH = "bot_health", "the bot's health URL"
    GENERIC = "generic", "generic"


# The safe, declarative form of a JSON condition: a dotted path and one test.
CONDITION_TESTS = ("equals", "not_equals", "in", "exists")


def validate_json_condition(value) -> None:
    if value in (None, {}):
        return
    if not isinstance(value, dict) or not isinstance(value.get("path"), str) \
            or not value["path"]:
        raise ValidationError('a JSON condition is {"path": "a.b", "equals": value} '
                              f"(or one of {', '.join(CONDITION_TESTS)}), or empty")
    tests = [t for t in CONDITION_TESTS if t in value]
    extra = sorted(set(value) - {"path", *CONDITION_TESTS})
    if len(tests) != 1 or extra:
        raise ValidationError(f"a JSON condition needs exactly one of {', '.join(CONDITION_TESTS)}"
                              + (f"; unknown key(s): {', '.join(extra)}" if extra else ""))
    if "in" in value and not isinstance(value["in"], list):
        raise ValidationError('"in" takes a list of values')
    if "exists" in value and not isinstance(value["exists"], bool):
        raise ValidationError('"exists" takes true or false')


class Dependency(models.Model):
    name = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Provider.choices, default=Provider.GENERIC)
    # May carry an API key (RPC URLs do): encrypted at rest, masked below Admin.
    url = EncryptedURLField(max_length=500, validators=[refuse_masked],
                            help_text="http or https; Solana RPC kinds are sent getHealth.")
    expected_status = models.PositiveSmallIntegerField(default=200)
    json_condition = models.JSONField(
        default=dict, blank=True, validators=[validate_json_condition],
        help_text='Optional, e.g. {"path": "status", "equals": "ok"}; tests: '
                  + ", ".join(CONDITION_TESTS) + ".")
    latency_budget_ms = models.PositiveIntegerField(
        default=2000, help_text="A slower answer counts as a failed probe.")
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # State of the last probe, kept on the row so /metrics and the checklist scan no probes.
    probe_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_probe_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_ok = models.BooleanField(null=True, editable=False)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    last_latency_ms = models.FloatField(null=True, blank=True, editable=False)
    last_reason = models.CharField(max_length=300, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    cert_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    cert_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "dependencies"

    def __str__(self):
        return f"{self.name} ({self.kind})"

    def clean(self):
        if self.url and not self.url.lower().startswith(("http://", "https://")):
            raise ValidationError({"url": "only http:// and https:// URLs can be probed"})

    @property
    def is_https(self) -> bool:
        return bool(self.url) and self.url.lower().startswith("https://")


class DependencyProbe(models.Model):
    dependency = models.ForeignKey(Dependency, on_delete=models.CASCADE, related_name="probes")
    at = models.DateTimeField()
    ok = models.BooleanField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    cert_expires_at = models.DateTimeField(null=True, blank=True)
    cert_days_left = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["dependency", "-at"]), models.Index(fields=["at"])]

    def __str__(self):
        return f"{self.dependency.name} {'ok' if self.ok else 'FAIL'} @ {self.at:%H:%M:%S}"


KEY_PROVIDERS = (Provider.BAGS, Provider.JUPITER, Provider.TELEGRAM)


class KeyOutcome(models.TextChoices):
    VALID = "valid", "valid"
    INVALID = "invalid", "invalid (401/403)"
    UNCHECKED = "unchecked", "could not check"


class ApiKey(models.Model):
    provider = models.CharField(max_length=20, choices=[(p.value, p.label) for p in KEY_PROVIDERS])
    name = models.CharField(max_length=100, unique=True)
    # Never shown back: not in any serializer's output, nor in the admin's forms.
    secret = EncryptedCharField(max_length=500)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    check_claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Null until the first check.
    last_outcome = models.CharField(max_length=10, choices=KeyOutcome.choices, null=True,
                                    blank=True, editable=False)
    last_reason = models.CharField(max_length=300, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["provider", "name"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.name} ({self.provider})"


class ApiKeyCheck(models.Model):
    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="checks")
    at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=KeyOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    latency_ms = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["key", "-at"])]

    def __str__(self):
        return f"{self.key.name} {self.outcome} @ {self.at:%Y-%m-%d %H:%M}"
