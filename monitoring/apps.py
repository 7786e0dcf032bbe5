from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Monitoring"

    def ready(self):
        from django.db.backends.signals import connection_created

        from monitoring.perf_middleware import install_query_timing

        # Once per database connection, not per request: a per-request
        # execute_wrapper costs a context manager and a thread-local lookup.
        connection_created.connect(install_query_timing, dispatch_uid="perf_query_timing")
