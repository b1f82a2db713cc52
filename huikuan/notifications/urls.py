from django.urls import path

from . import views, webhook_views

app_name = "notifications"

urlpatterns = [
    path("cases/<int:customer_pk>/compose/", views.compose, name="compose"),
    path("messages/", views.message_list, name="messages"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/cancel/", views.message_cancel, name="message_cancel"),
    path("messages/<int:pk>/requeue/", views.message_requeue, name="message_requeue"),
    path("messages/alerts/<int:pk>/resolve/", views.alert_resolve, name="alert_resolve"),
    path(
        "messages/templates/<int:level_pk>/<str:channel>/<str:language>/",
        views.message_template_edit,
        name="message_template",
    ),
    # Webhooks (administrators only).
    path("webhooks/", webhook_views.webhook_list, name="webhooks"),
    path("webhooks/new/", webhook_views.webhook_new, name="webhook_new"),
    path("webhooks/deliveries/", webhook_views.webhook_deliveries, name="webhook_deliveries"),
    path("webhooks/<int:pk>/", webhook_views.webhook_edit, name="webhook"),
    path("webhooks/<int:pk>/rotate-secret/", webhook_views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<int:pk>/switch/", webhook_views.webhook_switch, name="webhook_switch"),
    path("webhooks/<int:pk>/test/", webhook_views.webhook_test, name="webhook_test"),
]
