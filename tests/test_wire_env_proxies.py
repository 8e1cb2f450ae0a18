"""The wire reads the proxy variables as urllib.request.getproxies_environment does (it does not import urllib.request,
to keep it off a command's start): every combination of set, empty and unset variables gives the same mapping."""

from __future__ import annotations

import itertools
import os
import urllib.request

from harness.extract.wire import _env_proxies

NAMES = ["HTTP_PROXY", "http_proxy", "Https_proxy", "HTTPS_PROXY", "all_proxy", "NO_PROXY", "REQUEST_METHOD"]


def test_every_combination_reads_as_urllib_reads_it(monkeypatch) -> None:
    for k in [k for k in os.environ if k.lower().endswith("_proxy") or k == "REQUEST_METHOD"]:
        monkeypatch.delenv(k)
    checked = 0
    for values in itertools.product([None, "", "set"], repeat=len(NAMES)):
        for name, value in zip(NAMES, values, strict=True):
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, f"{name}-{value}" if value else "")
        assert _env_proxies() == urllib.request.getproxies_environment(), dict(zip(NAMES, values, strict=True))
        checked += 1
    assert checked == 3 ** len(NAMES)
