from django.urls import path

from . import views

app_name = "imports"

urlpatterns = [
    path("", views.batch_list, name="list"),
    path("new/", views.batch_new, name="new"),
    path("<int:pk>/", views.batch_detail, name="batch"),
    path("<int:pk>/recheck/", views.batch_recheck, name="recheck"),
    path("<int:pk>/commit/", views.batch_commit, name="commit"),
]
