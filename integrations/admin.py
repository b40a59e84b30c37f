"""Tokens and webhooks in the Django admin (Administrador). A token's secret is shown once,
right after it is created; only its hash is kept."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from integrations import tokens, webhooks
from integrations.models import ApiToken, DeliveryAttempt, OutboxEvent, Scope, WebhookDelivery, WebhookEndpoint
from integrations.tasks import schedule_delivery


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label="Permisos", choices=Scope.choices, widget=forms.CheckboxSelectMultiple)
    expires_days = forms.IntegerField(
        label="Vence en (días)",
        required=False,
        min_value=1,
        max_value=tokens.MAX_EXPIRY_DAYS,
        help_text="Vacío: no vence.",
    )

    class Meta:
        model = ApiToken
        fields = ["name"]

    def clean(self):
        cleaned = super().clean()
        # The service's own checks (name taken in any case, scopes), shown on the form.
        errors = tokens.token_errors(
            name=cleaned.get("name", ""), scopes=cleaned.get("scopes") or [], expires_days=cleaned.get("expires_days")
        )
        for field, texts in errors.items():
            for message in texts:
                self.add_error(field if field in self.fields else None, message)
        return cleaned


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "scopes", "created_at", "expires_at", "last_used_at", "revoked_at"]
    search_fields = ["name"]
    actions = ["revoke"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiTokenForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "scopes", "expires_days"]
        return [
            "name",
            "prefix",
            "scopes",
            "user",
            "created_at",
            "created_by",
            "expires_at",
            "last_used_at",
            "revoked_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead: the history keeps naming its service user

    def save_model(self, request, obj, form, change):
        if change:
            return
        try:
            token, raw = tokens.create_token(
                actor=request.user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_days=form.cleaned_data.get("expires_days"),
            )
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from exc
        obj.pk, obj.user_id, obj.key_hash = token.pk, token.user_id, token.key_hash
        messages.warning(request, f"Token de «{token.name}»: {raw} — cópielo ahora, no se vuelve a mostrar.")

    def save_related(self, request, form, formsets, change):
        pass

    def log_addition(self, request, obj, message):
        pass

    @admin.action(description="Revocar los tokens elegidos", permissions=["change"])
    def revoke(self, request, queryset):
        for token in queryset:
            tokens.revoke_token(actor=request.user, token=token)
        messages.success(request, f"{queryset.count()} token(s) revocado(s).")


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label="URL", max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(label="Eventos", choices=[], widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "secret", "events", "is_active"]
        widgets = {"secret": forms.PasswordInput(render_value=True)}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = list(webhooks.EVENT_LABELS.items())

    def clean_url(self):
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise ValidationError("La URL debe empezar con https:// (o http:// en una red interna).")
        return url

    def clean_secret(self):
        secret = self.cleaned_data["secret"]
        if len(secret) < 16:
            raise ValidationError("Use un secreto de al menos 16 caracteres.")
        return secret


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "is_active", "created_at"]


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "endpoint", "customer_id", "status", "attempts", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "endpoint"]
    readonly_fields = ["endpoint", "event", "customer_id", "status", "attempts", "next_attempt_at", "delivered_at"]
    inlines = [AttemptInline]
    actions = ["resend"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Reenviar los envíos elegidos", permissions=["change"])
    def resend(self, request, queryset):
        count = webhooks.resend(actor=request.user, deliveries=list(queryset))
        schedule_delivery()
        messages.success(request, f"{count} envío(s) en cola para reenviar ({timezone.localtime():%H:%M}).")


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "customer_id", "created_at"]
    list_filter = ["event"]
    readonly_fields = ["event", "customer_id", "payload", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
