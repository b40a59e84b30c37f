"""python manage.py api_token create NAME --scope customers:read [--scope …] [--expires DAYS]
python manage.py api_token revoke NAME
python manage.py api_token list"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from integrations.models import ApiToken, Scope
from integrations.tokens import create_token, revoke_token


class Command(BaseCommand):
    help = "Crea, revoca o lista los tokens de la API de integración."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="Crea un token e imprime su secreto (se muestra una sola vez).")
        create.add_argument("name")
        create.add_argument(
            "--scope", action="append", required=True, choices=Scope.values, help="Repita para varios permisos."
        )
        create.add_argument("--expires", type=int, metavar="DAYS", help="Días de vigencia (sin esto no vence).")
        revoke = sub.add_parser("revoke", help="Revoca un token: deja de funcionar enseguida.")
        revoke.add_argument("name")
        sub.add_parser("list", help="Lista los tokens.")

    def handle(self, *args, action, **options):
        # A command is run by whoever administers the server: the system acts (actor None).
        if action == "create":
            try:
                token, raw = create_token(
                    actor=None, name=options["name"], scopes=options["scope"], expires_days=options["expires"]
                )
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            self.stdout.write(raw)
            self.stderr.write(
                f"Token «{token.name}» creado ({', '.join(token.scopes)}). Guárdelo: no se vuelve a mostrar."
            )
        elif action == "revoke":
            token = ApiToken.objects.filter(name__iexact=options["name"]).first()
            if token is None:
                raise CommandError(f"No existe un token llamado «{options['name']}».")
            revoke_token(actor=None, token=token)
            self.stdout.write(f"Token «{token.name}» revocado.")
        else:
            for token in ApiToken.objects.all():
                state = (
                    "revocado"
                    if token.revoked_at
                    else ("vence " + token.expires_at.isoformat() if token.expires_at else "vigente")
                )
                used = token.last_used_at.isoformat() if token.last_used_at else "nunca"
                self.stdout.write(
                    f"{token.name}\t{token.prefix}…\t{','.join(token.scopes)}\t{state}\túltimo uso: {used}"
                )
