from django.core.management.base import BaseCommand

from opsportal.minute import monitor_pass


class Command(BaseCommand):
    help = "One pass of the minute loop: health sample, heartbeats, metric snapshot."

    def handle(self, *args, **options):
        for line in monitor_pass():
            self.stdout.write(line)
