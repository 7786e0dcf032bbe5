"""What every app's factories share: a factory_boy base whose `create()` goes through
the app's own service, so a test row is one the portal itself could have written."""

from collections.abc import Callable

import factory


def service_factory(service: Callable) -> type[factory.django.DjangoModelFactory]:
    """A base class: `create()` calls `service(**fields)`; `build()` stays unsaved."""

    class ServiceFactory(factory.django.DjangoModelFactory):
        class Meta:
            abstract = True

        @classmethod
        def _create(cls, model_class, *args, **kwargs):
            return service(**kwargs)

    return ServiceFactory
