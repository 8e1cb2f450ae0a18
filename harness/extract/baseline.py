"""The `baseline` model: claims found by rules alone, so every LLM score can be read against a trivial reader.

One claim per sentence that holds a figure or a readable date: the figures and date phrases as written, the
speaker named next to a cue verb in the same sentence, and the sentence itself as text and evidence. Scraped
noise lines are skipped and a sentence repeated verbatim counts once. No model, no request, no gold.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from harness.normalize.dates import parse_date
from harness.normalize.numbers import find_figures
from harness.schema import PredictedClaim

__all__ = ["extract_claims", "find_dates", "find_speaker", "is_noise", "sentence_spans"]

# --- noise: lines a scraper left in, not the article's text ---------------------------------------------------
_NOISE = re.compile(
    r"loading\W*|baca\s+juga\b.*|\([\w/*&.\s-]{1,20}\)|iklan\b.*|smallest\s+font.*|cek\s+berita\b.*|google\s+news"
    r"|(?:redaktur|reporter|editor|penulis)\b.*:.*|[-•*]\s.*",  # credit tags "(akr)", ads, bylines, link lists
    re.IGNORECASE,
)


def is_noise(line: str) -> bool:
    """A scraped line that is not content: one or two characters, "loading...", "Baca Juga", "(akr)", ads,
    bylines, lists of related-article links."""
    s = line.strip()
    return len(s) <= 2 or _NOISE.fullmatch(s) is not None


# --- sentences ------------------------------------------------------------------------------------------------
_ABBREV = {
    "dr",
    "drs",
    "dra",
    "drg",
    "prof",
    "ir",
    "h",
    "hj",
    "st",
    "no",
    "jl",
    "jln",
    "plt",
    "plh",
    "pj",
    "sdr",
    "sdri",
    "bpk",
    "kab",
    "kec",
    "kel",
    "prov",
    "rp",
    "mr",
    "mrs",
    "ms",
    "jr",
    "sr",
    "vs",
    "ny",
    "tn",
}
_DOTTED = re.compile(r"(?:[A-Za-z]{1,3}\.)+[A-Za-z]{1,3}")  # "S.E", "M.Si", "a.n"
_TERM = re.compile(r"[.!?…]+")


def _blocks(text: str) -> Iterator[tuple[int, int]]:
    """Runs of content lines; a line break inside a sentence (next line lowercase, or after "(" or ",") is joined."""
    start: int | None = None
    end = 0  # set together with start; read only while start is set
    prev = ""
    pos = 0
    for line in text.splitlines(keepends=True):
        s, body = pos, line.strip()
        pos += len(line)
        if not body or is_noise(body):
            if start is not None:
                yield start, end
            start = None
            continue
        lo = s + len(line) - len(line.lstrip())
        hi = lo + len(body)
        if start is not None and not (body[0].islower() or prev.endswith(("(", ","))):
            yield start, end
            start = None
        start = lo if start is None else start
        end, prev = hi, body
    if start is not None:
        yield start, end


def _quotes(block: str) -> dict[int, int]:
    """Quote spans of a block, opening index -> closing index; straight quotes count only when paired."""
    spans: dict[int, int] = {}
    straight = [i for i, c in enumerate(block) if c == '"']
    if len(straight) % 2 == 0:
        spans.update(zip(straight[::2], straight[1::2], strict=True))
    opened: list[int] = []
    for i, c in enumerate(block):
        if c == "“":
            opened.append(i)
        elif c == "”" and opened:
            spans[opened.pop()] = i
    return spans


def _is_abbrev(block: str, dot: int) -> bool:
    token = block[:dot].rsplit(None, 1)[-1].lstrip("(\"'“") if block[:dot].strip() else ""
    return token.casefold() in _ABBREV or len(token) == 1 or _DOTTED.fullmatch(token) is not None


def _split(block: str) -> Iterator[tuple[int, int]]:
    """Sentence spans of one block: ends at . ! ? (and any closing quote or bracket) before a space and a
    non-lowercase word or an opening quote; never inside a quotation, after an abbreviation or an initial."""
    spans = _quotes(block)
    closes = set(spans.values())
    start = 0
    for m in _TERM.finditer(block):
        j = m.end()
        while j < len(block) and (block[j] in "”’)'" or (block[j] == '"' and j in closes)):
            j += 1
        if any(a < m.start() and b >= j for a, b in spans.items()):
            continue  # inside a quotation the speaker is still to come
        if m.group() == "." and _is_abbrev(block, m.start()):
            continue
        rest = block[j:]
        if rest and not (j in spans or rest[0] == "“" or (rest[0].isspace() and not rest.lstrip()[:1].islower())):
            continue
        yield start, j
        start = j + len(rest) - len(rest.lstrip())
    if start < len(block):
        yield start, len(block)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every sentence of the article's content, in order; noise lines are left out."""
    out = []
    for lo, hi in _blocks(text):
        out += [(lo + a, lo + b) for a, b in _split(text[lo:hi]) if text[lo + a : lo + b].strip()]
    return out


