"""The main navigation: which sections a role sees. Pages enforce access themselves (with
``role_required`` and the visibility rule); hiding a link is only a courtesy."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from huikuan.org.models import Role

from .decorators import user_has_role


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    path: str
    roles: tuple = ()  # empty: every signed-in user
    exact: bool = False  # active only on the path itself (the dashboard is "/")


NAV_ITEMS = (
    NavItem("dashboard", _("Home"), "/", exact=True),
    NavItem("worklist", _("Worklist"), "/work/"),
    NavItem("customers", _("Customers"), "/customers/"),
    NavItem("receivables", _("Receivables"), "/ledger/receivables/"),
    NavItem("payments", _("Payments"), "/ledger/payments/", (Role.FINANCE, Role.ADMIN)),
    NavItem("aging", _("Aging"), "/reports/aging/"),
    NavItem("contract_checks", _("Contract checks"), "/contracts/checks/"),
    NavItem("approvals", _("Approvals"), "/approvals/", (Role.MANAGER, Role.ADMIN)),
    NavItem("risk", _("Credit risk"), "/risk/"),
    NavItem("messages", _("Outbox"), "/messages/"),
    NavItem("confirmations", _("Confirmations"), "/documents/confirmations/"),
    NavItem("templates", _("Templates"), "/documents/templates/", (Role.FINANCE, Role.ADMIN)),
    NavItem("imports", _("Import"), "/imports/", (Role.FINANCE, Role.ADMIN)),
    NavItem("webhooks", _("Webhooks"), "/webhooks/", (Role.ADMIN,)),
    NavItem("playbook", _("Playbook"), "/playbook/"),
    NavItem("admin", _("Admin"), "/admin/", (Role.ADMIN,)),
)


def nav_for(user, path: str) -> list[dict]:
    """The sections ``user`` may open, each marked ``active`` when ``path`` lies in it."""
    items = []
    for item in NAV_ITEMS:
        if not user_has_role(user, *item.roles):
            continue
        active = path == item.path if item.exact else path.startswith(item.path)
        items.append({"key": item.key, "label": item.label, "url": item.path, "active": active})
    return items
