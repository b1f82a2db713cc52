from django.urls import path

from . import views

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
]
