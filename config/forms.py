from django.contrib.auth.forms import AuthenticationForm


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "Usuario o contraseña incorrectos. Revise ambos (las mayúsculas cuentan).",
        "inactive": "Esta cuenta está desactivada. Consulte con el administrador.",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Usuario"
        self.fields["username"].widget.attrs.update({"class": "form-control", "autocomplete": "username"})
        self.fields["password"].label = "Contraseña"
        self.fields["password"].widget.attrs.update({"class": "form-control", "autocomplete": "current-password"})
