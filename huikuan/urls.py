from django.contrib import admin
from django.urls import include, path

from huikuan.api.apis import api

admin.site.site_header = "回款 Huikuan"
admin.site.site_title = "回款 Huikuan"
admin.site.index_title = "应收账款催收管理"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("customers/", include("huikuan.customers.urls")),
    path("contracts/", include("huikuan.contracts.urls")),
    path("ledger/", include("huikuan.ledger.urls")),
    path("reports/", include("huikuan.reports.urls")),
    path("risk/", include("huikuan.risk.urls")),
    path("documents/", include("huikuan.documents.urls")),
    path("imports/", include("huikuan.imports.urls")),
    path("", include("huikuan.notifications.urls")),
    path("", include("huikuan.dunning.urls")),
    path("", include("huikuan.web.urls")),
]
