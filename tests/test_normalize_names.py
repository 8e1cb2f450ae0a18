"""Speaker names as the five articles write them: titles, role phrases, aliases, outlets."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.corpus import parse_gold_file
from harness.normalize.names import (
    SPELLING_MIN,
    is_outlet,
    names_organisation,
    normalize_name,
    resolve_speaker,
    split_aliases,
    strip_titles,
)
from harness.schema import Speaker

ROOT = Path(__file__).resolve().parents[1]

# The speakers of the five articles, as a gold file would list them.
SPEAKERS = [
    Speaker(name="Odo Manuhutu", organisation="Kemenko Marves"),  # 000
    Speaker(name="Kemenko Perekonomian", aliases=["Kementerian Koordinator bidang Perekonomian"]),  # 001
    Speaker(name="Rudy Salahuddin", organisation="Kemenko Perekonomian"),  # 001
    Speaker(name="Lies Zeny Merry", aliases=["Lies Zeny"]),  # 002
    Speaker(name="Budi Primawan", organisation="Lazada"),  # 002
    Speaker(name="Agus Mintono"),  # 002
    Speaker(name="Johnny G. Plate", aliases=["Menkominfo"]),  # 003
    Speaker(name="Joko Widodo", aliases=["Jokowi", "Kepala Negara"]),  # 004
    Speaker(name="Asosiasi E-Commerce Indonesia", aliases=["idEA"]),  # 003, an organisation
]


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        # 000: a long role phrase ending in a comma before the name
        (
            "Deputi Bidang Koordinasi Pariwisata dan Ekonomi Kreatif pada Kementerian Koordinator Bidang Kemaritiman "
            "dan Investasi (Kemenko Marves), Odo Manuhutu",
            "Odo Manuhutu",
        ),
        # 001: commas inside the role; the name is the trailing run of capitalised words
        (
            "Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin",
            "Rudy Salahuddin",
        ),
        # 002: "Plt." + "Asisten Deputi" + role ending in "Kemenko Marves"
        ("Plt. Asisten Deputi Pengembangan Ekonomi Kreatif Kemenko Marves Lies Zeny Merry", "Lies Zeny Merry"),
        # 002: the place after "Provinsi" belongs to the role
        ("Kepala Dinas Koperasi dan UMKM Provinsi Banten Agus Mintono", "Agus Mintono"),
        # 003: a role with its acronym in parentheses, then the name
        ("Menteri Komunikasi dan Informatika (Menkominfo) Johnny G. Plate", "Johnny G. Plate"),
        ("Menkominfo Johnny G. Plate", "Johnny G. Plate"),
        ("Presiden Jokowi", "Jokowi"),  # 004
        ("Wakil Presiden Ma'ruf Amin", "Ma'ruf Amin"),
        ("Menkop UKM Teten Masduki", "Teten Masduki"),
        ("Dr. Ir. H. Budi Santoso, M.Si.", "Budi Santoso"),
        ("Hj. Siti Aminah", "Siti Aminah"),
        ("Prof. Rhenald Kasali", "Rhenald Kasali"),
        ("Bapak Odo", "Odo"),
        ("Bu Lies", "Lies"),
        ("Pak Rudy", "Rudy"),
        ("Odo Manuhutu", "Odo Manuhutu"),  # nothing to strip
        ("Hadi Santoso", "Hadi Santoso"),  # "H." is a title, "Hadi" is not
        ("Ibunda Ratna", "Ibunda Ratna"),  # "Ibu" only as a whole word
        ("Kemenko Perekonomian", "Kemenko Perekonomian"),  # an organisation is left alone
        ("Kepala Negara", "Kepala Negara"),  # 004: a reference by office alone is kept whole
        ("Menkominfo", "Menkominfo"),
    ],
)
def test_strip_titles(raw: str, name: str) -> None:
    assert strip_titles(raw) == name


def test_strip_titles_keeps_what_it_cannot_tell_apart() -> None:
    # 002: "Lazada" is a company, not a word of office; the trailing-run rule cannot know that.
    assert strip_titles("Vice President Government Affair and Relation Lazada Budi Primawan").endswith("Budi Primawan")


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("Presiden Joko Widodo (Jokowi)", ["Joko Widodo", "Jokowi"]),  # 004
        ("Joko Widodo alias Jokowi", ["Joko Widodo", "Jokowi"]),
        (
            "Kementerian Koordinator bidang Perekonomian (Kemenko Perekonomian)",
            ["Kementerian Koordinator bidang Perekonomian", "Kemenko Perekonomian"],
        ),
        # a parenthesis inside a role phrase is no alias
        ("Menteri Komunikasi dan Informatika (Menkominfo) Johnny G. Plate", ["Johnny G. Plate"]),
        ("Odo Manuhutu", ["Odo Manuhutu"]),
        ("Jokowi (Jokowi)", ["Jokowi"]),  # duplicates dropped
        ("", []),
    ],
)
def test_split_aliases(raw: str, parts: list[str]) -> None:
    assert split_aliases(raw) == parts


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Odo", "Odo Manuhutu"),  # 000: "kata Odo", a bare first name
        ("Pak Odo", "Odo Manuhutu"),
        ("ODO MANUHUTU", "Odo Manuhutu"),  # case-insensitive
        ("  Odo   Manuhutu ", "Odo Manuhutu"),  # whitespace-insensitive
        ("Johnny", "Johnny G. Plate"),  # 003: "kata Johnny"
        ("Plate", "Johnny G. Plate"),  # a bare last name
        ("Johnny G Plate", "Johnny G. Plate"),  # no dot after the initial
        ("Johnny Plate", "Johnny G. Plate"),  # middle initial left out
        ("Menkominfo", "Johnny G. Plate"),  # alias
        ("Menkominfo Johnny G. Plate", "Johnny G. Plate"),
        ("Presiden Jokowi", "Joko Widodo"),  # 004: alias after the title
        ("Presiden Joko Widodo (Jokowi)", "Joko Widodo"),
        ("Kepala Negara", "Joko Widodo"),  # 004: "tutur Kepala Negara"
        ("Jokowidodo", "Joko Widodo"),  # the two tokens written together
        ("Kemenko Perekonomian", "Kemenko Perekonomian"),  # 001: an organisation as speaker
        ("Kementerian Koordinator Bidang Perekonomian", "Kemenko Perekonomian"),  # its long alias, other case
        (
            "Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin",
            "Rudy Salahuddin",
        ),
        ("Rudy Salahuddin dari Kemenko Perekonomian", "Rudy Salahuddin"),  # a person named with their ministry
        ("Rudy", "Rudy Salahuddin"),
        ("Plt. Asisten Deputi Pengembangan Ekonomi Kreatif Kemenko Marves Lies Zeny Merry", "Lies Zeny Merry"),
        ("Lies Zeny", "Lies Zeny Merry"),
        ("Vice President Government Affair and Relation Lazada Budi Primawan", "Budi Primawan"),
        ("Agus", "Agus Mintono"),
        ("idEA", "Asosiasi E-Commerce Indonesia"),
    ],
)
def test_resolve_speaker(raw: str, canonical: str) -> None:
    assert resolve_speaker(raw, SPEAKERS) == canonical


@pytest.mark.parametrize("raw", [None, "", "Sindonews", "Fathan Sinaga", "Indonesia", "Prabowo", "pemerintah"])
def test_resolve_speaker_no_match(raw: str | None) -> None:
    assert resolve_speaker(raw, SPEAKERS) is None


def test_resolve_speaker_ambiguous_first_name() -> None:
    two_budis = [Speaker(name="Budi Primawan"), Speaker(name="Budi Santoso")]
    assert resolve_speaker("Budi", two_budis) is None  # two speakers share the first name
    assert resolve_speaker("Budi Santoso", two_budis) == "Budi Santoso"
    assert resolve_speaker("Budi", []) is None


@pytest.mark.parametrize(
    "name",
    [
        "Sindonews",
        "SINDOnews.com",
        "Bisnis.com",
        "jpnn.com",
        "JPNN",
        "Medcom",
        "Medcom.id",
        "Metrotvnews",
        "metrotvnews.com",
        "Cipasera",
        "Google News",
        "redaksi",
        "Reporter",
        "wartawan",
        "penulis",
        "the outlet",
        "journalist",
        "Redaktur & Reporter : Fathan Sinaga",
        "www.jpnn.com",
    ],
)
def test_is_outlet(name: str) -> None:
    assert is_outlet(name)


@pytest.mark.parametrize("name", [None, "", "Odo Manuhutu", "Kemenko Perekonomian", "Lazada", "Joko Widodo"])
def test_is_not_outlet(name: str | None) -> None:
    assert not is_outlet(name)


def test_normalize_name() -> None:
    assert normalize_name("Menkominfo  Johnny G. Plate") == "johnny g plate"
    assert normalize_name("Presiden JOKOWI") == "jokowi"
    assert normalize_name("Wakil Presiden Ma'ruf Amin") == normalize_name("Maruf Amin")
    assert normalize_name("") == ""


# --- The real gold: each article's `speakers:` list, and the sentences of the article that name them. ---

GOLD = {p.stem[:3]: parse_gold_file(p).article for p in sorted((ROOT / "gold").glob("*.yaml"))}


def _in_article(aid: str, sentence: str) -> bool:
    """The cited sentence is really in the article (whitespace-insensitive: the seeds keep no-break spaces)."""
    text = next((ROOT / "seeds").glob(f"{aid}_*.txt")).read_text(encoding="utf-8")
    return " ".join(sentence.split()) in " ".join(text.split())


@pytest.mark.parametrize(
    ("aid", "pred", "canonical", "source"),
    [
        (
            "000",
            "Deputi Bidang Koordinasi Pariwisata dan Ekonomi Kreatif pada Kementerian Koordinator Bidang "
            "Kemaritiman dan Investasi (Kemenko Marves), Odo Manuhutu",
            "Odo Manuhutu",
            "Deputi Bidang Koordinasi Pariwisata dan Ekonomi Kreatif pada Kementerian Koordinator Bidang "
            "Kemaritiman dan Investasi (Kemenko Marves), Odo Manuhutu mengatakan",
        ),
        ("000", "Odo Manuhutu mengatakan", "Odo Manuhutu", "Odo Manuhutu mengatakan, melalui Gerakan Bangga"),
        ("000", "kata Odo", "Odo Manuhutu", "kata Odo, kepada Sindonews"),
        ("000", "kata Odo, kepada Sindonews", "Odo Manuhutu", "kata Odo, kepada Sindonews"),  # the addressee (G8)
        ("000", "sambung Odo lagi", "Odo Manuhutu", "sambung Odo lagi"),
        ("000", "Deputi Odo Manuhutu", "Odo Manuhutu", None),
        ("000", "Odo Manuhutu (Kemenko Marves)", "Odo Manuhutu", None),  # his own ministry says nothing against him
        ("000", "Odo Manuhuttu", "Odo Manuhutu", None),  # spelling variant of the same token
        (
            "001",
            "Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin",
            "Rudy Salahuddin",
            "Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin "
            "melaporkan",
        ),
        ("001", "Rudy", "Rudy Salahuddin", "Rudy berharap UMKM tidak hanya sekadar go digital"),
        ("001", "Rudy Salahudin", "Rudy Salahuddin", None),  # spelling variant
        (
            "001",
            "Kementerian Koordinator bidang Perekonomian",
            "Kemenko Perekonomian",
            "Kementerian Koordinator bidang Perekonomian menyampaikan optimistis",
        ),
        (
            "001",
            "Kemenko Perekonomian",
            "Kemenko Perekonomian",
            "Kemenko Perekonomian mencatat hingga saat ini 27 juta UMKM telah go digital",
        ),
        ("001", "pemerintah", "Pemerintah", "pemerintah mencatat semakin banyak UMKM"),  # G9 generic source
        (
            "002",
            "Plt. Asisten Deputi Pengembangan Ekonomi Kreatif Kemenko Marves Lies Zeny Merry",
            "Lies Zeny Merry",
            "Plt. Asisten Deputi Pengembangan Ekonomi Kreatif Kemenko Marves Lies Zeny Merry mengatakan",
        ),
        ("002", "ungkap Lies Zeny", "Lies Zeny Merry", "ungkap Lies Zeny, Ranu 8/3/23"),
        ("002", "Ibu Lies", "Lies Zeny Merry", None),
        (
            "002",
            "Vice President Government Affair and Relation Lazada Budi Primawan",
            "Budi Primawan",
            "Vice President Government Affair and Relation Lazada Budi Primawan yang hadir",
        ),
        ("002", "kata Budi", "Budi Primawan", "kata Budi membantu UMKM Indonesia"),
        ("002", "Ditambahkan Budi", "Budi Primawan", "Ditambahkan Budi, kegiatan ini"),
        (
            "002",
            "Kepala Dinas Koperasi dan UMKM Provinsi Banten Agus Mintono",
            "Agus Mintono",
            "Sementara Kepala Dinas Koperasi dan UMKM Provinsi Banten Agus Mintono, saat ini",
        ),
        ("002", "Agus Mintono, Kepala Dinas Koperasi dan UMKM Provinsi Banten", "Agus Mintono", None),  # role after
        ("002", "Agus", "Agus Mintono", "Agus menegaskan, Pemerintah Provinsi Banten mendukung UMKM"),
        (
            "003",
            "Menteri Komunikasi dan Informatika (Menkominfo) Johnny G. Plate",
            "Johnny G. Plate",
            "Menteri Komunikasi dan Informatika (Menkominfo) Johnny G. Plate menyebut",
        ),
        ("003", "Menkominfo Johnny G. Plate", "Johnny G. Plate", None),
        ("003", "Johnny Plate", "Johnny G. Plate", None),  # the initial left out
        ("003", "Johnny Gerard Plate", "Johnny G. Plate", None),  # the initial written out
        ("003", "J. Plate", "Johnny G. Plate", None),
        ("003", "kata Johnny", "Johnny G. Plate", "kata Johnny dalam webinar daring"),
        ("003", "Menkominfo", "Johnny G. Plate", None),  # a gold alias
        ("003", "Politikus NasDem itu", "Johnny G. Plate", "Politikus NasDem itu menyebut masyarakat antusias"),
        ("003", "idEA", None, "Kemenkominfo dan Asosiasi E-Commerce Indonesia (idEA)"),  # not a speaker of 003
        ("004", "Presiden Joko Widodo (Jokowi)", "Joko Widodo", "Presiden Joko Widodo (Jokowi) menilai digitalisasi"),
        ("004", "Presiden Joko Widodo", "Joko Widodo", "Presiden Joko Widodo (Jokowi) menilai digitalisasi"),
        ("004", "ucap Presiden Jokowi", "Joko Widodo", "ucap Presiden Jokowi pada acara"),
        ("004", "tutur Kepala Negara", "Joko Widodo", "tutur Kepala Negara"),
        ("004", "Eks gubernur DKI Jakarta", "Joko Widodo", "Eks gubernur DKI Jakarta itu menargetkan"),
        ("004", "Bapak Jokowi", "Joko Widodo", None),
        ("004", "JOKO WIDODO", "Joko Widodo", None),
        # The related-article links under 004 name other people; none of them is its speaker.
        ("004", "Gubernur DKI Jakarta", None, "Dukungan dari Gubernur DKI Jakarta"),  # the sitting governor
        ("004", "Prabowo", None, "Prabowo Bakal Digitalisasi Sekolah"),
        ("004", "Roy Suryo", None, "Roy Suryo Ungkap Ironi Laporan Jokowi"),
        ("004", "Gus Din", None, "Gus Din Apresiasi Jokowi"),
        ("004", "Fathan Sinaga", None, "Redaktur & Reporter : Fathan Sinaga"),
        ("004", "Presiden", None, None),  # an office alone; the gold lists no bare "Presiden" alias
        ("004", "Wakil Presiden Ma'ruf Amin", None, None),  # another office holder
    ],
)
def test_resolve_against_the_gold(aid: str, pred: str, canonical: str | None, source: str | None) -> None:
    if source is not None:
        assert _in_article(aid, source), source
    assert resolve_speaker(pred, GOLD[aid].speakers) == canonical


LOOKALIKES = ["Johnny Depp", "Agus Salim", "Budi Arie", "Pemerintah Provinsi Banten", "Joko Susilo", "Rudy Hartono"]


@pytest.mark.parametrize("aid", sorted(GOLD))
@pytest.mark.parametrize("pred", LOOKALIKES)
def test_a_lookalike_is_nobody(aid: str, pred: str) -> None:
    # One shared token ("Johnny", "Agus", "Budi", "Joko", "Rudy", "Pemerintah") with one that differs is another
    # person or body, in every article.
    assert resolve_speaker(pred, GOLD[aid].speakers) is None


@pytest.mark.parametrize(
    ("aid", "pred", "source"),
    [
        ("002", "Pemerintah Provinsi Banten", "Agus menegaskan, Pemerintah Provinsi Banten mendukung UMKM"),
        ("001", "Pemerintah Provinsi Banten", None),  # 001 has the central "Pemerintah" as a speaker
        ("001", "Pemerintah Pusat", None),  # more specific than the gold's unnamed "pemerintah"
        ("001", "Kementerian Perdagangan", None),  # shares only words of office with Kemenko Perekonomian
        ("003", "Menkominfo Budi Arie", None),  # same office, another minister
        ("003", "Budi Arie (Menkominfo)", None),
        ("003", "Johnny H. Plate", None),  # an initial that differs
        ("003", "Johnny G. Plato", None),  # "Plato" ~ "Plate" is below the spelling threshold
        ("003", "NasDem", None),  # a word of an epithet alias is not the alias
        ("003", "G.", None),  # an initial alone
        ("002", "Budi Primawan dan Agus Mintono", None),  # two speakers at once
        ("000", "Odo Salim", None),
    ],
)
def test_a_different_token_contradicts(aid: str, pred: str, source: str | None) -> None:
    if source is not None:
        assert _in_article(aid, source), source
    assert resolve_speaker(pred, GOLD[aid].speakers) is None


def test_spelling_threshold_is_stated() -> None:
    assert SPELLING_MIN == 85  # rapidfuzz ratio of two tokens; "Manuhuttu"/"Manuhutu" is 94, "Plato"/"Plate" 80
    assert resolve_speaker("Manuhuttu", GOLD["000"].speakers) == "Odo Manuhutu"


def _speaker(aid: str, name: str) -> Speaker:
    return next(s for s in GOLD[aid].speakers if s.name == name)


@pytest.mark.parametrize(
    ("aid", "name", "pred", "named"),
    [
        # 000: organisation "Kementerian Koordinator Bidang Kemaritiman dan Investasi (Kemenko Marves)"
        ("000", "Odo Manuhutu", "Kemenko Marves", True),
        ("000", "Odo Manuhutu", "kemenko  MARVES", True),
        ("000", "Odo Manuhutu", "KemenkoMarves", True),
        ("000", "Odo Manuhutu", "Kementerian Koordinator bidang Kemaritiman dan Investasi", True),
        ("000", "Odo Manuhutu", "Kementerian Koordinator Bidang Kemaritiman dan Investasi (Kemenko Marves)", True),
        ("000", "Odo Manuhutu", "Kemenko Perekonomian", False),
        ("000", "Odo Manuhutu", "Kemenko", False),  # a shorter name is no name
        ("000", "Odo Manuhutu", "Odo Manuhutu", False),  # the person, not his organisation
        ("001", "Rudy Salahuddin", "Kemenko Perekonomian", True),
        ("001", "Pemerintah", "pemerintah", False),  # no organisation in the gold
        ("002", "Budi Primawan", "Lazada", True),
        ("002", "Budi Primawan", "Lazada Indonesia", False),
        ("002", "Agus Mintono", "Dinas Koperasi dan UMKM Provinsi Banten", True),
        ("002", "Agus Mintono", "Pemerintah Provinsi Banten", False),  # another body of the same province
        ("003", "Johnny G. Plate", "Kemenkominfo", True),
        ("003", "Johnny G. Plate", "Kementerian Komunikasi dan Informatika", True),
        ("004", "Joko Widodo", "Istana Negara", False),  # organisation: null
    ],
)
def test_names_organisation(aid: str, name: str, pred: str, named: bool) -> None:
    assert names_organisation(pred, _speaker(aid, name)) is named


def test_a_more_specific_organisation_is_another_one() -> None:
    central = Speaker(name="Juru bicara", organisation="Pemerintah")
    assert names_organisation("Pemerintah", central)
    assert not names_organisation("Pemerintah Provinsi Banten", central)
    assert not names_organisation("Pemerintah Provinsi Banten (Pemerintah)", central)


@pytest.mark.parametrize("pred", [None, 3, "", "   ", "()", "((", "Johnny (", ")", "(Jokowi)", "kata", ",", "&", "- -"])
def test_odd_input_never_raises(pred) -> None:
    speakers = [*GOLD["004"].speakers, Speaker(name=" "), None, "Joko Widodo"]
    # Only "(Jokowi)" names someone: 004's gold alias "Jokowi", in parentheses. Nothing else here is a name.
    assert resolve_speaker(pred, speakers) == ("Joko Widodo" if pred == "(Jokowi)" else None)
    assert resolve_speaker(pred, None) is None
    assert resolve_speaker(pred, 5) is None
    assert names_organisation(pred, None) is False
    assert names_organisation(pred, _speaker("000", "Odo Manuhutu")) is False
