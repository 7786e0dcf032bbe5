#!/usr/bin/env python
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
    from django.core.management import execute_from_command_line

    from common.cli import audit_command_line

    # The audit log names the operator of every command's writes (cli:<user>).
    with audit_command_line(sys.argv):
        execute_from_command_line(sys.argv)
