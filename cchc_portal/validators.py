"""Django validators for the text rule of cchc_portal/lib/text.py, so model forms, the admin and
django-import-export refuse what the services refuse, with the same Vietnamese message."""

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible

from cchc_portal.lib.text import text_problem


@deconstructible
class TextValidator:
    """Refuses control and bidirectional characters; line breaks only where `multiline`."""

    def __init__(self, multiline: bool = False):
        self.multiline = multiline

    def __call__(self, value) -> None:
        problem = text_problem(str(value), multiline=self.multiline)
        if problem is not None:
            raise ValidationError(problem.message, code="invalid_characters")

    def __eq__(self, other) -> bool:
        return isinstance(other, TextValidator) and other.multiline == self.multiline


one_line = TextValidator()
multi_line = TextValidator(multiline=True)
