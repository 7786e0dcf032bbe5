"""The image copies every project app: one missed in the Dockerfile would only show
when the image first starts (no Docker engine runs here to build it)."""

from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]


def test_the_image_copies_every_project_app():
    dockerfile = (ROOT / "Dockerfile").read_text()
    project = [a.name for a in apps.get_app_configs() if (ROOT / a.name).is_dir()]
    assert {"opsportal", "common", "alerting", "incidents"} <= set(project)
    missing = [name for name in project if f"/src/{name} ./{name}" not in dockerfile]
    assert missing == []
