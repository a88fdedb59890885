"""Split a SQL script into statements, respecting quotes, dollar quotes and comments.

Needed only for no-transaction migrations: PostgreSQL runs a multi-statement string as
one implicit transaction, which is exactly what those files must avoid.
"""

from __future__ import annotations

import re

_DOLLAR_TAG = re.compile(r"\$[A-Za-z_]*\$")


def split_statements(script: str) -> list[str]:
    statements: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(script):
        char = script[i]
        if script.startswith("--", i):
            end = script.find("\n", i)
            i = len(script) if end == -1 else end + 1
            continue
        if script.startswith("/*", i):
            end = script.find("*/", i + 2)
            i = len(script) if end == -1 else end + 2
            continue
        if char == "'":
            end = _closing_quote(script, i)
            current.append(script[i:end])
            i = end
            continue
        tag = _DOLLAR_TAG.match(script, i)
        if tag is not None:
            close = script.find(tag.group(), tag.end())
            end = len(script) if close == -1 else close + len(tag.group())
            current.append(script[i:end])
            i = end
            continue
        if char == ";":
            _flush(current, statements)
        else:
            current.append(char)
        i += 1
    _flush(current, statements)
    return statements


def _closing_quote(script: str, start: int) -> int:
    i = start + 1
    while i < len(script):
        if script[i] == "'":
            if script.startswith("''", i):
                i += 2
                continue
            return i + 1
        i += 1
    return len(script)


def _flush(current: list[str], statements: list[str]) -> None:
    statement = "".join(current).strip()
    if statement:
        statements.append(statement)
    current.clear()
