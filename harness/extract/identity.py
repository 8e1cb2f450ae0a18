"""An endpoint's identity in cache keys: which server answered, stable across machines and ports, free of secrets."""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

LOCAL_PREFIX = "local:"


def remote_identity(base_url: str) -> str:
    """An endpoint's cache identity: its URL without credentials, query or fragment (no secret ever lands in a key)."""
    parts = urlsplit(base_url.strip())
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc, parts.path.rstrip("/"), "", ""))


def local_identity(model_file: Path | None, pinned_sha256: str, verified: bool) -> str:
    """`local:<sha256 of the GGUF>`: the same on every machine whatever port the server got.

    The pinned file (verified at set-up) is named by its pin without re-reading 1 GB; any other file is hashed.
    """
    if model_file is None or verified:
        return LOCAL_PREFIX + pinned_sha256
    digest = hashlib.sha256()
    with Path(model_file).open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return LOCAL_PREFIX + digest.hexdigest()
