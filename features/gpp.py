"""The IAB Global Privacy Platform string the banner sends with a decision under a US opt-out law.

It is kept in the decision's evidence (`evidence.gpp`) as what the banner told the page's
vendors at that moment. The server does not interpret the sections; it checks the shape so that
only a well-formed string is stored: base64url sections joined with "~", a header of type 3,
version 1, whose Fibonacci-coded list of section ids names as many sections as follow it.
"""

import re

MAX_LENGTH = 2048
_SECTION = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _bits(text):
    return "".join(format(_B64.index(c), "06b") for c in text)


def _fibonacci(bits, at):
    """(value, next position) of the Zeckendorf code starting at `at` (ends with "11")."""
    end = bits.find("11", at)
    if end < 0:
        raise ValueError("unterminated")
    fib, value = [1, 2], 0
    for i, bit in enumerate(bits[at : end + 1]):
        while len(fib) <= i:
            fib.append(fib[-1] + fib[-2])
        value += fib[i] if bit == "1" else 0
    return value, end + 2


def section_ids(header):
    """The section ids a GPP header lists; ValueError if it is no GPP v1 header."""
    bits = _bits(header)
    if len(bits) < 24 or int(bits[:6], 2) != 3 or int(bits[6:12], 2) != 1:
        raise ValueError("not a GPP header")
    count, at, offset, ids = int(bits[12:24], 2), 24, 0, []
    for _ in range(count):
        if at >= len(bits):
            raise ValueError("truncated")
        is_range, at = bits[at] == "1", at + 1
        start, at = _fibonacci(bits, at)
        start += offset
        end = start
        if is_range:
            length, at = _fibonacci(bits, at)
            end = start + length
        ids.extend(range(start, end + 1))
        offset = end
    return ids


def gpp_error(value):
    """Why `value` is not a GPP string the banner could have sent, or None."""
    expected = "Expected a GPP string: base64url sections joined with ~, starting with a GPP v1 header."
    if not isinstance(value, str) or not 0 < len(value) <= MAX_LENGTH:
        return f"Expected a GPP string of 1-{MAX_LENGTH} characters."
    header, *sections = value.split("~")
    if not all(_SECTION.match(part) for part in [header, *sections]) or "." in header:
        return expected
    try:
        ids = section_ids(header)
    except ValueError:
        return expected
    if len(ids) != len(sections):
        return f"The GPP header lists {len(ids)} sections but {len(sections)} follow it."
    return None
