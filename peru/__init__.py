"""Plain helpers for Peruvian data, with no Django app of their own: Spanish text as the lists
search and sort it (text), document numbers, e-mails and web addresses (validators), phones
(phones). The bottom layer: every app may use them, they import no app."""
