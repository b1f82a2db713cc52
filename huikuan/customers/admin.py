from django.contrib import admin
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from huikuan.core.admin import (
    HuikuanModelAdmin,
    HuikuanStackedInline,
    HuikuanTabularInline,
    date_column,
    money_column,
)

from .models import Contact, Customer, PaymentProcess
from .services import customer_create, customer_update


class ContactInline(HuikuanTabularInline):
    model = Contact
    extra = 1
    fields = ("name", "role", "title", "phone", "email", "wechat", "is_active", "left_on")


class PaymentProcessFormSet(BaseInlineFormSet):
    """Offers only this customer's own contacts as recipient, signer and approver."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        contacts = (
            Contact.objects.filter(customer=self.instance)
            if self.instance.pk
            else Contact.objects.none()
        )
        for name in ("request_recipient", "signer", "approver"):
            if name in form.fields:
                form.fields[name].queryset = contacts


class PaymentProcessInline(HuikuanStackedInline):
    model = PaymentProcess
    formset = PaymentProcessFormSet
    max_num = 1
    can_delete = False
    fields = (
        ("request_recipient", "signer", "approver"),
        ("settlement_day", "approval_steps"),
        ("needs_original_invoice", "needs_delivery_proof", "cash_allowed"),
        "notes",
    )


@admin.register(Customer)
class CustomerAdmin(HuikuanModelAdmin):
    list_display = ("code", "name", "region", "owner", "status", "credit_limit_display")
    list_filter = ("status", "region", "is_government")
    list_select_related = ("region", "owner")
    search_fields = ("code", "name")
    autocomplete_fields = ("region", "owner")
    readonly_fields = ("created_at_display",)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    ("code", "name"),
                    ("status", "is_government"),
                    ("region", "owner"),
                    ("address", "distance_km"),
                )
            },
        ),
        (
            _("Credit profile"),
            {
                "fields": (
                    ("credit_limit", "payment_terms_days"),
                    ("rating", "first_deal_on"),
                    "created_at_display",
                )
            },
        ),
    )

    credit_limit_display = money_column(Customer, "credit_limit")
    created_at_display = date_column(Customer, "created_at")

    def get_inlines(self, request, obj):
        # customer_create sets up the payment process, so it can be filled in once the
        # customer exists (and only the customer's own contacts can be chosen in it).
        if obj is None:
            return [ContactInline]
        return [ContactInline, PaymentProcessInline]

    def save_model(self, request, obj, form, change):
        # Through the services, so owner, status and credit changes reach the audit trail.
        if change:
            changed = {name: form.cleaned_data[name] for name in form.changed_data}
            if changed:
                customer_update(customer=obj, actor=request.user, **changed)
            return
        fields = {
            name: value for name, value in form.cleaned_data.items() if name not in ("code", "name")
        }
        created = customer_create(
            code=form.cleaned_data["code"],
            name=form.cleaned_data["name"],
            actor=request.user,
            **fields,
        )
        # The admin goes on to save the inlines against ``obj``: make it the saved row.
        obj.pk = created.pk
        obj.created_at = created.created_at
        obj._state.adding = False
        obj._state.db = created._state.db
