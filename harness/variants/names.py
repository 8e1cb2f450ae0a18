"""Every person the gold names as a speaker renamed to a made-up name, consistently in text, gold and statements.

A speaker is a person when the normaliser reads its canonical name as one (`names.is_person_name`): "Odo
Manuhutu", "Joko Widodo"; organisations ("Kemenko Perekonomian", "Pemerintah") and epithets ("Kepala Negara",
"Menkominfo") are not names and stay. Each name token gets a made-up token (the first tokens from one list, the
last from another, initials from a third, a nickname such as "Jokowi" from a fourth), in the order the articles,
speakers and tokens come: deterministic, and one token table for the whole corpus, so that two people never share
a made-up name and one person keeps his in every article. The made-up names are combinations invented for this
harness, not public figures.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from harness.normalize.names import is_person_name, strip_titles
from harness.schema import Speaker
from harness.variants.forms import Rewrite

__all__ = ["NameMap", "name_map", "name_rewrites", "rename"]

_FIRST = ("Arlinto", "Wiranda", "Sekarwati", "Dimasyo", "Laksmira", "Tegarjati", "Purwandini", "Haryosena",
          "Kinanthi", "Baskarani", "Ristanu", "Yosiandra", "Marlindo", "Pramesthi")  # fmt: skip
_LAST = ("Pranoloka", "Wiryadanta", "Gandawisesa", "Purbalinta", "Lintangraya", "Mahendrasta", "Sutawedana",
         "Kartaningrat", "Sasmitaloka", "Wirasembada")  # fmt: skip
_INITIALS = ("R.", "S.", "T.", "W.")
_NICKS = ("Tegowi", "Darsoyo", "Minarto", "Sulasmi")

NameMap = dict[str, str]  # a name form as written -> its made-up form


def _pick(pool: tuple[str, ...], used: Iterable[str]) -> str:
    taken = set(used)
    for name in pool:
        if name not in taken:
            return name
    raise ValueError(f"more names to invent than the {len(pool)} in the pool")


def name_map(speakers: list[Speaker], tokens: dict[str, str] | None = None) -> NameMap:
    """Name form -> made-up form, for the canonical name and every person-name alias of each person speaker
    ("Johnny G. Plate" -> "Arlinto R. Pranoloka", "Johnny" -> "Arlinto"); titles in an alias stay as written.
    `tokens` (original name token -> made-up token) is shared across the articles of one corpus and grows here."""
    tokens = {} if tokens is None else tokens
    forms: NameMap = {}

    def token(t: str, pool: tuple[str, ...]) -> str:
        if t not in tokens:
            tokens[t] = _pick(pool, tokens.values())
        return tokens[t]

    for sp in speakers:
        if not is_person_name(sp.name):
            continue
        toks = sp.name.split()
        for i, t in enumerate(toks):
            token(t, _INITIALS if re.fullmatch(r"[A-Z]\.?", t) else _LAST if i == len(toks) - 1 and i else _FIRST)
        forms[sp.name] = " ".join(tokens[t] for t in toks)
        for alias in sp.aliases:
            bare = strip_titles(alias)  # "Presiden Jokowi" -> "Jokowi": the title stays in the text as written
            if not is_person_name(bare):
                continue  # an epithet or an office ("Kepala Negara", "Menkominfo")
            forms[bare] = " ".join(token(t, _NICKS) if t not in tokens else tokens[t] for t in bare.split())
    return forms


def _pattern(forms: NameMap) -> re.Pattern[str] | None:
    """The forms, longest first, as whole words; spaces inside a form match any whitespace (wrapped lines)."""
    if not forms:
        return None
    alts = [r"\s+".join(re.escape(t) for t in f.split()) for f in sorted(forms, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


def _renamed(match: str, forms: NameMap) -> str:
    """The made-up form of one match, the whitespace between its words kept as written."""
    words = match.split()
    new_words = next(forms[f] for f in forms if f.split() == words).split()
    gaps = re.findall(r"\s+", match)
    out = new_words[0]
    for i, w in enumerate(new_words[1:]):
        out += (gaps[i] if i < len(gaps) else " ") + w
    return out


def name_rewrites(text: str, forms: NameMap) -> list[Rewrite]:
    """Every occurrence of a name form in the text, as a whole word, with its made-up form."""
    rx = _pattern(forms)
    if rx is None:
        return []
    return [Rewrite("names", "speaker→made-up name", m.start(), m.group(), _renamed(m.group(), forms))
            for m in rx.finditer(text)]  # fmt: skip


def rename(text: str | None, forms: NameMap) -> str | None:
    """A gold string (statement, speaker, alias, role) with every name form replaced."""
    rx = _pattern(forms)
    if text is None or rx is None:
        return text
    return rx.sub(lambda m: _renamed(m.group(), forms), text)
