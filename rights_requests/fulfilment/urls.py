from django.urls import path

from . import views

app_name = "fulfilment"

urlpatterns = [
    path("", views.my_data, name="my_data"),
    path("download.<str:fmt>", views.my_data_download, name="my_data_download"),
    path("packages/<str:token>/", views.package_download, name="package"),
]
