from django.urls import path

from credit import views

app_name = "credit"

urlpatterns = [
    path("clientes/<int:pk>/condiciones/", views.conditions_tab, name="conditions"),
    path("clientes/<int:pk>/condiciones/editar/", views.conditions_edit, name="conditions_edit"),
    path("clientes/<int:pk>/bloqueo/", views.block_toggle, name="block"),
    path("clientes/<int:pk>/ver/", views.credit_panel, name="panel"),
    path("clientes/<int:pk>/comprobantes/", views.documents_tab, name="documents"),
    path("clientes/<int:pk>/comprobantes/nuevo/", views.document_create, name="document_create"),
    path("clientes/<int:pk>/comprobantes/<int:document_pk>/pago/", views.payment_create, name="payment_create"),
    path("clientes/<int:pk>/comprobantes/<int:document_pk>/anular/", views.document_void, name="document_void"),
    path("clientes/<int:pk>/proyectos/nuevo/", views.project_create, name="project_create"),
    path("clientes/<int:pk>/puntos/", views.points_tab, name="points"),
    path("clientes/<int:pk>/puntos/ajustar/", views.points_adjust, name="points_adjust"),
    path("clientes/<int:pk>/solicitar-cupo/", views.request_create, name="request_create"),
    path("solicitudes/", views.request_queue, name="requests"),
    path("solicitudes/mias/", views.my_requests, name="my_requests"),
    path("solicitudes/<int:request_pk>/decidir/", views.request_decide, name="request_decide"),
    path("autorizaciones/rechazadas/", views.refused_authorizations, name="authorizations"),
    path(
        "autorizaciones/<int:authorization_pk>/excepcion/", views.authorization_override, name="authorization_override"
    ),
    path("configuracion/", views.credit_settings, name="settings"),
    path("configuracion/puntos/", views.points_program_save, name="points_program"),
    path("configuracion/<slug:slug>/nueva/", views.list_item_save, name="list_item_create"),
    path("configuracion/<slug:slug>/<int:item_pk>/", views.list_item_save, name="list_item_update"),
]
