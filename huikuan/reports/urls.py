from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("aging/", views.aging_report, name="aging"),
    path("aging/receivables/", views.aging_receivables, name="aging_receivables"),
    path("aging.xlsx", views.aging_xlsx, name="aging_xlsx"),
]
