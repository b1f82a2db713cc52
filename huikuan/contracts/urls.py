from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("new/", views.contract_new, name="create"),
    path("checks/", views.contract_checks, name="checks"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path(
        "<int:pk>/post-installments/",
        views.contract_post_installments,
        name="post_installments",
    ),
]
