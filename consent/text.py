"""What no text field of the platform accepts: NUL cannot be stored in PostgreSQL text, and the
other C0 controls (and DEL) have no business in a key, a search or a filter."""

import re

# C0 controls and DEL, without tab, line feed and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Anything below space (and DEL) is refused in a path or a parameter name.
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text, *, allow_whitespace=True):
    """True if the text holds a character no field of the platform accepts."""
    if not isinstance(text, str):
        return False
    return bool((_CONTROL if allow_whitespace else _ANY_CONTROL).search(text))
