"""Speaker names as the five articles write them: titles, role phrases, aliases, outlets."""

from __future__ import annotations

import pytest

from harness.normalize.names import is_outlet, normalize_name, resolve_speaker, split_aliases, strip_titles
from harness.schema import Speaker

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
        ("Deputi Bidang Koordinasi Pariwisata dan Ekonomi Kreatif pada Kementerian Koordinator Bidang Kemaritiman "
         "dan Investasi (Kemenko Marves), Odo Manuhutu", "Odo Manuhutu"),
        # 001: commas inside the role; the name is the trailing run of capitalised words
        ("Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin",
         "Rudy Salahuddin"),
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
        ("Kementerian Koordinator bidang Perekonomian (Kemenko Perekonomian)",
         ["Kementerian Koordinator bidang Perekonomian", "Kemenko Perekonomian"]),
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
        ("Johnny Plate", "Johnny G. Plate"),  # fuzzy: middle initial left out
        ("Menkominfo", "Johnny G. Plate"),  # alias
        ("Menkominfo Johnny G. Plate", "Johnny G. Plate"),
        ("Presiden Jokowi", "Joko Widodo"),  # 004: alias after the title
        ("Presiden Joko Widodo (Jokowi)", "Joko Widodo"),
        ("Kepala Negara", "Joko Widodo"),  # 004: "tutur Kepala Negara"
        ("Jokowidodo", "Joko Widodo"),  # fuzzy
        ("Kemenko Perekonomian", "Kemenko Perekonomian"),  # 001: an organisation as speaker
        ("Kementerian Koordinator Bidang Perekonomian", "Kemenko Perekonomian"),  # its long alias, other case
        ("Deputi Bidang Koordinasi Ekonomi Digital, Ketenagakerjaan, dan UMKM Kemenko Perekonomian Rudy Salahuddin",
         "Rudy Salahuddin"),
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
    ["Sindonews", "SINDOnews.com", "Bisnis.com", "jpnn.com", "JPNN", "Medcom", "Medcom.id", "Metrotvnews",
     "metrotvnews.com", "Cipasera", "Google News", "redaksi", "Reporter", "wartawan", "penulis", "the outlet",
     "journalist", "Redaktur & Reporter : Fathan Sinaga", "www.jpnn.com"],
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