# --- dates ----------------------------------------------------------------------------------------------------
_MON = (
    r"(?:januari|februari|pebruari|maret|april|mei|juni|juli|agustus|september|oktober|november|nopember|"
    r"desember|january|february|march|may|june|july|august|october|december|"
    r"jan|feb|mar|apr|jun|jul|agu|agt|aug|sep|sept|okt|oct|nov|des|dec)\.?"
)
_YEAR = r"(?:19|20)\d\d(?![\d.,]\d|/)"
_DATE = re.compile(
    r"(?<![\w.,/-])"
    r"(?:(?:per|pada|sejak|hingga|sampai(?:\s+dengan)?|mulai|dimulai|sepanjang|selama|awal|akhir|pertengahan|"
    r"tanggal|tahun|bulan|as\s+of|since|until|in|on|di)\s+)?"
    r"(?:(?:senin|selasa|rabu|kamis|jum'?at|sabtu|minggu|monday|tuesday|wednesday|thursday|friday|saturday|"
    r"sunday)\s*,?\s*)?"
    r"(?:\(\d{1,2}/\d{1,2}(?:/\d{2}(?:\d{2})?)?\)"  # (4/12/2023), (28/3)
    r"|\d{1,2}/\d{1,2}/\d{2}(?:\d{2})?(?!\d)"  # 8/3/23
    rf"|\d{{1,2}}\s+{_MON}(?:\s+{_YEAR}|\s+lalu\b)?"  # 5 Oktober 2020, 10 Februari lalu
    rf"|{_MON}\s+\d{{1,2}},\s*{_YEAR}"  # December 4, 2023
    rf"|{_MON}\s+(?:{_YEAR}|tahun\s+(?:ini|lalu|depan)\b)"  # Maret 2023, Desember tahun ini
    rf"|(?:kuartal|kwartal|triwulan|semester|quarter|q)\s*-?\s*(?:iv|iii|ii|i|[1-4]|pertama|kedua|ketiga|keempat)"
    rf"(?!\w)(?:\s+(?:tahun\s+)?{_YEAR})?"  # kuartal III 2023
    rf"|\d{{4}}-\d{{2}}(?:-\d{{2}})?(?!\d)"  # 2023-12
    rf"|{_YEAR})(?!\w)",  # 2024
    re.IGNORECASE,
)


def find_dates(sentence: str) -> list[str]:
    """Date phrases as written, each kept only when parse_date reads a value from it."""
    found = [m.group().strip() for m in _DATE.finditer(sentence)]
    return [d for d in found if parse_date(d).value is not None]


# --- speaker --------------------------------------------------------------------------------------------------
_NAME = r"(?:[A-Z]\.|[A-Z][\w'’-]*)(?:[ \t]+(?:[A-Z]\.|[A-Z][\w'’-]*)){0,5}"
_AFTER = re.compile(  # cue, then the name: "kata Odo", "menurut Rudy", "ditambahkan Budi"
    r"(?<!\w)(?i:kata|ujar|ungkap|jelas|tutur|papar|sebut|sambung|lanjut|ucap|imbuh|tambah|tegas|terang|menurut|"
    rf"dikatakan|ditambahkan|dijelaskan|diungkapkan|diungkap)\s+({_NAME})"
)
_BEFORE = re.compile(  # the name, then the cue: "Odo Manuhutu mengatakan"
    rf"({_NAME})\s*,?\s+(?i:mengatakan|menyebut|menuturkan|menjelaskan|mengungkapkan|menegaskan|menambahkan|"
    r"menyampaikan|melaporkan|memaparkan|menerangkan|berkata|mengaku|mengakui)(?!\w)"
)
_PRONOUNS = {"dia", "ia", "beliau", "mereka", "kami", "kita", "saya", "aku", "ini", "itu", "hal"}


def find_speaker(sentence: str) -> str | None:
    """The name next to the first cue verb of the sentence that has one; None for pronouns or no cue."""
    hits = sorted([*_AFTER.finditer(sentence), *_BEFORE.finditer(sentence)], key=lambda m: m.start(1))
    for m in hits:
        name = m.group(1).strip()
        if name.split()[0].casefold() not in _PRONOUNS:
            return name
    return None


# --- claims ---------------------------------------------------------------------------------------------------
def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def extract_claims(article_id: str, text: str) -> list[PredictedClaim]:
    """One claim per distinct sentence that holds a figure or a readable date, in article order."""
    claims, seen = [], set()
    for a, b in sentence_spans(text):
        sentence = text[a:b]
        flat = " ".join(sentence.split())
        if flat in seen:
            continue
        figures = _unique([sentence[s:e] for s, e, _ in find_figures(sentence)])
        dates = _unique(find_dates(sentence))
        if not figures and not dates:
            continue
        seen.add(flat)
        claims.append(PredictedClaim(article_id=article_id, text=flat, evidence=[sentence], figures=figures,
                                     dates=dates, speaker=find_speaker(sentence)))  # fmt: skip
    return claims
