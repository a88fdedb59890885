"""User agent → browser, browser major version, OS and device class (ua-parser).

Device classes, first match wins:

1. other: crawlers (ua-parser's "Spider") and TVs / streaming devices;
2. tablet: iPads, UAs that say "Tablet", and Android without "Mobile" (Google's own rule
   for telling Android tablets from phones);
3. mobile: "Mobi" anywhere (MDN's recommendation), iOS and Android;
4. desktop: desktop operating systems;
5. other: everything else.

An iPad on iPadOS 13+ sends a Mac user agent by default, so it counts as desktop: no
server-side parser can tell them apart.
"""

from __future__ import annotations

import functools
import re

import msgspec
import ua_parser

from services.contracts.metrics import Device

# Parsing costs tens of microseconds; a site's traffic comes from a few thousand distinct
# user agents, so a bounded cache makes it free without growing without limit.
CACHE_SIZE = 8192
SMALLINT_MAX = 32767

_TV = re.compile(r"smart-?tv|\bTV\b|Web0S|HbbTV|AppleTV|CrKey|BRAVIA", re.IGNORECASE)
_DESKTOP_OS = frozenset(
    {"Windows", "Mac OS X", "Linux", "Chrome OS", "Ubuntu", "Fedora", "Debian", "FreeBSD",
     "OpenBSD", "NetBSD", "Solaris", "Arch Linux", "Mint", "Gentoo", "Red Hat", "SUSE"}
)  # fmt: skip


class Agent(msgspec.Struct, frozen=True):
    browser: str
    browser_major: int | None
    os: str
    device: Device


@functools.lru_cache(maxsize=CACHE_SIZE)
def agent_of(user_agent: str) -> Agent:
    # Families are cut out of the header, which may hold a NUL (latin-1 decoded, any
    # byte): PostgreSQL text cannot store one, and it would fail the batch.
    user_agent = user_agent.replace("\x00", "")
    result = ua_parser.parse(user_agent).with_defaults()
    device = _device_class(
        user_agent, result.os.family, result.device.family, result.device.brand or ""
    )
    browser = "" if result.user_agent.family == "Other" else result.user_agent.family
    os_name = "" if result.os.family == "Other" else result.os.family
    return Agent(browser, _major(result.user_agent.major), os_name, device)


def _device_class(user_agent: str, os_family: str, device_family: str, brand: str) -> Device:
    if device_family == "Spider" or _TV.search(user_agent) or "TV" in device_family:
        return Device.OTHER
    if (
        device_family == "iPad"
        or "Tablet" in user_agent
        or "Tablet" in brand
        or (os_family == "Android" and "Mobile" not in user_agent)
    ):
        return Device.TABLET
    if "Mobi" in user_agent or os_family in ("iOS", "Android"):
        return Device.MOBILE
    if os_family in _DESKTOP_OS:
        return Device.DESKTOP
    return Device.OTHER


def _major(version: str | None) -> int | None:
    # isdigit() also holds for "²", which int() refuses; ASCII digits are what int() takes.
    if version is None or not (version.isascii() and version.isdigit()):
        return None
    value = int(version)
    return value if value <= SMALLINT_MAX else None
