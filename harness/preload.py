"""Modules a run needs only after its requests, imported in a background thread while the requests wait on the
network: the first wave of requests leaves the event loop idle for most of a server's reply time, and an import
done there is not paid again at the end (the records, and for a run with gold the scoring code, numpy and scipy).

Failures are left for the real import to raise where the module is used; an import already under way is simply
waited for by the import system."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable


def preload(modules: Iterable[str]) -> threading.Thread:
    """Start importing `modules` (in order) in a daemon thread; returns it (a caller never needs to join it)."""
    names = list(modules)

    def load() -> None:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:
                continue

    thread = threading.Thread(target=load, name="harness-preload", daemon=True)
    thread.start()
    return thread
