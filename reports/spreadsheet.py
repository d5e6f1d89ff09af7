"""Every CSV and XLSX the app writes keeps text as text: a cell a spreadsheet would run as a formula
(an invitee named `=HYPERLINK(...)`, a client code, any free text) gets a leading apostrophe.

The rule is OWASP's (CSV injection): a text cell that starts with =, +, -, @, a tab or a carriage
return. Numbers are never touched, so a negative score stays a number.
"""

from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """A text value that would start a formula, with a leading ' ; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values):
    return [safe_cell(value) for value in values]


def safe_frame(frame):
    """safe_cell over every column that can hold text (numeric, boolean and date columns cannot)."""
    for column in frame.columns:
        series = frame[column]
        if is_numeric_dtype(series) or is_bool_dtype(series) or is_datetime64_any_dtype(series):
            continue
        frame[column] = series.map(safe_cell, na_action="ignore")
    return frame
