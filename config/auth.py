"""Authorisation: the Administrador role holds every permission, including those that later
features add, without having to re-assign them to the group; a permission that needs others
(customers.roles.PERMISSION_NEEDS: exporting and importing need seeing customers) is held only
with them."""

from django.contrib.auth.backends import ModelBackend

from customers.roles import PERMISSION_NEEDS, get_user_with_roles, is_administrador


def can_use_admin(user) -> bool:
    """The Django admin is for superusers, staff and the Administrador role."""
    return bool(user.is_active and (user.is_staff or user.is_superuser or is_administrador(user)))


class RoleBackend(ModelBackend):
    def get_user(self, user_id):
        """ModelBackend's, with the user's groups and permissions read in the same statement
        (customers.roles.get_user_with_roles): every page asks for them."""
        user = get_user_with_roles(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def has_perm(self, user_obj, perm, obj=None):
        if is_administrador(user_obj):
            return True
        return super().has_perm(user_obj, perm, obj) and all(
            super(RoleBackend, self).has_perm(user_obj, needed, obj) for needed in PERMISSION_NEEDS.get(perm, ())
        )

    def has_module_perms(self, user_obj, app_label):
        return is_administrador(user_obj) or super().has_module_perms(user_obj, app_label)
