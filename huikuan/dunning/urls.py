from django.urls import path

from . import views

app_name = "dunning"

urlpatterns = [
    path("work/", views.worklist, name="worklist"),
    path("cases/<int:customer_pk>/", views.case, name="case"),
    path("cases/<int:customer_pk>/activity/", views.activity_new, name="activity_new"),
    path("cases/<int:customer_pk>/disputes/new/", views.dispute_new, name="dispute_new"),
    path("cases/<int:customer_pk>/approvals/new/", views.approval_new, name="approval_new"),
    path("disputes/", views.dispute_list, name="disputes"),
    path("disputes/<int:pk>/resolve/", views.dispute_resolve, name="dispute_resolve"),
    path("promises/", views.promise_list, name="promises"),
    path("approvals/", views.approval_list, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="approval_decide"),
    path("approvals/<int:pk>/post-write-off/", views.approval_post, name="approval_post"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("playbook/", views.playbook_page, name="playbook"),
]
