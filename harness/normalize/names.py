"""Names: titles stripped, aliases split, a speaker string resolved to the article's canonical speaker.

Title and role-phrase rules are hand-written (no listed library knows Indonesian official titles); fuzzy
matching is rapidfuzz. Pure functions; nothing here raises on text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from rapidfuzz import fuzz

__all__ = ["strip_titles", "split_aliases", "resolve_speaker", "is_outlet", "normalize_name"]

# Titles and honorifics in front of a name, longest first; a trailing "." is optional.
_TITLES = sorted(
    """wakil presiden|wakil menteri|asisten deputi|vice president|kepala negara|menkop ukm|menkop dan ukm|
    menteri koordinator|direktur utama|presiden|wapres|menteri|menko|menkominfo|menkopukm|menkop|mendag|menkeu|
    menparekraf|wamen|kepala|deputi|asisten|plt|plh|pj|bapak|ibu|pak|bu|dr|prof|ir|drs|dra|hj|h|sdr|sdri|
    gubernur|wagub|bupati|walikota|wali kota|ketua|direktur|dirut|sekjen|dirjen|mr|mrs|ms|president|minister""".split("|"),
    key=len,
    reverse=True,
)
_TITLE = re.compile(r"^(?:" + "|".join(re.escape(" ".join(t.split())) for t in _TITLES) + r")(?:\.|\b)[\s,]*",
                    re.IGNORECASE)
_DEGREES = re.compile(
    r"(?:,?\s+(?:S\.?E|S\.?H|S\.?T|S\.?Sos|S\.?Kom|S\.?Pd|S\.?IP|M\.?Si|M\.?M|M\.?T|M\.?Sc|M\.?Pd|M\.?B\.?A|"
    r"M\.?H|Ph\.?D|MBA|M\.?A|B\.?A|B\.?Sc|Lc)\.?)+$"
)
# Words of office and organisation (generic, not article-specific): a run of them in front of a name is a role.
_ROLE_WORDS = set(
    """bidang koordinasi koordinator pariwisata ekonomi kreatif kementerian kemenko kemaritiman investasi digital
    ketenagakerjaan perekonomian pengembangan komunikasi informatika dinas koperasi provinsi kabupaten kota badan
    direktorat jenderal usaha mikro kecil menengah perdagangan industri keuangan negara republik indonesia
    pemerintah daerah nasional umum sekretariat lembaga asosiasi pada dan di government affair affairs relation
    relations public policy officer manager director head chief executive president country regional division
    department marketing business development strategy operations senior vice general corporate communications
    of and the""".split()
)
_PLACE_MARKERS = {"provinsi", "kabupaten", "kab", "kota", "kecamatan", "desa", "dki", "kemenko", "kemenkop", "menko"}
_INITIAL = re.compile(r"^[A-Z]\.?$")


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).strip(" ,;:")


def _is_name_token(tok: str) -> bool:
    """Capitalised word or initial ("Odo", "G."), not an acronym ("UMKM") nor a word of office."""
    bare = tok.strip(".,")
    if not bare or bare.casefold() in _ROLE_WORDS or bare.casefold().startswith(("kemen", "kementerian")):
        return False
    if _INITIAL.match(tok):
        return True
    return bare[0].isupper() and any(c.islower() for c in bare[1:]) and bare.replace("-", "").replace("'", "").isalpha()


def _looks_like_name(text: str) -> bool:
    toks = text.split()
    return 1 <= len(toks) <= 5 and all(_is_name_token(t) for t in toks)


def _name_after_role(s: str) -> str:
    """The person's name at the end of a role phrase, or s unchanged when no name can be told apart."""
    if "," in s:
        tail = s.rsplit(",", 1)[1].strip()
        if _looks_like_name(tail):
            return tail  # "Deputi Bidang ... (Kemenko Marves), Odo Manuhutu"
    if ")" in s:
        tail = s.rsplit(")", 1)[1].strip(" ,")
        if _looks_like_name(tail):
            return tail  # "Menteri Komunikasi dan Informatika (Menkominfo) Johnny G. Plate"
    toks = s.split()
    run = 0
    for i in range(len(toks) - 1, -1, -1):
        prev = toks[i - 1].strip(".,()").casefold() if i else ""
        if not _is_name_token(toks[i]) or prev in _PLACE_MARKERS or run == 4:
            break
        run += 1
    if 0 < run < len(toks):
        return " ".join(toks[-run:])  # "... UMKM Kemenko Perekonomian Rudy Salahuddin"
    return s


def strip_titles(name: str) -> str:
    """Removes titles, honorifics and a leading role phrase: "Plt. Asisten Deputi ... Kemenko Marves Lies Zeny Merry"
    -> "Lies Zeny Merry". A string that is only a title ("Menkominfo") is returned as it is."""
    if not isinstance(name, str):
        return ""
    try:
        s = _DEGREES.sub("", _clean(name)).strip(" ,")
        original = s
        stripped = False
        for _ in range(8):
            m = _TITLE.match(s)
            if not m or m.end() == 0:
                break
            s, stripped = s[m.end():].strip(" ,"), True
        if stripped and s:
            first = s.split()[0].strip(".,()").casefold()
            if first in _ROLE_WORDS or first.startswith("kemen") or ("," in s or ")" in s):
                s = _name_after_role(s)
        if not s or (len(s.split()) == 1 and s.casefold() in _ROLE_WORDS):
            return original  # "Presiden", "Kepala Negara": a reference by office, kept whole
        return s
    except Exception:  # noqa: BLE001
        return name.strip()


