"""Turning a letter into HTML (a Django template) and the HTML into a PDF (WeasyPrint).

Chinese must render on a fresh server with no Chinese system font, so the PDF always embeds the
Noto Sans SC and Noto Serif SC fonts shipped in the ``pylopdf-fonts-zh-cn`` package: a stylesheet
we add to every document declares them with ``@font-face`` (families "Huikuan Serif" and
"Huikuan Sans") and makes them the default, and WeasyPrint embeds the glyphs used.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

import pylopdf_fonts_zh_cn
from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError, engines
from django.utils import translation
from django.utils.translation import gettext as _
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from huikuan.core.amount_words import amount_in_words
from huikuan.core.errors import invalid
from huikuan.core.money import ZERO

from .models import DEMAND_KINDS, DocumentKind, DocumentTemplate, Language
from .selectors import (
    confirmation_data,
    customer_contacts,
    letterhead,
    overdue_data,
    statement_data,
)

# One font configuration for the whole process: it holds the @font-face fonts loaded once.
FONT_CONFIG = FontConfiguration()

PREVIEW_NUMBER = "(preview)"


@dataclass(frozen=True)
class RenderedHtml:
    html: str
    total: Decimal  # the letter's key figure: closing balance or overdue total
    template_version: int  # 0: the built-in file


def built_in_name(kind: str, language: str) -> str:
    """The template file used when no edited version exists."""
    return f"documents/pdf/{kind}.{language}.html"


def _check_kind(kind: str, language: str) -> None:
    if kind not in DocumentKind.values:
        raise invalid("kind", _("Unknown kind of document: %(kind)s.") % {"kind": kind})
    if language not in Language.values:
        raise invalid("language", _("Unknown language: %(language)s.") % {"language": language})


def template_source(kind: str, language: str) -> tuple[str, int]:
    """The template in use for ``kind`` in ``language`` and its version: the latest saved
    version, else the built-in file (version 0)."""
    _check_kind(kind, language)
    saved = (
        DocumentTemplate.objects.filter(kind=kind, language=language)
        .order_by("-version")
        .values_list("body", "version")
        .first()
    )
    if saved is not None:
        return saved
    return built_in_source(kind, language), 0


def built_in_source(kind: str, language: str) -> str:
    """The text of the built-in template file for ``kind`` in ``language``."""
    return engines["django"].get_template(built_in_name(kind, language)).template.source


@cache
def _checking_engine() -> Engine:
    # The site's engine with debug on, only to check edited templates: in debug mode Django
    # records the line of a syntax error, which the person editing needs to see.
    site = engines["django"].engine
    return Engine(dirs=site.dirs, app_dirs=site.app_dirs, libraries=site.libraries, debug=True)


def _error_message(exc: Exception) -> str:
    line = getattr(exc, "template_debug", {}).get("line")
    if line:
        return _("Line %(line)s: %(error)s") % {"line": line, "error": exc}
    return str(exc)


def validate_template(body: str) -> None:
    """Refuse a template that does not compile (``invalid("body", …)`` naming the line), or
    that extends or includes a template that does not exist."""
    if not (body or "").strip():
        raise invalid("body", _("The template is empty."))
    engine = _checking_engine()
    try:
        template = engine.from_string(body)
        # {% extends %} and {% include %} find their templates only when rendered.
        template.render(Context({}))
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise invalid("body", _error_message(exc)) from None
    except Exception:  # an empty context may upset a filter; real data will not
        pass


def _words(amount: Decimal) -> str:
    return amount_in_words(abs(amount))


def default_date_from(as_of: date) -> date:
    """A statement with no start date covers the month of ``as_of`` up to that day."""
    return as_of.replace(day=1)


class NothingToDemand(Exception):
    """A demand (overdue notice, lawyer's letter) to a customer with nothing overdue."""

    def __init__(self, customer, as_of: date):
        super().__init__(customer, as_of)
        self.customer = customer
        self.as_of = as_of


def document_context(
    *, kind: str, customer, as_of: date, date_from: date | None, language: str, number: str
) -> dict:
    """Everything a document template may use:

    ``letterhead``, ``customer``, ``number``, ``today`` (= ``as_of``), ``as_of``, ``language``,
    ``kind``, ``contact`` (the addressee: a finance contact when there is one), ``total`` (the
    letter's key figure), ``total_words`` (its capital form, 大写, of the absolute value) and
    ``total_negative``; then per kind ``statement`` (see ``selectors.Statement``),
    ``confirmation`` (``selectors.Confirmation``) or ``overdue`` (``selectors.Overdue``, for the
    overdue notice and the lawyer's letter).
    """
    context = {
        "kind": kind,
        "language": language,
        "letterhead": letterhead(),
        "customer": customer,
        "number": number,
        "today": as_of,
        "as_of": as_of,
    }
    if kind == DocumentKind.STATEMENT:
        statement = statement_data(
            customer=customer, date_from=date_from or default_date_from(as_of), as_of=as_of
        )
        contacts = customer_contacts(customer)
        context["statement"] = statement
        context["contact"] = contacts[0] if contacts else None
        total = statement.closing_balance
    elif kind == DocumentKind.CONFIRMATION:
        confirmation = confirmation_data(customer=customer, as_of=as_of)
        context["confirmation"] = confirmation
        context["contact"] = confirmation.finance_contact
        total = confirmation.our_balance
    else:
        overdue = overdue_data(customer=customer, as_of=as_of)
        if overdue.total <= ZERO:
            raise NothingToDemand(customer, as_of)
        context["overdue"] = overdue
        context["contact"] = overdue.finance_contact
        total = overdue.total
    context["total"] = total
    context["total_words"] = _words(total)
    context["total_negative"] = total < ZERO
    return context


def render_html(
    *,
    kind: str,
    customer,
    as_of: date,
    date_from: date | None = None,
    language: str = Language.ZH_HANS,
    body: str | None = None,
    number: str = PREVIEW_NUMBER,
) -> RenderedHtml:
    """The letter as an HTML page, from the template in use (or ``body``, an edited template
    being previewed, reported as version 0 of nothing saved), in ``language``.

    Refuses an unknown kind or language, ``date_from`` after ``as_of``, a template that does not
    compile, and a demand (overdue notice, lawyer's letter) to a customer with nothing overdue.
    """
    _check_kind(kind, language)
    if date_from is not None and date_from > as_of:
        raise invalid("date_from", _("The period cannot start after the as-of date."))
    if body is not None:
        validate_template(body)
        version = 0
    else:
        body, version = template_source(kind, language)
    # The letter speaks its own language; a refusal speaks the user's, so it is worded only
    # once the override has ended.
    try:
        with translation.override(language):
            context = document_context(
                kind=kind,
                customer=customer,
                as_of=as_of,
                date_from=date_from,
                language=language,
                number=number,
            )
            html = engines["django"].from_string(body).render(context)
    except NothingToDemand as nothing:
        raise invalid(
            "kind",
            _("%(customer)s has nothing overdue on %(date)s; there is nothing to demand.")
            % {"customer": nothing.customer.name, "date": nothing.as_of.isoformat()},
        ) from None
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise invalid(
            "body",
            _("The template of this document cannot be used: %(error)s") % {"error": exc},
        ) from None
    return RenderedHtml(html=html, total=context["total"], template_version=version)


def is_demand(kind: str) -> bool:
    return kind in DEMAND_KINDS


# --- PDF -----------------------------------------------------------------------------------------


@cache
def font_stylesheet() -> CSS:
    """The stylesheet added to every document: the embedded Chinese fonts, as the default."""
    sans = pylopdf_fonts_zh_cn.sans_path().as_uri()
    serif = pylopdf_fonts_zh_cn.serif_path().as_uri()
    css = f"""
        @font-face {{ font-family: "Huikuan Sans"; src: url("{sans}"); }}
        @font-face {{ font-family: "Huikuan Serif"; src: url("{serif}"); }}
        html {{ font-family: "Huikuan Serif", "Huikuan Sans", serif; }}
    """
    return CSS(string=css, font_config=FONT_CONFIG)


def html_to_pdf(html: str) -> bytes:
    """The PDF of an HTML page, with the Chinese fonts embedded (A4 and the page footer come
    from the templates' ``@page`` rules)."""
    return HTML(string=html).write_pdf(stylesheets=[font_stylesheet()], font_config=FONT_CONFIG)
