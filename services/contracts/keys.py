"""The ingest-key registry: written by the CLI and the workers, read by ingest.

Keys are 256-bit random tokens, so a fast hash (SHA-256) is the right tool: there is
nothing to brute-force, and ingest must look a key up on every beacon.
"""

from __future__ import annotations

import hashlib
import secrets

import msgspec

REGISTRY_KEY = "vitals:keys"  # Redis hash: sha256(key) hex -> ProjectAccess JSON
# Set with every complete build of the registry (key_registry.py): missing means "not built".
MARKER_KEY = "vitals:keys:built"
KEY_PREFIX = "vk_"


class ProjectAccess(msgspec.Struct, frozen=True, kw_only=True):
    """What ingest needs to know about a key's project, denormalised into the registry."""

    v: int = 1
    project_id: int
    allowed_origins: tuple[str, ...] = ()  # empty: any origin
    rate_limit_per_minute: int = 60_000
    filter_bots: bool = True


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def display_prefix(key: str) -> str:
    """Enough of a key to recognise it in a list without revealing it."""
    return key[: len(KEY_PREFIX) + 6]


encode_access = msgspec.json.Encoder().encode
decode_access = msgspec.json.Decoder(ProjectAccess).decode
