import pytest
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.urls import path, reverse

from config.urls import urlpatterns as project_urlpatterns
from customers.roles import ADMINISTRADOR, ALL_PERMISSIONS, ROLE_PERMISSIONS, ROLES, sync_roles
from tests.roles import assert_can, assert_cannot, ensure_roles, user_with_role

pytestmark = pytest.mark.django_db


@permission_required("customers.delete_customer", raise_exception=True)
def _delete_probe(request):
    return HttpResponse("borrado")


# Used by the tests marked @pytest.mark.urls(__name__): the project's URLs plus a probe.
urlpatterns = [path("sonda/borrar/", _delete_probe), *project_urlpatterns]


def _dotted(permissions) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in permissions.select_related("content_type")}


def test_the_four_roles_exist_after_migrations():
    assert set(Group.objects.values_list("name", flat=True)) >= {"Administrador", "Ventas", "Créditos", "Consulta"}
    assert set(ROLES) == {"Administrador", "Ventas", "Créditos", "Consulta"}


@pytest.mark.parametrize("role", [r for r in ROLES if ROLE_PERMISSIONS[r] != ALL_PERMISSIONS])
def test_each_role_holds_exactly_the_permissions_it_lists(role):
    # Straight from the migrations: no sync_roles() here.
    group = Group.objects.get(name=role)
    assert _dotted(group.permissions.all()) == set(ROLE_PERMISSIONS[role])


def test_administrador_has_every_permission_of_the_project():
    # Through RoleBackend, not the group: apps migrated after the roles migration (axes,
    # django-tasks-db…) add permissions the group was never given.
    user = user_with_role(ADMINISTRADOR)
    missing = {perm for perm in _dotted(Permission.objects.all()) if not user.has_perm(perm)}
    assert not missing


def test_administrador_has_a_permission_it_was_never_assigned():
    # A later feature's permission, created after the roles were synced.
    user = user_with_role(ADMINISTRADOR)
    Permission.objects.create(
        codename="approve_everything",
        name="Can approve everything",
        content_type=Permission.objects.first().content_type,
    )
    app_label = Permission.objects.get(codename="approve_everything").content_type.app_label
    # Clear the per-request permission caches by loading the user again.
    user = type(user).objects.get(pk=user.pk)
    assert not Group.objects.get(name=ADMINISTRADOR).permissions.filter(codename="approve_everything").exists()
    assert user.has_perm(f"{app_label}.approve_everything")
    assert user.has_module_perms("credit")


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_other_roles_lack_a_permission_they_were_not_given(role):
    assert not user_with_role(role).has_perm("customers.delete_customer")


def test_an_inactive_administrador_has_no_permission():
    user = user_with_role(ADMINISTRADOR, is_active=False)
    assert not user.has_perm("customers.view_customer")


def test_a_user_without_a_role_is_refused_the_customer_list(client, sin_rol):
    client.force_login(sin_rol)
    assert client.get(reverse("customers:list")).status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_every_role_can_view_the_customer_list(client, role):
    assert_can(client, role, "get", reverse("customers:list"))


def test_user_with_role_survives_a_flushed_database(transactional_db):
    # What a live_server test sees: the groups from the data migration are gone.
    Group.objects.all().delete()
    user = user_with_role("Ventas")
    assert user.has_perm("customers.change_customer")
    assert not user.has_perm("customers.delete_customer")


def _roles_state() -> dict[str, set[str]]:
    return {group.name: _dotted(group.permissions.all()) for group in Group.objects.all()}


def test_ensure_roles_leaves_the_roles_as_sync_roles_does_after_the_migrations():
    ensure_roles()
    ensured = _roles_state()
    sync_roles()
    assert _roles_state() == ensured
    assert ensured[ADMINISTRADOR] == _dotted(Permission.objects.all())


def test_ensure_roles_repairs_a_group_given_or_denied_a_permission():
    ventas, consulta = Group.objects.get(name="Ventas"), Group.objects.get(name="Consulta")
    ventas.permissions.remove(Permission.objects.get(codename="change_customer"))
    consulta.permissions.add(Permission.objects.get(codename="delete_customer"))
    ensure_roles()
    assert _dotted(ventas.permissions.all()) == set(ROLE_PERMISSIONS["Ventas"])
    assert _dotted(consulta.permissions.all()) == set(ROLE_PERMISSIONS["Consulta"])


def test_ensure_roles_recreates_missing_permissions_and_groups():
    Group.objects.filter(name="Créditos").delete()
    Permission.objects.filter(codename="revert_customer").delete()
    ensure_roles()
    assert _dotted(Group.objects.get(name="Créditos").permissions.all()) == set(ROLE_PERMISSIONS["Créditos"])
    assert "customers.revert_customer" in _dotted(Group.objects.get(name=ADMINISTRADOR).permissions.all())


