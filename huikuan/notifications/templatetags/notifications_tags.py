"""Pieces of the message pages that other pages show:

{% load notifications_tags %}
{% customer_letters customer %}   the customer's recent letters and messages (customer page)
{% alerts_banner %}               open sending alerts, for managers and administrators
"""

from django import template

from huikuan.notifications.selectors import customer_letters as letters_of
from huikuan.notifications.selectors import open_alert_count

register = template.Library()


@register.inclusion_tag("notifications/_customer_messages.html")
def customer_letters(customer):
    return {"customer": customer, "letters": letters_of(customer=customer)}


@register.inclusion_tag("notifications/_alerts_banner.html", takes_context=True)
def alerts_banner(context):
    user = context.get("user") or getattr(context.get("request"), "user", None)
    return {"count": open_alert_count(user) if user is not None else 0}
