"""Editing the letters' templates: each save a new version, a broken template refused with its
line, and a reset back to the built-in wording."""

import pytest

from huikuan.documents.models import DocumentTemplate
from huikuan.documents.render import built_in_source, template_source, validate_template
from huikuan.documents.services import document_template_reset, document_template_save
from huikuan.dunning.tests.factories import make_user, refused

pytestmark = pytest.mark.django_db

GOOD = '{% extends "documents/pdf/_base.html" %}{% block content %}<p>{{ total }}</p>{% endblock %}'


def templates_state():
    return list(DocumentTemplate.objects.values_list("kind", "language", "version"))


def test_saving_makes_the_next_version_the_one_in_use():
    user = make_user()
    first = document_template_save(
        kind="statement", language="zh-hans", body=GOOD, actor=user, note="更短"
    )
    second = document_template_save(
        kind="statement", language="zh-hans", body=GOOD + "<!-- 2 -->", actor=user
    )
    other = document_template_save(kind="statement", language="en", body=GOOD, actor=user)
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert first.created_by == user and first.note == "更短"
    assert template_source("statement", "zh-hans") == (GOOD + "<!-- 2 -->", 2)


def test_a_template_with_a_syntax_error_is_refused_naming_the_line():
    body = "<p>一</p>\n<p>二</p>\n{% if total %}<p>no end</p>\n"
    with refused("body", match="Line 3"):
        document_template_save(kind="statement", language="zh-hans", body=body, actor=None)
    with refused("body", match="Line 2"):
        document_template_save(
            kind="confirmation", language="en", body="ok\n{{ total|nosuchfilter }}", actor=None
        )
    assert templates_state() == []


def test_a_template_extending_a_missing_file_or_empty_is_refused():
    with refused("body"):
        document_template_save(
            kind="statement",
            language="zh-hans",
            body='{% extends "documents/pdf/nope.html" %}',
            actor=None,
        )
    with refused("body", match="empty"):
        document_template_save(kind="statement", language="zh-hans", body="  ", actor=None)
    with refused("kind"):
        document_template_save(kind="memo", language="zh-hans", body=GOOD, actor=None)
    assert templates_state() == []


def test_every_built_in_template_is_valid():
    for kind in ("statement", "confirmation", "overdue-notice", "lawyer-letter"):
        for language in ("zh-hans", "en"):
            validate_template(built_in_source(kind, language))


def test_reset_saves_the_built_in_text_as_a_new_version():
    with refused("kind", match="already uses the built-in"):
        document_template_reset(kind="overdue-notice", language="zh-hans", actor=None)
    document_template_save(kind="overdue-notice", language="zh-hans", body=GOOD, actor=None)
    reset = document_template_reset(kind="overdue-notice", language="zh-hans", actor=None)
    assert reset.version == 2
    assert reset.body == built_in_source("overdue-notice", "zh-hans")
    assert template_source("overdue-notice", "zh-hans") == (reset.body, 2)
    assert DocumentTemplate.objects.filter(kind="overdue-notice").count() == 2
