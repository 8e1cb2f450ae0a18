"""Outlets and newsrooms: a "speaker" that is the outlet or its staff is no speaker; the claim is the outlet's own."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["is_outlet"]

_OUTLETS = {
    "sindonews",
    "sindo",
    "bisnis",
    "bisnis indonesia",
    "jpnn",
    "medcom",
    "metrotvnews",
    "metro tv",
    "metrotv",
    "cipasera",
    "google news",
    "redaksi",
    "tim redaksi",
    "reporter",
    "wartawan",
    "penulis",
    "redaktur",
    "editor",
    "jurnalis",
    "kontributor",
    "red",
    "the outlet",
    "outlet",
    "news outlet",
    "the newsroom",
    "newsroom",
    "journalist",
    "the journalist",
    "the reporter",
    "the author",
    "author",
    "the article",
    "the writer",
    "writer",
}
_NEWSROOM_ROLES = (
    "redaksi",
    "reporter",
    "wartawan",
    "penulis",
    "redaktur",
    "editor",
    "jurnalis",
    "journalist",
    "kontributor",
    "the reporter",
    "the journalist",
)


def is_outlet(name: str | None) -> bool:
    """True for a news outlet or the newsroom ("Sindonews", "jpnn.com", "Medcom.id", "wartawan"), not a speaker."""
    if not isinstance(name, str):
        return False
    s = unicodedata.normalize("NFKC", name).casefold().strip()
    s = re.sub(r"^(?:https?://)?(?:www\.)?", "", s)
    s = re.sub(r"\.(?:com|co\.id|id|net)\b", "", s)
    s = " ".join(re.sub(r"[^\w\s&]", " ", s).split())
    if s in _OUTLETS:
        return True
    return any(s.startswith(role + " ") for role in _NEWSROOM_ROLES)  # "Redaktur & Reporter : Fathan Sinaga"
