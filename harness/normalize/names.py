"""Names: titles stripped, aliases split, a speaker string resolved to the article's canonical speaker.

Title and role-phrase rules are hand-written (no listed library knows Indonesian official titles); spelling
variants of one name token are judged with rapidfuzz. Pure functions; nothing here raises on text.

Matching rule: a predicted name refers to a gold speaker only when every name token left after titles, roles
and the speaker's own affiliation words agrees with the speaker's name or one alias (equal, an initial, a
spelling variant); one different token ("Johnny Depp" for Johnny G. Plate) rules the speaker out.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

from rapidfuzz import fuzz

from harness.normalize.outlets import is_outlet  # re-exported: the scorer and tests import it from here

__all__ = [
    "is_outlet", "is_person_name", "names_organisation", "normalize_name", "resolve_speaker", "split_aliases",
    "strip_titles",
]  # fmt: skip

# Titles and honorifics in front of a name, longest first; a trailing "." is optional.
_TITLES = sorted(
    """wakil presiden|wakil menteri|asisten deputi|vice president|kepala negara|menkop ukm|menkop dan ukm|
    menteri koordinator|direktur utama|presiden|wapres|menteri|menko|menkominfo|menkopukm|menkop|mendag|menkeu|
    menparekraf|wamen|kepala|deputi|asisten|plt|plh|pj|bapak|ibu|pak|bu|dr|prof|ir|drs|dra|hj|h|sdr|sdri|
    gubernur|wagub|bupati|walikota|wali kota|ketua|direktur|dirut|sekjen|dirjen|mr|mrs|ms|president|minister""".split(
        "|"
    ),
    key=len,
    reverse=True,
)
_TITLE = re.compile(
    r"^(?:" + "|".join(re.escape(" ".join(t.split())) for t in _TITLES) + r")(?:\.|\b)[\s,]*", re.IGNORECASE
)
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
    s = _DEGREES.sub("", _clean(name)).strip(" ,")
    original = s
    stripped = False
    for _ in range(8):
        m = _TITLE.match(s)
        if not m or m.end() == 0:
            break
        s, stripped = s[m.end() :].strip(" ,"), True
    if stripped and s:
        first = s.split()[0].strip(".,()").casefold()
        if first in _ROLE_WORDS or first.startswith("kemen") or ("," in s or ")" in s):
            s = _name_after_role(s)
    if not s or (len(s.split()) == 1 and s.casefold() in _ROLE_WORDS):
        return original  # "Presiden", "Kepala Negara": a reference by office, kept whole
    return s


def _raw_parts(name: str) -> list[str]:
    """The pieces of a name that can each be an alias, titles still on: trailing parentheses, "alias"/"aka"."""
    s = _clean(name)
    tail: list[str] = []
    while m := re.search(r"\s*\(([^()]*)\)\s*$", s):
        tail.insert(0, m.group(1))
        s = s[: m.start()]
    parts = re.split(r"\s+(?:alias|a\.k\.a\.?|aka)\s+", s, flags=re.IGNORECASE) + tail
    return [p for p in (_clean(x) for x in parts) if p]


def split_aliases(name: str) -> list[str]:
    """Canonical name and aliases: "Presiden Joko Widodo (Jokowi)" -> ["Joko Widodo", "Jokowi"].

    Only a parenthesis at the end (or "alias"/"aka") gives an alias; one in the middle belongs to a role phrase.
    """
    if not isinstance(name, str):
        return []
    out: list[str] = []
    seen: set[str] = set()
    for part in _raw_parts(name):
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


def _squash(text: str) -> str:
    """Letters and digits only, casefolded: the case-, spacing- and punctuation-free key of a name."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


# Every word of a title ("Kepala", "Wakil", "Menkominfo"): in a name phrase it says nothing about who is meant.
_TITLE_WORDS = {w for t in _TITLES for w in t.split() if len(w) > 1}
# Words that neither name nor contradict a person: titles, words of office, connectives, generic acronyms.
_NEUTRAL = (
    _ROLE_WORDS
    | _TITLE_WORDS
    | {
        "dari",
        "dan",
        "di",
        "pada",
        "selaku",
        "sebagai",
        "yang",
        "itu",
        "eks",
        "mantan",
        "pihak",
        "juga",
        "from",
        "at",
        "as",
        "umkm",
        "ukm",
        "ri",
        "bumn",
    }
)
# Speech cues around a name as the articles write them: "kata Odo", "ucap Presiden Jokowi", "Rudy melaporkan".
_CUE_BEFORE = re.compile(
    r"^(?:kata|ujar|ungkap|tutur|papar|ucap|jelas|sambung|lanjut|imbuh|tambah|terang|sebut|tegas|menurut|sementara|"
    r"dikatakan|ditambahkan|diungkapkan|disampaikan)\s+(?=\S)",
    re.IGNORECASE,
)
_CUE_AFTER = re.compile(
    r"\s+(?:mengatakan|menyebut|melaporkan|menegaskan|menilai|mengaku|mengakui|menyampaikan|mencatat|berharap|"
    r"menjelaskan|lagi)$",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r",?\s+kepada\s.*$", re.IGNORECASE)  # "kata Odo, kepada Sindonews": the listener (G8)
