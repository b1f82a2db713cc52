from django.urls import path

from . import views

app_name = "documents"

urlpatterns = [
    path("<int:pk>.pdf", views.document_pdf, name="pdf"),
    path("preview.pdf", views.preview_pdf, name="preview"),
    path("<int:pk>/mark-sent/", views.mark_sent, name="mark_sent"),
    path("confirmations/", views.confirmation_list, name="confirmations"),
    path("confirmations/<int:pk>/", views.confirmation_detail, name="confirmation"),
    path("confirmations/<int:pk>/reply/", views.confirmation_reply, name="confirmation_reply"),
    path("confirmations/<int:pk>/attach/", views.confirmation_attach, name="confirmation_attach"),
    path("confirmations/<int:pk>/scan/", views.confirmation_scan, name="confirmation_scan"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<str:kind>/<str:language>/", views.template_edit, name="template"),
    path(
        "templates/<str:kind>/<str:language>/preview.pdf",
        views.template_preview,
        name="template_preview",
    ),
]
