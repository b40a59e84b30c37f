from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.generic import RedirectView

from config.auth import can_use_admin
from config.forms import LoginForm
from config.views import favicon
from customers.urls import settings_urlpatterns
from integrations.api import urlpatterns as api_urlpatterns

admin.site.site_header = "Clientes — administración"
admin.site.site_title = "Clientes"
admin.site.index_title = "Administración"
admin.site.has_permission = lambda request: can_use_admin(request.user)

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="customers:list", permanent=False), name="home"),
    path(
        "ingresar/",
        auth_views.LoginView.as_view(authentication_form=LoginForm, redirect_authenticated_user=True),
        name="login",
    ),
    # Open to anonymous visitors: a form posted after the session expired must still land on
    # the login page, not come back to /salir/ by GET (405) after signing in again.
    path("salir/", login_not_required(auth_views.LogoutView.as_view()), name="logout"),
    path("clientes/", include("customers.urls")),
    path("configuracion/padron/", include("padron.urls")),
    path("configuracion/", include(settings_urlpatterns)),
    path("atributos/", include("attributes.urls")),
    path("credito/", include("credit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_urlpatterns(), "api"))),
    path("favicon.ico", favicon, name="favicon"),
]