def split_aliases(name: str) -> list[str]:
    """Canonical name and aliases: "Presiden Joko Widodo (Jokowi)" -> ["Joko Widodo", "Jokowi"].

    Only a parenthesis at the end (or "alias"/"aka") gives an alias; one in the middle belongs to a role phrase.
    """
    if not isinstance(name, str):
        return []
    s = _clean(name)
    tail: list[str] = []
    while m := re.search(r"\s*\(([^()]*)\)\s*$", s):
        tail.insert(0, m.group(1))
        s = s[:m.start()]
    parts = re.split(r"\s+(?:alias|a\.k\.a\.?|aka)\s+", s, flags=re.IGNORECASE) + tail
    out: list[str] = []
    seen: set[str] = set()
    for part in parts:
        clean = strip_titles(part)
        key = clean.casefold()
        if clean and key not in seen:
            seen.add(key)
            out.append(clean)
    return out


def _plain(text: str) -> str:
    """Casefolded, punctuation to spaces ("Johnny G. Plate" -> "johnny g plate"), whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"['\u2019`]", "", text)  # "Ma'ruf" = "Maruf"
    text = re.sub(r"[^\w\s&-]", " ", text)
    return " ".join(text.split())


def normalize_name(name: str) -> str:
    """A name for comparison: titles stripped, casefolded, punctuation dropped, whitespace collapsed."""
    if not isinstance(name, str):
        return ""
    return _plain(strip_titles(name))


def _keys(names: Sequence[str]) -> set[str]:
    keys: set[str] = set()
    for n in names:
        if not isinstance(n, str):
            continue
        keys.add(_plain(n))
        keys.add(normalize_name(n))
        keys.update(normalize_name(a) for a in split_aliases(n))
    keys.discard("")
    return keys


def _fuzzy(a: str, b: str) -> float:
    """token_set_ratio, guarded: a one-word subset ("indonesia" in "asosiasi e-commerce indonesia") is no match."""
    score = fuzz.token_set_ratio(a, b)
    if score >= 85 and len(set(a.split()) & set(b.split())) < 2 and fuzz.token_sort_ratio(a, b) < 60:
        return 0.0
    return score


def resolve_speaker(name: str | None, speakers: Sequence) -> str | None:
    """The canonical name of the article's speaker this name refers to, or None.

    Order: exact match on canonical name or alias (titles stripped, case-insensitive); a bare first or last name
    when unambiguous ("Odo" -> "Odo Manuhutu"); a speaker's name inside a longer phrase; rapidfuzz
    token_set_ratio >= 85. Ambiguous candidates give None.
    """
    if not isinstance(name, str) or not name.strip() or not speakers:
        return None
    try:
        table = []
        for sp in speakers:
            canon = getattr(sp, "name", None)
            if isinstance(canon, str) and canon.strip():
                table.append((canon, _keys([canon, *(getattr(sp, "aliases", None) or [])]), sp))
        pred = _keys([name])
        for canon, keys, _ in table:
            if pred & keys:
                return canon
        singles = {k for k in pred if len(k.split()) == 1 and k not in _ROLE_WORDS}  # "indonesia" is no first name
        hits = {canon for canon, keys, _ in table for k in keys
                if len(k.split()) > 1 and (k.split()[0] in singles or k.split()[-1] in singles)}
        if len(hits) == 1:
            return hits.pop()
        if hits:
            return None
        plain = _plain(name)
        inside = []
        for canon, keys, sp in table:
            for k in keys:
                for m in re.finditer(rf"(?<!\w){re.escape(k)}(?!\w)", plain):
                    inside.append((m.end(), len(k), canon, sp))
        if inside:
            canons = {c for _, _, c, _ in inside}
            orgs = {normalize_name(getattr(sp, "organisation", None) or "") for _, _, _, sp in inside} - {""}
            people = {c for _, _, c, sp in inside if not (_keys([c, *(getattr(sp, "aliases", None) or [])]) & orgs)}
            if len(canons) > 1 and people:
                inside = [h for h in inside if h[2] in people]  # a person named with their organisation
            return max(inside, key=lambda h: (h[0], h[1]))[2]
        best: dict[str, float] = {}
        for canon, keys, _ in table:
            best[canon] = max((_fuzzy(p, k) for p in pred for k in keys), default=0.0)
        ranked = sorted(best.items(), key=lambda kv: kv[1], reverse=True)
        if ranked and ranked[0][1] >= 85 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
            return ranked[0][0]
        return None
    except Exception:  # noqa: BLE001
        return None


_OUTLETS = {
    "sindonews", "sindo", "bisnis", "bisnis indonesia", "jpnn", "medcom", "metrotvnews", "metro tv", "metrotv",
    "cipasera", "google news", "redaksi", "tim redaksi", "reporter", "wartawan", "penulis", "redaktur", "editor",
    "jurnalis", "kontributor", "red", "the outlet", "outlet", "news outlet", "the newsroom", "newsroom",
    "journalist", "the journalist", "the reporter", "the author", "author", "the article", "the writer", "writer",
}
_NEWSROOM_ROLES = ("redaksi", "reporter", "wartawan", "penulis", "redaktur", "editor", "jurnalis", "journalist",
                   "kontributor", "the reporter", "the journalist")


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
