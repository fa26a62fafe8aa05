"""Jinja filters of the template, loaded by cookiecutter through `_extensions` (cookiecutter.json).

They write a free-text answer as a string literal that reads back exactly as typed. The
pre-generation hook refuses control characters, so the backslash and the quote are all that
needs escaping. Jinja's `tojson` would not do: it writes an emoji as a UTF-16 surrogate pair,
which TOML refuses and Python reads as two broken characters.
"""

from cookiecutter.utils import simple_filter


@simple_filter
def toml_string(value):
    """A TOML basic string: double quotes, with backslash escapes."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@simple_filter
def python_string(value):
    """A Python string literal quoted as ruff format quotes it: in double quotes, unless the
    text holds more double quotes than single ones."""
    escaped = value.replace("\\", "\\\\")
    if value.count('"') > value.count("'"):
        return "'" + escaped.replace("'", "\\'") + "'"
    return '"' + escaped.replace('"', '\\"') + '"'
