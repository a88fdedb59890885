"""Known crawlers and headless browsers, whose page views are not real users' experience."""

from __future__ import annotations

import re
from functools import lru_cache

from ua_parser import parse_device

# ua-parser knows hundreds of crawlers (device family "Spider") but not these, which load
# pages in a real engine and so run the SDK: automation, audits and synthetic monitors.
_AUTOMATION = re.compile(
    r"HeadlessChrome|Chrome-Lighthouse|PhantomJS|Puppeteer|Playwright|Selenium|PTST/|Cypress",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)  # user agents repeat heavily; the regex set costs ~6 µs a miss
def is_bot(user_agent: str) -> bool:
    if not user_agent:
        return False
    if _AUTOMATION.search(user_agent):
        return True
    device = parse_device(user_agent)
    return device is not None and device.family == "Spider"


def load_parser() -> None:
    """Build ua-parser's regex set now, at start-up: it takes ~0.2 s, which would otherwise
    fall on the first beacon that needs it."""
    parse_device("")
