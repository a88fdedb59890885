"""A page path → its one spelling: the same page whether sent raw or percent-encoded.

A browser sends `/café` as `/caf%C3%A9`; a hand-made client may send it raw. Both must be
one page and one route, shown as people read them. The rule is RFC 3987 §3.2's (URI →
IRI), made strict enough that a path stays safe to store and display:

- a percent-encoded run of bytes is decoded where it forms valid UTF-8 and the characters
  are ones we show (below); bytes that are not valid UTF-8 (`%FF`, an overlong or a
  surrogate) stay encoded, hex in upper case (`%ff` → `%FF`);
- encoded ASCII is decoded, except the characters that would change what the path means
  or how it reads: `%2F` (a `/` inside a segment, never a separator), `%25` (so `%252F`
  and `%2F` stay two paths), `%3F` and `%23` (a query or fragment would start), `%5C`
  (browsers read `\\` as `/`), space, and control characters;
- the characters never shown raw are encoded whichever way they came: ASCII and C1
  control characters, DEL, space, `\\`, `?` and `#` (in a declared route), a `%` that
  starts no escape, and beyond ASCII
  format characters (bidi overrides, zero-width joiners), separators (no-break and
  other spaces, line and paragraph separators), private-use, unassigned and surrogate
  code points. Letters, marks, numbers, punctuation and symbols of every script show.

The result is idempotent (its own spelling), holds no control or invisible formatting
character, and has no `/` that was not a `/` in the URL. Unicode normalisation (NFC) is
not applied: a server may serve NFC and NFD spellings as different pages.
"""

from __future__ import annotations

import re
import unicodedata

# Printable ASCII that shows as itself: everything from `!` to `~` but the five above.
_ASCII_SHOWN = frozenset(chr(c) for c in range(0x21, 0x7F)) - frozenset("%/?#\\")
# Unicode categories shown raw: letters, marks, numbers, punctuation, symbols.
_SHOWN_CATEGORIES = frozenset("LMNPS")
_ESCAPES = re.compile(r"(?:%[0-9A-Fa-f]{2})+")
# The common case (an ASCII path with nothing to decode or encode) returns at once.
_NEEDS_WORK = re.compile(r"[^!-~]|[%\\?#]")


def canonical_path(path: str) -> str:
    if _NEEDS_WORK.search(path) is None:
        return path
    out: list[str] = []
    position = 0
    for run in _ESCAPES.finditer(path):
        out.extend(_raw(path[position : run.start()]))
        out.extend(_decoded(bytes.fromhex(run[0].replace("%", ""))))
        position = run.end()
    out.extend(_raw(path[position:]))
    return "".join(out)


def _raw(text: str) -> list[str]:
    """Characters as sent: shown, or encoded when they must not show."""
    return [c if c == "/" or _shown(c) else _encoded(c) for c in text]


def _decoded(octets: bytes) -> list[str]:
    """A run of escapes: `surrogateescape` turns each byte that is not valid UTF-8 into a
    lone surrogate, which is never shown, so it goes back to its own escape."""
    out = []
    for c in octets.decode("utf-8", errors="surrogateescape"):
        if "\udc80" <= c <= "\udcff":
            out.append(f"%{ord(c) - 0xDC00:02X}")
        else:
            out.append(c if _shown(c) else _encoded(c))
    return out


def _shown(c: str) -> bool:
    if c < "\x80":
        return c in _ASCII_SHOWN
    return unicodedata.category(c)[0] in _SHOWN_CATEGORIES


def _encoded(c: str) -> str:
    # surrogatepass: a lone surrogate (possible in a Python str, never valid UTF-8) is
    # still written as three escapes rather than raising.
    return "".join(f"%{b:02X}" for b in c.encode("utf-8", errors="surrogatepass"))
