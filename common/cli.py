"""manage.py's wrapper: every command's audited writes name the operator who ran it.

Kept apart from common.audit so manage.py imports nothing (not even the settings)
before Django's own command line does.
"""

import contextlib


@contextlib.contextmanager
def audit_command_line(argv: list[str]):
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()  # the audit context needs the apps; the command's own setup is a no-op
    except (ImproperlyConfigured, ImportError):
        yield  # let the command report the broken configuration its own way
        return
    from auditlog.context import set_extra_data

    from common.audit import command_line_actor

    with set_extra_data(context_data=command_line_actor(argv)):
        yield