# Spelling variants of one token ("Manuhuttu" ~ "Manuhutu" 94, "Salahudin" ~ "Salahuddin" 95): rapidfuzz ratio
# at least this, both tokens 5+ letters with the same first letter. "Plato"/"Plate" (80), "Hartanto"/"Hartono"
# (80) stay different names.
SPELLING_MIN = 85.0

# How well one part of a prediction fits a speaker, best first; a contradiction rules the speaker out.
_EXACT, _SUBNAME, _SPELLING, _SILENT, _CONTRADICTS = 3, 2, 1, 0, -1


def _strip_cues(text: str) -> str:
    """The name without the speech cue and addressee around it ("kata Odo, kepada Sindonews" -> "Odo")."""
    s = _ADDRESSEE.sub("", _clean(text))
    s = _CUE_BEFORE.sub("", s)
    for _ in range(3):
        shorter = _CUE_AFTER.sub("", s)
        if shorter == s or not shorter.strip():
            break
        s = shorter
    return s.strip(" ,")


def _person_like(text: str) -> bool:
    """A person's name ("Johnny G. Plate", "Odo"), not an organisation or an epithet ("Politikus NasDem itu")."""
    toks = text.split()
    return 1 <= len(toks) <= 6 and all(
        _INITIAL.match(t) or (_is_name_token(t) and t.strip(".,").casefold() not in _TITLE_WORDS) for t in toks
    )


def is_person_name(text: str) -> bool:
    """A person's name once titles are stripped ("Presiden Jokowi", "Johnny G. Plate"), not an organisation or an
    epithet ("Kemenko Perekonomian", "Kepala Negara"): the test the matcher itself uses to read a name part by part."""
    return isinstance(text, str) and _person_like(strip_titles(text))


class _Entry:
    """One gold speaker, prepared for matching: person-name forms, whole-only forms, own affiliation words."""

    __slots__ = ("canon", "own", "people", "whole")

    def __init__(self, canon: str, people: list[tuple[str, ...]], whole: list[tuple[str, ...]], own: frozenset[str]):
        self.canon, self.people, self.whole, self.own = canon, people, whole, own


@lru_cache(maxsize=4096)
def _entry(canon: str, aliases: tuple[str, ...], role: str | None, organisation: str | None) -> _Entry:
    """Person names match part by part; organisations and epithets ("Kepala Negara") only as a whole."""
    people: list[tuple[str, ...]] = []
    whole: list[tuple[str, ...]] = []
    for text in (canon, *aliases):
        for part in _raw_parts(text):
            stripped = strip_titles(part)
            target, toks = (
                (people, _plain(stripped).split()) if _person_like(stripped) else (whole, _plain(part).split())
            )
            if toks and tuple(toks) not in target:
                target.append(tuple(toks))
    own = frozenset(t for f in (role, organisation) if isinstance(f, str) for t in _plain(f).split() if len(t) > 1)
    return _Entry(canon, people, whole, own)


def _entry_of(sp: object) -> _Entry | None:
    canon = getattr(sp, "name", None)
    if not isinstance(canon, str) or not canon.strip():
        return None
    aliases = getattr(sp, "aliases", None)
    aliases = tuple(a for a in aliases if isinstance(a, str)) if isinstance(aliases, (list, tuple)) else ()
    role, org = getattr(sp, "role", None), getattr(sp, "organisation", None)
    return _entry(canon, aliases, role if isinstance(role, str) else None, org if isinstance(org, str) else None)


def _token_fit(t: str, g: str) -> int:
    """_EXACT for the same token or an initial of it ("g" ~ "gerard"), _SPELLING for a spelling variant, else 0."""
    if t == g or (len(t) == 1 and g.startswith(t)) or (len(g) == 1 and t.startswith(g)):
        return _EXACT
    if len(t) >= 5 and len(g) >= 5 and t[0] == g[0] and fuzz.ratio(t, g) >= SPELLING_MIN:
        return _SPELLING
    return 0


