"""Business rules for customers: every entry point (forms, admin, import, API) calls these.

Each write validates everything first, collecting every error by field (Spanish messages),
then writes in one transaction: it either completes or leaves the database as it was.

By subject: records (the customer's own data, duplicates, revert), addresses, contacts,
lifecycle (Suspender / Reactivar, the Papelera, bulk actions), merging (Fusionar and its undo),
configuration (settings,
categorías, clases); cleaning holds what they share, customers.access the permission check
and the row lock. Callers import from here.
"""

from customers.services.addresses import clean_address_data, delete_address, make_default_address, save_address
from customers.services.cleaning import ADDRESS_LIMITS, CONTACT_LIMITS, MAX_LIST_ITEMS, TEXT_LIMITS
from customers.services.configuration import (
    CHOICE_NAME_MAX,
    check_delete_choice,
    clean_choice_name,
    delete_choice,
    get_customer_settings,
    save_choice,
    update_customer_settings,
)
from customers.services.contacts import clean_contact_data, delete_contact, save_contact
from customers.services.lifecycle import (
    BULK_ACTIONS,
    bulk_lifecycle,
    check_purge,
    check_trash,
    purge_customer,
    reactivate_customer,
    restore_customer,
    suspend_customer,
    trash_customer,
)
from customers.services.merging import (
    dismiss_duplicates,
    merge_choices,
    merge_customers,
    merged_into,
    related_counts,
    undo_merge,
)
from customers.services.records import (
    SOCIAL_FIELDS,
    DuplicateCustomerError,
    DuplicateInfo,
    clean_customer_data,
    create_customer,
    revert_customer,
    set_list_copies,
    update_customer,
)

__all__ = [
    "ADDRESS_LIMITS",
    "BULK_ACTIONS",
    "CHOICE_NAME_MAX",
    "CONTACT_LIMITS",
    "MAX_LIST_ITEMS",
    "SOCIAL_FIELDS",
    "TEXT_LIMITS",
    "DuplicateCustomerError",
    "DuplicateInfo",
    "reactivate_customer",
    "bulk_lifecycle",
    "check_delete_choice",
    "check_purge",
    "check_trash",
    "clean_address_data",
    "clean_choice_name",
    "clean_contact_data",
    "clean_customer_data",
    "create_customer",
    "suspend_customer",
    "delete_address",
    "delete_choice",
    "delete_contact",
    "get_customer_settings",
    "dismiss_duplicates",
    "make_default_address",
    "merge_choices",
    "merge_customers",
    "merged_into",
    "related_counts",
    "undo_merge",
    "purge_customer",
    "restore_customer",
    "revert_customer",
    "save_address",
    "save_choice",
    "save_contact",
    "set_list_copies",
    "trash_customer",
    "update_customer",
    "update_customer_settings",
]
