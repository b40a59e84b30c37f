"""The documents and credit scopes now carry the credit app's permissions: give them to the
service users of the tokens made before (revoked tokens keep none)."""

from django.db import migrations


def grant(apps, schema_editor):
    from integrations.tokens import SCOPE_PERMISSIONS

    ApiToken = apps.get_model("integrations", "ApiToken")
    Permission = apps.get_model("auth", "Permission")
    for token in ApiToken.objects.filter(revoked_at__isnull=True).select_related("user"):
        wanted = {p for scope in token.scopes for p in SCOPE_PERMISSIONS.get(scope, [])}
        for dotted in sorted(wanted):
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                token.user.user_permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial"), ("credit", "0006_authorizations")]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
