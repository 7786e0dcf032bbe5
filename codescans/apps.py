from django.apps import AppConfig


class CodescansConfig(AppConfig):
    name = "codescans"
    verbose_name = "The bot's repository: code scans"
