"""Staff users with a role, and API tokens, made through accounts.services."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.services import api_token_create


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff user; `role="Operator"` puts them in that role's group (bootstrap's)."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True
    password = factory.django.Password("a-long-test-password-0123")

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))


def api_token(*, scopes=("read",), name="test") -> str:
    """A token's raw key (shown once, like the real thing)."""
    return api_token_create(name=name, scopes=list(scopes))[1]
