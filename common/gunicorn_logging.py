"""gunicorn's own loggers (access and error) through the portal's redaction filter.

gunicorn writes its access and error logs itself, outside Django's LOGGING, so the
filter installed there never sees them; the access line carries the query string,
where a client may have put `?token=`. gunicorn.conf.py names this class.
"""

from gunicorn import glogging

from common.redaction import RedactSecretsFilter


class RedactingLogger(glogging.Logger):
    def setup(self, cfg):
        super().setup(cfg)  # also run on every configuration reload (HUP)
        # On the loggers, not their handlers: setup replaces handlers, and a
        # logconfig_dict or syslog handler is covered as well.
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactSecretsFilter) for f in log.filters):
                log.addFilter(RedactSecretsFilter())
