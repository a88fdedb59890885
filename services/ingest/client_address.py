"""Which address a beacon came from: the socket peer, or the one a trusted proxy saw.

Each reverse proxy appends the address it was reached from to X-Forwarded-For, so with N
trusted proxies in front of ingest (settings.trusted_proxy_hops) the N-th entry from the
right is the client as the outermost of them saw it; entries further left are whatever
the client wrote, and are never read. With none (0) the header is ignored altogether:
any client can send one.

The answer is only ever looked up in the country table and dropped (geo.py); it is not
validated here, so garbage comes back as garbage and finds no country.
"""

from __future__ import annotations


def client_address(peer: str | None, forwarded: list[bytes], proxy_hops: int) -> str | None:
    """`forwarded`: every X-Forwarded-For header's value, in the order received."""
    if proxy_hops <= 0:
        return peer
    # rsplit stops after proxy_hops splits from the right: the entries a client wrote are
    # never split, however many it padded the header with.
    entries = b",".join(forwarded).rsplit(b",", proxy_hops) if forwarded else []
    if len(entries) < proxy_hops:
        # Fewer entries than trusted proxies: the request did not come through them all.
        # The peer is then a proxy (or an unknown caller), not the client: no answer
        # rather than a proxy's country.
        return None
    return host_of(entries[-proxy_hops].strip().decode("latin-1"))


def host_of(entry: str) -> str:
    """An entry without its port: `[2001:db8::1]:443`, `[2001:db8::1]`, `192.0.2.1:443`, or a
    bare address (an IPv6 address has at least two colons, so one colon is a port); "" for
    a bracket left open or followed by anything but a port."""
    if entry.startswith("["):
        host, closed, port = entry[1:].partition("]")
        return host if closed and (not port or port.startswith(":")) else ""
    if entry.count(":") == 1:
        return entry.partition(":")[0]
    return entry
