from django.urls import path

from customers import history_views, import_views, merge_views, views

app_name = "customers"

urlpatterns = [
    path("", views.customer_list, name="list"),
    path("nuevo/", views.customer_create, name="create"),
    path("papelera/", views.customer_trash, name="trash"),
    path("duplicados/", merge_views.duplicate_list, name="duplicates"),
    path("duplicados/descartar/", merge_views.duplicate_dismiss, name="duplicate_dismiss"),
    path("fusionar/", merge_views.customer_merge, name="merge"),
    path("fusiones/<int:pk>/deshacer/", merge_views.merge_undo, name="merge_undo"),
    path("exportar/", import_views.customer_export, name="export"),
    path("importar/", import_views.customer_import, name="import"),
    path("importar/plantilla.xlsx", import_views.import_template, name="import_template"),
    path("importar/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("importar/<int:pk>/confirmar/", import_views.import_confirm, name="import_confirm"),
    path("importar/<int:pk>/columnas/", import_views.import_columns, name="import_columns"),
    path("importar/<int:pk>/reintentar/", import_views.import_retry, name="import_retry"),
    path("importar/<int:pk>/errores.xlsx", import_views.import_report, name="import_report"),
    path("<int:pk>/", views.customer_detail, name="detail"),
    path("<int:pk>/editar/", views.customer_update, name="update"),
    path("<int:pk>/suspender/", views.customer_suspend, name="suspend"),
    path("<int:pk>/reactivar/", views.customer_reactivate, name="reactivate"),
    path("<int:pk>/eliminar/", views.customer_delete, name="delete"),
    path("<int:pk>/restaurar/", views.customer_restore, name="restore"),
    path("<int:pk>/eliminar-definitivamente/", views.customer_purge, name="purge"),
    path("<int:pk>/direcciones/nueva/", views.address_create, name="address_create"),
    path("<int:pk>/direcciones/<int:address_pk>/", views.address_update, name="address_update"),
    path(
        "<int:pk>/direcciones/<int:address_pk>/predeterminada/",
        views.address_make_default,
        name="address_make_default",
    ),
    path("<int:pk>/direcciones/<int:address_pk>/eliminar/", views.address_delete, name="address_delete"),
    path("<int:pk>/contactos/nuevo/", views.contact_create, name="contact_create"),
    path("<int:pk>/contactos/<int:contact_pk>/", views.contact_update, name="contact_update"),
    path("<int:pk>/contactos/<int:contact_pk>/eliminar/", views.contact_delete, name="contact_delete"),
    path("<int:pk>/notas/", history_views.note_list, name="notes"),
    path("<int:pk>/notas/nueva/", history_views.note_create, name="note_create"),
    path("<int:pk>/notas/<int:note_pk>/", history_views.note_update, name="note_update"),
    path("<int:pk>/notas/<int:note_pk>/eliminar/", history_views.note_delete, name="note_delete"),
    path("<int:pk>/historial/", history_views.customer_history, name="history"),
    path("<int:pk>/historial/<int:history_id>/revertir/", history_views.customer_revert, name="revert"),
    path("seleccionados/", history_views.customer_bulk, name="bulk"),
    path("ubigeo/provincias/", views.ubigeo_provinces, name="ubigeo_provinces"),
    path("ubigeo/distritos/", views.ubigeo_districts, name="ubigeo_districts"),
    path("consulta/", views.document_lookup, name="document_lookup"),
    path("telefono/", views.phone_check, name="phone_check"),
]

# Mounted at /configuracion/ by config/urls.py, outside the "customers" namespace: the
# navigation links "Configuración" to the url name "settings".
settings_urlpatterns = [
    path("", views.customer_settings, name="settings"),
    path("<slug:slug>/nueva/", views.choice_create, name="settings_choice_create"),
    path("<slug:slug>/<int:item_pk>/", views.choice_update, name="settings_choice_update"),
    path("<slug:slug>/<int:item_pk>/eliminar/", views.choice_delete, name="settings_choice_delete"),
]
