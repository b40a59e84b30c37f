import pytest
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import Group, Permission
from django.http import HttpResponse
from django.urls import path, reverse

from config.urls import urlpatterns as project_urlpatterns
from customers.roles import ADMINISTRADOR, ALL_PERMISSIONS, ROLE_PERMISSIONS, ROLES
from tests.roles import assert_can, assert_cannot, user_with_role

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
