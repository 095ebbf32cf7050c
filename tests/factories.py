"""factory_boy factories for the models tests create often."""

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.roles import sync_roles


class UserFactory(factory.django.DjangoModelFactory):
    """An account with a usable password (``pw-<username>``) and, with ``groups=[...]``, the
    roles named (created again first when a transactional test flushed them)."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.LazyAttribute(lambda user: f"pw-{user.username}")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class.objects.create_user(*args, **kwargs)

    @factory.post_generation
    def groups(user, create, extracted, **kwargs):
        names = list(extracted or ())
        if not create or not names:
            return
        if Group.objects.filter(name__in=names).count() < len(names):
            sync_roles()
        user.groups.add(*(Group.objects.get(name=name) for name in names))
