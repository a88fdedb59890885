"""A project's route rules as the admin API accepts them: regular expressions the
workers run (`re.fullmatch`) on every page path of the project, so a rule must not be
able to take a worker's time. Patterns whose matching can explode — a repeated group
that itself holds a repeat (`(a+)+`) or alternatives (`(a|aa)*`), back-references,
look-arounds — are refused (conservatively: some harmless ones too); the
rest of Python's syntax is allowed. The workers skip a rule that does not compile, but
the API refuses it first with its error."""

from __future__ import annotations

import re

# The parse tree `re` itself compiles from (typeshed types it only as the deprecated
# `sre_parse` alias, which warns on import).
import re._parser as sre_parse  # type: ignore[import-not-found]
from typing import Annotated, Any

import msgspec

MAX_RULES = 100
MAX_PATTERN = 500
Pattern = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_PATTERN)]
# services/workers/routes.py cuts routes at 512 characters; ours must fit.
Route = Annotated[str, msgspec.Meta(min_length=1, max_length=512, pattern="^/[^\x00]*$")]
REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT, sre_parse.POSSESSIVE_REPEAT}
REFUSED = {sre_parse.GROUPREF, sre_parse.GROUPREF_EXISTS, sre_parse.ASSERT, sre_parse.ASSERT_NOT}


class RouteRule(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pattern: Pattern
    route: Route


RouteRules = Annotated[list[RouteRule], msgspec.Meta(max_length=MAX_RULES)]


class UnsafePattern(ValueError):
    pass


def check_rules(rules: list[RouteRule]) -> None:
    for index, rule in enumerate(rules):
        try:
            check_pattern(rule.pattern)
        except (re.error, UnsafePattern) as exc:
            raise UnsafePattern(f"route_rules[{index}].pattern {rule.pattern!r}: {exc}") from None


def check_pattern(pattern: str) -> None:
    if "\x00" in pattern:
        raise UnsafePattern("contains NUL")
    _walk(sre_parse.parse(pattern), inside_repeat=False)


def _walk(items: Any, *, inside_repeat: bool) -> None:
    for op, value in items:
        if op in REFUSED:
            raise UnsafePattern("back-references and look-arounds are not allowed")
        if op in REPEATS:
            low, high, body = value
            if inside_repeat and high != low:
                raise UnsafePattern("a repeat inside a repeat can take exponential time")
            _walk(body, inside_repeat=inside_repeat or high != low)
        elif op is sre_parse.SUBPATTERN:
            _walk(value[-1], inside_repeat=inside_repeat)
        elif op is sre_parse.BRANCH:
            if inside_repeat:  # (a|aa)* : overlapping alternatives under a repeat
                raise UnsafePattern("alternatives inside a repeat can take exponential time")
            for branch in value[1]:
                _walk(branch, inside_repeat=inside_repeat)
        elif op is sre_parse.ATOMIC_GROUP:
            _walk(value, inside_repeat=inside_repeat)
