from django.urls import path

from padron import views

app_name = "padron"

# Mounted at /configuracion/padron/ by config/urls.py.
urlpatterns = [
    path("", views.padron_page, name="page"),
    path("estado/", views.padron_status, name="status"),
    path("<int:pk>/reintentar/", views.padron_retry, name="retry"),
    path("buscar/", views.padron_search, name="search"),
]
