"""Forms of the import pages: they read the upload and the chosen columns; the import services
decide what a file holds and write it."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import ImportKind, ImportMapping
from .services import upload_size_check

FIELD_PREFIX = "col-"


class UploadForm(forms.Form):
    """What to import and from which file; optionally a saved column mapping.

    The saved mappings of every kind are offered, grouped by kind: the service looks the name up
    within the chosen kind and says so when that kind has no mapping of that name."""

    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=[("", "—"), *ImportKind.choices]
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("An Excel workbook (.xlsx) or a CSV file, with a header row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    mapping_name = forms.ChoiceField(
        label=_("Saved column mapping"),
        required=False,
        help_text=_("Without one, columns are recognised by their headers."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        groups: dict[str, list] = {}
        for mapping in ImportMapping.objects.order_by("kind", "name"):
            label = str(ImportKind(mapping.kind).label)
            groups.setdefault(label, []).append((mapping.name, mapping.name))
        self.fields["mapping_name"].choices = [
            ("", _("None: recognise the columns")),
            *groups.items(),
        ]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        # A huge upload is refused before its bytes are read into memory (the service's rule).
        try:
            upload_size_check(upload.size)
        except ValidationError as error:
            raise forms.ValidationError(error.message_dict["file"]) from None
        return upload


class MappingForm(forms.Form):
    """Which column of the file holds each field of the kind: one select per field listing the
    file's headers, and a name to save the choice under for the next file from the same source.

    Every field is optional here, also the required ones: the preview says which required
    fields are still missing, and a mapping may be saved before the file is complete."""

    save_as = forms.CharField(
        label=_("Save this mapping as"),
        required=False,
        max_length=64,
        help_text=_("A name such as “Kingdee receivables”; the same name replaces the old one."),
    )

    def __init__(self, *args, fields, headers, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in this file —"))]
        choices += [(header, header) for header in dict.fromkeys(headers) if str(header).strip()]
        self.specs = list(fields)
        for spec in self.specs:
            self.fields[FIELD_PREFIX + spec.key] = forms.ChoiceField(
                label=spec.label, required=False, choices=choices, help_text=spec.help
            )
        # Saving comes last, after the columns.
        self.order_fields([FIELD_PREFIX + spec.key for spec in self.specs] + ["save_as"])

    def column_fields(self) -> list[tuple[object, forms.BoundField]]:
        """``(field spec, bound field)`` for each field of the kind, in the kind's order."""
        return [(spec, self[FIELD_PREFIX + spec.key]) for spec in self.specs]

    def mapping(self) -> dict[str, str]:
        """``{field key: header}``; a field left "not in this file" maps to ``""`` so that the
        service does not fall back to recognising it."""
        return {spec.key: self.cleaned_data[FIELD_PREFIX + spec.key] for spec in self.specs}

    @staticmethod
    def initial_for(mapping: dict[str, str]) -> dict[str, str]:
        return {FIELD_PREFIX + key: header for key, header in mapping.items()}
