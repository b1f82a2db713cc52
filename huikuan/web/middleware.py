import contextlib

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware without the browser's Accept-Language guess.

    Huikuan is Chinese-first: everybody starts in ``LANGUAGE_CODE`` (简体中文) whatever their
    browser's language, and only the language switch (Django's set_language cookie) changes it.
    An English-configured office PC or headless browser would otherwise silently get English.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = settings.LANGUAGE_CODE
        if chosen:
            with contextlib.suppress(LookupError):  # a stale or forged cookie: keep the default
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