def test_assert_cannot_fails_when_the_role_gets_through(client):
    with pytest.raises(AssertionError, match="no debería poder"):
        assert_cannot(client, "Consulta", "get", reverse("customers:list"))


def test_assert_can_fails_when_the_role_is_sent_to_sign_in(client):
    # The admin answers a non-staff user with its login page, not 403.
    with pytest.raises(AssertionError, match="enviado a ingresar"):
        assert_can(client, "Consulta", "get", reverse("admin:auth_user_changelist"))


@pytest.mark.urls(__name__)
def test_assert_cannot_passes_for_a_role_without_the_permission(client):
    response = assert_cannot(client, "Ventas", "post", "/sonda/borrar/")
    assert response.status_code == 403


@pytest.mark.urls(__name__)
def test_assert_can_passes_for_administrador(client):
    assert assert_can(client, "Administrador", "post", "/sonda/borrar/").content == b"borrado"


def test_administrador_uses_the_django_admin_without_being_staff(client):
    assert_can(client, ADMINISTRADOR, "get", "/admin/")
    assert_can(client, ADMINISTRADOR, "get", "/admin/customers/customer/")


@pytest.mark.parametrize("role", ["Ventas", "Créditos", "Consulta"])
def test_other_roles_are_kept_out_of_the_django_admin(client, role):
    client.force_login(user_with_role(role))
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# --- the signed-in user, read with its groups and permissions (config.auth.RoleBackend) -------


def _signed_in(user):
    from config.auth import RoleBackend

    return RoleBackend().get_user(user.pk)


@pytest.mark.parametrize("role", ROLES)
def test_the_signed_in_user_has_exactly_the_permissions_django_would_read(role):
    user = user_with_role(role)
    user.user_permissions.add(Permission.objects.get(codename="merge_customer"))  # one of its own
    every = _dotted(Permission.objects.all())
    signed_in = _signed_in(user)
    # A user read plainly: ModelBackend reads its permissions from their tables on first use.
    plain = type(user).objects.get(pk=user.pk)
    assert {p for p in every if signed_in.has_perm(p)} == {p for p in every if plain.has_perm(p)}
    assert signed_in.get_all_permissions() == plain.get_all_permissions()
    assert signed_in.has_module_perms("credit") == plain.has_module_perms("credit")


def test_the_signed_in_user_costs_one_query_with_its_role_and_permissions(django_assert_num_queries):
    from customers.roles import is_administrador, role_names

    user = user_with_role("Ventas")
    with django_assert_num_queries(1):
        signed_in = _signed_in(user)
        assert signed_in.has_perm("customers.change_customer")
        assert not signed_in.has_perm("customers.delete_customer")
        assert not is_administrador(signed_in)
        assert role_names(signed_in) == ["Ventas"]


def test_the_signed_in_users_groups_are_named_in_alphabetical_order():
    from customers.roles import role_names

    user = user_with_role("Ventas")
    user.groups.add(Group.objects.get(name="Créditos"))
    assert role_names(_signed_in(user)) == ["Créditos", "Ventas"]
    assert role_names(type(user).objects.get(pk=user.pk)) == ["Créditos", "Ventas"]  # read on demand


def test_an_inactive_or_unknown_user_is_not_signed_in(django_user_model):
    user = user_with_role(ADMINISTRADOR)
    user.is_active = False
    user.save()
    assert _signed_in(user) is None
    from config.auth import RoleBackend

    assert RoleBackend().get_user(10**9) is None
    assert RoleBackend().get_user("no-es-un-id") is None


def test_a_superuser_without_a_role_keeps_every_permission(django_user_model):
    user = django_user_model.objects.create_superuser(username="root", password="x-clave-larga-9")
    signed_in = _signed_in(user)
    assert signed_in.has_perm("customers.delete_customer")
    assert signed_in.get_all_permissions() == _dotted(Permission.objects.all())


@pytest.mark.parametrize(
    ("groups", "superuser", "shown"),
    [
        (["Ventas"], False, "Ventas"),
        (["Ventas", "Créditos"], False, "Créditos, Ventas"),
        ([], False, "Sin rol"),
        ([], True, "Superusuario"),
    ],
)
def test_the_user_menu_names_the_users_roles(client, django_user_model, groups, superuser, shown):
    user = django_user_model.objects.create_user(username="menu", password="x-clave-larga-9", is_superuser=superuser)
    user.groups.set(Group.objects.filter(name__in=groups))
    client.force_login(user, backend="config.auth.RoleBackend")
    # The menu is in base.html: the list, or the 403 page of the same layout without a role.
    text = client.get(reverse("customers:list")).content.decode()
    assert f'<span class="dropdown-item-text small text-body-secondary">{shown}</span>' in text
