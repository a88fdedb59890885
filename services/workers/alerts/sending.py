"""One webhook attempt (issue 14): a POST of a signed body, its outcome classified for the
outbox (delivery.py): delivered, worth retrying, or failed for good.

Webhooks are requests our servers make to addresses users typed, so the destination's host
is resolved again at every attempt and the request goes to the very addresses checked
public (a second lookup by the HTTP client could answer otherwise: DNS rebinding), with the
host's name as Host header and TLS server name. Redirects are never followed (a redirect
could point anywhere), proxies from the environment never used.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import ssl

import httpx
import msgspec

from services.contracts.alerts import DestinationUrlError, public_address, resolve, url_host
from services.contracts.settings import Settings

RETRYABLE_STATUSES = frozenset({408, 429})  # and every 5xx
# Of a refusal's body, into last_error: Slack names the reason there (`no_service`).
ERROR_BODY_BYTES = 200


@functools.cache
def tls() -> ssl.SSLContext:
    """Made once per process: loading the CA bundle costs ~70 ms, the rest of a send less."""
    return httpx.create_ssl_context()


class Attempt(msgspec.Struct, frozen=True, kw_only=True):
    delivered: bool = False
    retryable: bool = False
    status_code: int | None = None
    error: str | None = None
    retry_after_s: float | None = None


class RefusedHost(Exception):
    """The URL is malformed, or its host now resolves to a non-public address."""


Route = tuple[str, dict[str, str], dict[str, str]]  # URL, extra headers, httpx extensions


async def routes(url: str, allow_private: bool) -> list[Route]:
    """Where to send: the URL itself when private addresses are allowed; otherwise the
    URL once per address its host resolves to now, all of them public, each with the
    host's name as Host header and TLS server name (the certificate is checked for it)."""
    try:
        host, port = url_host(url)
    except DestinationUrlError as exc:
        raise RefusedHost(str(exc)) from None
    if allow_private:
        return [(url, {}, {})]
    addresses = list(dict.fromkeys(await resolve(host, port)))  # DestinationUrlError: retry
    for address in addresses:
        if not public_address(ipaddress.ip_address(address)):
            raise RefusedHost(
                f"the host {host!r} now resolves to {address}, which is not a public address"
                " (VITALS_ALERTS_ALLOW_PRIVATE_DESTINATIONS allows it)"
            )
    parsed = httpx.URL(url)
    pinned = {"Host": parsed.netloc.decode("ascii")}
    extensions = (
        {"sni_hostname": parsed.raw_host.decode("ascii")} if parsed.scheme == "https" else {}
    )
    return [(str(parsed.copy_with(host=a)), pinned, extensions) for a in addresses]


async def send(url: str, body: bytes, headers: dict[str, str], settings: Settings) -> Attempt:
    """POST once, connecting included within alerts_send_timeout_s; never a redirect."""
    timeout_s = settings.alerts_send_timeout_s
    try:
        async with asyncio.timeout(timeout_s):
            try:
                targets = await routes(url, settings.alerts_allow_private_destinations)
            except RefusedHost as exc:
                return Attempt(error=str(exc))
            except DestinationUrlError as exc:  # DNS may answer again later
                return Attempt(error=str(exc), retryable=True)
            async with httpx.AsyncClient(
                timeout=timeout_s, follow_redirects=False, trust_env=False, verify=tls()
            ) as client:
                refused: Exception | None = None
                for target, pinned, extensions in targets:
                    try:
                        return await post(client, target, body, headers | pinned, extensions)
                    except httpx.ConnectError as exc:  # the host's next address may answer
                        refused = exc
                return Attempt(error=f"cannot connect: {_text(refused)}", retryable=True)
    except (TimeoutError, httpx.TimeoutException):
        return Attempt(error=f"no answer within {timeout_s:g} s", retryable=True)
    except httpx.TransportError as exc:  # the connection broke mid-request
        return Attempt(error=f"{type(exc).__name__}: {_text(exc)}", retryable=True)


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: bytes,
    headers: dict[str, str],
    extensions: dict[str, str],
) -> Attempt:
    request = client.build_request("POST", url, content=body, headers=headers,
                                   extensions=extensions)  # fmt: skip
    response = await client.send(request, stream=True)
    try:
        code = response.status_code
        if 200 <= code < 300:
            return Attempt(delivered=True, status_code=code)
        if response.has_redirect_location:
            where = response.headers["location"][:ERROR_BODY_BYTES]
            error = f"{code}: redirected to {where}; redirects are not followed (use that URL)"
            return Attempt(status_code=code, error=error)
        said = await _head_of(response)
        error = f"{code} {response.reason_phrase}" + (f": {said}" if said else "")
        if code >= 500 or code in RETRYABLE_STATUSES:
            return Attempt(status_code=code, error=error, retryable=True,
                           retry_after_s=_retry_after(response))  # fmt: skip
        return Attempt(status_code=code, error=error)
    finally:
        await response.aclose()


async def _head_of(response: httpx.Response) -> str:
    """The first bytes of the answer's body; none of a compressed one (a small compressed
    chunk may inflate to megabytes)."""
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        return ""
    head = b""
    async for chunk in response.aiter_raw():
        head += chunk
        if len(head) >= ERROR_BODY_BYTES:
            break
    return head[:ERROR_BODY_BYTES].decode("utf-8", "replace").strip()


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (its HTTP-date form is rare from webhooks; ignored)."""
    value = response.headers.get("retry-after", "").strip()
    return float(value) if value.isascii() and value.isdigit() else None


def _text(exc: BaseException | None) -> str:
    return (str(exc) or type(exc).__name__) if exc is not None else "no address"
