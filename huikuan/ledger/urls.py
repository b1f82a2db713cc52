from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("receivables/", views.receivable_list, name="receivables"),
    path("receivables/<int:pk>/", views.receivable_detail, name="receivable"),
    path("payments/", views.payment_list, name="payments"),
    path("payments/new/", views.payment_new, name="payment_new"),
    path(
        "payments/open-receivables/",
        views.payment_open_receivables,
        name="payment_open_receivables",
    ),
    path("payments/<int:pk>/", views.payment_detail, name="payment"),
    path("payments/<int:pk>/reverse/", views.payment_reverse, name="payment_reverse"),
    path("deliveries/new/", views.delivery_new, name="delivery_new"),
]
