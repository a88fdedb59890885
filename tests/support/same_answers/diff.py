"""Two stacks' answers to the same views, compared field by field.

Exact equality: both editions run the same SQL over the same rows, so even floats must
match to the last bit. A difference names the view, its parameters, the JSON path and
both values.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from tests.support.same_answers.views import View

Answer = tuple[int, Any]  # HTTP status, JSON body
MISSING = "<missing>"


@dataclass(frozen=True)
class Difference:
    view: View
    path: str
    left: Any
    right: Any

    def describe(self, left_name: str, right_name: str) -> str:
        return (
            f"{self.view.describe()}\n    at {self.path}: "
            f"{left_name}={_short(self.left)}  {right_name}={_short(self.right)}"
        )


def _short(value: Any, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def differences(view: View, left: Answer, right: Answer) -> list[Difference]:
    if left[0] != right[0]:  # different kinds of answer: their bodies say why
        return [Difference(view, "<status>", left, right)]
    found: list[Difference] = []
    _walk(view, "$", left[1], right[1], found)
    return found


def _walk(view: View, path: str, left: Any, right: Any, found: list[Difference]) -> None:
    if isinstance(left, dict) and isinstance(right, dict):
        for key in sorted(left.keys() | right.keys(), key=str):
            _walk(view, f"{path}.{key}", left.get(key, MISSING), right.get(key, MISSING), found)
    elif isinstance(left, list) and isinstance(right, list):
        if len(left) != len(right):
            found.append(Difference(view, f"{path}.length", len(left), len(right)))
        for index, (a, b) in enumerate(zip(left, right, strict=False)):
            _walk(view, f"{path}[{index}]", a, b, found)
    # type() too: 1 == 1.0 == True in Python, not in JSON.
    elif type(left) is not type(right) or left != right:
        found.append(Difference(view, path, left, right))


def report(differences: list[Difference], left_name: str, right_name: str, limit: int = 40) -> str:
    """A readable list: the first `limit` differences, and how many views they touch."""
    views = {d.view.describe() for d in differences}
    # Each view once per phase ("[right after arrival] $.x" -> "[right after arrival]").
    touched = {
        (d.path.partition("]")[0] + "]", d.view.name, d.view.describe()) for d in differences
    }
    kinds = Counter((phase, name) for phase, name, _ in touched)
    lines = [f"{len(differences)} differences in {len(views)} views ({left_name} vs {right_name})"]
    lines.append(
        "views differing by phase and kind: "
        + ", ".join(f"{p} {k}: {n}" for (p, k), n in sorted(kinds.items()))
    )
    lines += [d.describe(left_name, right_name) for d in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"... and {len(differences) - limit} more")
    return "\n".join(lines)
