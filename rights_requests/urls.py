from django.urls import path

from . import views

app_name = "rights_requests"

urlpatterns = [
    path("status/<str:reference>/<str:token>/", views.status_view, name="status"),
    path("confirm-email/<str:token>/", views.confirm_email_view, name="confirm_email"),
]
