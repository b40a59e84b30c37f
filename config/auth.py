"""Authorisation: the Administrador role holds every permission, including those that later
features add, without having to re-assign them to the group."""

from django.contrib.auth.backends import ModelBackend

from customers.roles import ADMINISTRADOR


def can_use_admin(user) -> bool:
    """The Django admin is for superusers, staff and the Administrador role."""
    return bool(
        user.is_active and (user.is_staff or user.is_superuser or user.groups.filter(name=ADMINISTRADOR).exists())
    )


class RoleBackend(ModelBackend):
    def _is_administrador(self, user_obj) -> bool:
        if not user_obj.is_active or user_obj.is_anonymous:
            return False
        cached = getattr(user_obj, "_is_administrador", None)
        if cached is None:
            cached = user_obj.groups.filter(name=ADMINISTRADOR).exists()
            user_obj._is_administrador = cached
        return cached

    def has_perm(self, user_obj, perm, obj=None):
        return self._is_administrador(user_obj) or super().has_perm(user_obj, perm, obj)

    def has_module_perms(self, user_obj, app_label):
        return self._is_administrador(user_obj) or super().has_module_perms(user_obj, app_label)
