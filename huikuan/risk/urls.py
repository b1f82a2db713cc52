from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.index, name="index"),
    path("customers/<int:customer_pk>/check/", views.check, name="check"),
    path("customers/<int:customer_pk>/exceptions/new/", views.exception_new, name="exception_new"),
    path("customers/<int:customer_pk>/holds/new/", views.hold_new, name="hold_new"),
    path("customers/<int:customer_pk>/terms/", views.terms_edit, name="terms"),
    path("customers/<int:customer_pk>/signals/new/", views.signal_new, name="signal_new"),
    path("holds/<int:pk>/release/", views.hold_release, name="hold_release"),
    path("signals/", views.signal_list, name="signals"),
    path("signals/<int:pk>/handle/", views.signal_handle, name="signal_handle"),
    path("exceptions/", views.exception_list, name="exceptions"),
    path("exceptions/grant/", views.exception_grant, name="exception_grant"),
    path("exceptions/<int:pk>/revoke/", views.exception_revoke, name="exception_revoke"),
    path("decisions/", views.decision_list, name="decisions"),
]
