"""What the credit app tells the apps above it through customers.events (the webhook outbox of
integrations), in the transaction of each change: kinds and their labels."""

BLOCKED = "credit.blocked"
UNBLOCKED = "credit.unblocked"
LIMIT_CHANGED = "credit.limit_changed"
AUTHORIZATION_OVERRIDDEN = "credit.authorization_overridden"

LABELS = {
    BLOCKED: "Crédito bloqueado",
    UNBLOCKED: "Crédito desbloqueado",
    LIMIT_CHANGED: "Cupo cambiado",
    AUTHORIZATION_OVERRIDDEN: "Autorización aprobada por excepción",
}
