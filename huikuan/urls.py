from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from huikuan.api.apis import api

admin.site.site_header = "回款 Huikuan"
admin.site.site_title = "回款 Huikuan"
admin.site.index_title = "应收账款催收管理"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
]
