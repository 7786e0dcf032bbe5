from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class SuccessMetric(models.Model):
    """A V1 Success Metric (first 30 days) as an objective with a target."""

    class Comparator(models.TextChoices):
        LT = "lt", "<"
        LE = "le", "≤"
        GT = "gt", ">"
        GE = "ge", "≥"
        EQ = "eq", "="

    key = models.SlugField(max_length=64, unique=True)
    group = models.CharField(max_length=50)
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    source = models.CharField(max_length=100, blank=True,
                              help_text="metrics:<key> of /metrics, window30:<key> (rolling 30 "
                                        "days of the bot's events), scan:<field> (the bot's "
                                        "repository), ci:coverage, or empty (entered by hand)")
    comparator = models.CharField(max_length=2, choices=Comparator.choices)
    target = models.FloatField(null=True, blank=True)
    unit = models.CharField(max_length=20, blank=True)
    has_error_budget = models.BooleanField(default=False)

    class Meta:
        ordering = ["position"]

    def __str__(self):
        return self.text


class SuccessMetricEntry(models.Model):
    """A value entered by hand for a metric the portal cannot measure, with its source."""

    metric = models.ForeignKey(SuccessMetric, on_delete=models.CASCADE, related_name="entries")
    value = models.FloatField()
    source = models.CharField(max_length=300, help_text="where the number comes from")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                   related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        ordering = ["-entered_at", "-id"]
        verbose_name_plural = "success metric entries"

    def __str__(self):
        return f"{self.metric.key} = {self.value:g} ({self.source})"

    def clean(self):
        if self.metric_id and self.metric.source:
            raise ValidationError(
                {"value": f"“{self.metric.text}” is measured by the portal "
                          f"({self.metric.source}); it cannot be entered by hand."})
