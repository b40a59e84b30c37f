from django.urls import path

from attributes import views

app_name = "attributes"

urlpatterns = [
    path("", views.definition_list, name="list"),
    path("nuevo/", views.definition_create, name="create"),
    path("<int:pk>/", views.definition_update, name="update"),
    path("<int:pk>/mover/", views.definition_move, name="move"),
    path("<int:pk>/archivar/", views.definition_archive, name="archive"),
    path("<int:pk>/restaurar/", views.definition_unarchive, name="unarchive"),
    path("<int:pk>/eliminar/", views.definition_delete, name="delete"),
]