def _subname(pred: tuple[str, ...], form: tuple[str, ...], own: frozenset[str]) -> int:
    """_SUBNAME (or _SPELLING) when every name token of `pred` fits its own token of `form`, else 0.

    Neutral words and the speaker's own affiliation words need no partner; any other token does, so an extra
    name ("Depp", "Salim") is a contradiction. One token may be a run of the form written together ("Jokowidodo").
    """
    need = [t for t in pred if any(c.isalnum() for c in t) and (len(t) == 1 or (t not in _NEUTRAL and t not in own))]
    if not need or len(need) > len(form) or all(len(t) == 1 for t in need):
        return 0  # nothing that names a person, more names than the speaker has, or initials alone
    best = 0

    def walk(i: int, used: frozenset[int], spelled: bool) -> None:
        nonlocal best
        if best == _SUBNAME:
            return
        if i == len(need):
            best = max(best, _SPELLING if spelled else _SUBNAME)
            return
        t = need[i]
        for j, g in enumerate(form):
            if j in used:
                continue
            fit = _token_fit(t, g)
            if fit:
                walk(i + 1, used | {j}, spelled or fit == _SPELLING)
            for end in range(j + 2, len(form) + 1):
                if end - 1 in used:
                    break
                if t == "".join(form[j:end]):
                    walk(i + 1, used | set(range(j, end)), spelled)

    walk(0, frozenset(), False)
    return best


def _same_words(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """_EXACT for the same words (ignoring case, spacing, punctuation), _SPELLING when only spellings differ."""
    if _squash("".join(a)) == _squash("".join(b)):
        return _EXACT
    if len(a) == len(b) and all(x == y or _token_fit(x, y) == _SPELLING for x, y in zip(a, b, strict=True)):
        return _SPELLING
    return 0


def _fit(raw: tuple[str, ...], stripped: tuple[str, ...], e: _Entry) -> int:
    """How one part of a prediction fits a speaker: a match (_EXACT.._SPELLING), _SILENT, or _CONTRADICTS."""
    best = 0
    for form in e.whole:
        best = max(best, _same_words(raw, form), _same_words(stripped, form))
    for form in e.people:
        best = max(best, _same_words(stripped, form), _subname(stripped, form, e.own))
    if best:
        return best
    if all(not any(c.isalnum() for c in t) or (len(t) > 1 and (t in _NEUTRAL or t in e.own)) for t in stripped):
        return _SILENT  # titles and the speaker's own affiliation: says nothing for or against
    return _CONTRADICTS


def resolve_speaker(name: str | None, speakers: Sequence) -> str | None:
    """The canonical name of the article's speaker this name refers to, or None.

    Speech cues, titles and roles are stripped and a trailing "(alias)" split off. Each part must then fit the
    speaker: the whole of an organisation name or epithet ("Kemenko Perekonomian", "Kepala Negara"), or, for a
    person, every name token matching the gold name or an alias (equal, initial, spelling variant). A different
    token rules the speaker out ("Johnny Depp", "Agus Salim"); the best fit wins, a tie gives None.
    """
    if not isinstance(name, str) or not isinstance(speakers, Iterable) or isinstance(speakers, (str, bytes)):
        return None
    parts = [(tuple(_plain(p).split()), tuple(_plain(strip_titles(p)).split())) for p in _raw_parts(_strip_cues(name))]
    parts = [(raw, stripped) for raw, stripped in parts if raw and stripped]
    if not parts:
        return None
    best_score, best = 0, []
    for sp in speakers:
        e = _entry_of(sp)
        if e is None:
            continue
        fits = [_fit(raw, stripped, e) for raw, stripped in parts]
        if _CONTRADICTS in fits or all(f == _SILENT for f in fits):
            continue
        score = min(f for f in fits if f != _SILENT)  # a name is as good as its weakest part
        if score > best_score:
            best_score, best = score, [e.canon]
        elif score == best_score and e.canon not in best:
            best.append(e.canon)
    return best[0] if len(best) == 1 else None


def names_organisation(pred: str | None, speaker: object) -> bool:
    """True when `pred` names the speaker's `organisation`: its full name or the acronym given in parentheses
    ("Kemenko Marves"), ignoring case, spacing and punctuation. A longer, more specific name is another body
    ("Pemerintah Provinsi Banten" is not "Pemerintah")."""
    org = getattr(speaker, "organisation", None)
    if not isinstance(pred, str) or not isinstance(org, str):
        return False
    names = {_squash(p) for p in _raw_parts(org)} - {""}
    said = [k for k in (_squash(p) for p in _raw_parts(_strip_cues(pred))) if k]
    return bool(names) and bool(said) and all(k in names for k in said)
