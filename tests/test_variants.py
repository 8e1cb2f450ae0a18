"""`harness variants make`: metamorphic copies of the corpus with the gold carried along, and `harness compare
--variant` pairing a run on the originals with a run on a variant. Expected values come from the article text and
its gold (offsets worked out in comments), never from the generator's own output."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from harness import records as rec
from harness.corpus import load_articles, load_gold
from harness.normalize import parse_date, parse_figure
from harness.normalize.names import is_person_name, strip_titles
from harness.score import evaluate
from harness.score.agreement import as_predictions
from harness.score.vocabulary import REPORTED
from tests.conftest import SEEDS, cli, endpoint_env
from tests.test_compare import rows as compare_rows
from tests.test_report_support import gold_answers, make_record, write

A000, A001, A002, A003, A004 = (
    "000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "002_61bc8efce56588cd", "003_c50be10e8d192006",
    "004_5da99a7ff07c33c6",
)  # fmt: skip
KINDS = ("numbers", "dates", "names", "all")


@pytest.fixture(scope="module")
def made(tmp_path_factory) -> dict[str, Path]:
    """Each kind made once into its own folder by the verb as a user calls it."""
    root = tmp_path_factory.mktemp("variants")
    out = {}
    for kind in KINDS:
        r = cli("variants", "make", "--out", str(root / kind), "--kind", kind)
        assert r.returncode == 0, r.stderr
        assert "gold check passed" in r.stdout
        out[kind] = root / kind
    return out


def _load(folder: Path):
    articles = load_articles(folder / "seeds")
    return articles, load_gold(folder / "gold", articles)


def _claim(gold, aid: str, cid: str):
    return next(c for c in gold[aid].claims if c.id == cid)


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_passes_the_gold_check(made, kind):
    r = cli("gold", "check", "--gold", str(made[kind] / "gold"), "--seeds", str(made[kind] / "seeds"))
    assert r.returncode == 0, r.stderr
    assert "5 articles, 39 claims" in r.stdout  # the gold's 5 + 9 + 10 + 11 + 4 claims, all carried along
    header = (made[kind] / "gold" / f"{A000}.yaml").read_text(encoding="utf-8").splitlines()[0]
    assert f"Generated from gold/{A000}.yaml by `harness variants make --kind {kind}`" in header
    assert "do not edit" in header


@pytest.mark.parametrize("kind", KINDS)
def test_the_variant_gold_as_predictions_scores_one_everywhere(made, kind):
    articles, gold = _load(made[kind])
    report = evaluate(gold, as_predictions(gold), texts={a: x.text for a, x in articles.items()}, n_boot=10)
    for field in REPORTED:
        assert getattr(report, field).f1 == 1.0, field


@pytest.mark.parametrize("kind", KINDS)
def test_values_stay_and_the_normaliser_reads_every_rewritten_raw_as_the_gold_value(made, kind, gold):
    _, variant = _load(made[kind])
    assert set(variant) == set(gold)
    for aid, g in gold.items():
        v = variant[aid]
        assert v.published == g.published
        for c, w in zip(g.claims, v.claims, strict=True):
            assert c.id == w.id
            for f, nf in zip(c.figures, w.figures, strict=True):
                assert (nf.value, nf.unit, nf.approx, nf.qualifier) == (f.value, f.unit, f.approx, f.qualifier)
                read = parse_figure(nf.raw)
                assert (read.value, read.approx, read.qualifier) == (f.value, f.approx, f.qualifier), nf.raw
            for d, nd in zip(c.dates, w.dates, strict=True):
                assert (nd.value, nd.role) == (d.value, d.role)
                assert parse_date(nd.raw, v.published).value == d.value, nd.raw


def test_a_numeral_is_rewritten_to_its_form_at_its_place(made):
    articles, gold = _load(made["numbers"])
    text = articles[A000].text
    # 000's values first occur as 3.8 million (the headline "3,8 Juta"), then 2 million ("2 juta"): the first takes
    # the full digits, the second the compact form. Evidence of 000-02 started at 391 in the original; before it
    # the headline's "3,8 Juta" (8 characters) became "3.800.000" (9) and "2 juta" (6) became "2 jt" (4):
    # 391 + 1 - 2 = 390.
    assert text.startswith("Tercatat Sudah Ada 3.800.000 Pelaku UMKM")
    c = _claim(gold, A000, "000-02")
    assert c.evidence[0].text == "Saat ini, angka UMKM yang telah bergabung telah mencapai 3.800.000."
    assert c.evidence[0].start == 390
    assert c.figures[0].raw == "3.800.000"
    assert _claim(gold, A000, "000-01").figures[0].raw == "2 jt"
    # Every occurrence of a form, not only inside gold spans: no "3,8 juta" or "2 juta" is left (the body is printed
    # twice, 000 wrote "3,8 juta" four times and "2 juta" three times).
    assert not re.search(r"3,8 [Jj]uta|\b2 juta", text)
    assert text.count("3.800.000") == 5 and text.count("2 jt") == 3
    # 003: "60 persen lebih" keeps its qualifier word; "6.500" loses its thousands dot; in both copies of the body.
    t3 = articles[A003].text
    assert _claim(gold, A003, "003-04").figures[0].raw == "60% lebih"
    assert _claim(gold, A003, "003-08").figures[0].raw == "6500"
    assert t3.count("6500 orang mendaftar") == 2 and "6.500" not in t3


def test_a_date_is_rewritten_to_its_other_writing(made):
    articles, gold = _load(made["dates"])
    assert _claim(gold, A001, "001-02").dates[0].raw == "Senin, 4 Desember 2023"
    assert _claim(gold, A000, "000-01").dates[0].raw == "pada 12/2020"
    assert _claim(gold, A000, "000-04").dates[0].raw == "Pada 03/2020"
    assert _claim(gold, A002, "002-01").dates[0].raw == "Ranu 8/3/2023"
    assert _claim(gold, A004, "004-01").dates[0].raw == "Senin, 28 Maret"
    # 003 prints the training dates twice; both copies read "5/10/2020 hingga 12/12/2020".
    assert articles[A003].text.count("Senin, 5/10/2020 hingga 12/12/2020") == 2
    # Relative and bare-year dates stay as written.
    assert _claim(gold, A001, "001-08").dates[1].raw == "hingga Desember tahun ini"
    assert _claim(gold, A004, "004-02").dates[0].raw == "2022 ini"


def test_the_spelled_weekday_typo_keeps_a_numeric_date():
    """ "Ranu 8 Maret 2023" (the typo before a spelled date) is a form the normaliser does not read, so 002's date
    keeps its digits ("8/3/23" -> "8/3/2023"), which it reads as 2023-03-08."""
    assert parse_date("Ranu 8 Maret 2023", "2023-03-08").value is None
    assert parse_date("Ranu 8/3/2023", "2023-03-08").value == "2023-03-08"


def test_ribuan_stays_because_its_digit_form_reads_exact(made):
    """ "800.000-an" would be the digit form of "800 ribuan", but the normaliser reads it as exact (approx lost), so
    the generator leaves "sekitar 800 ribuan" as written."""
    assert parse_figure("800.000-an").approx is False
    _, gold = _load(made["numbers"])
    assert _claim(gold, A002, "002-05").figures[0].raw == "sekitar 800 ribuan"


def test_no_original_speaker_name_is_left_in_a_names_variant(made, gold):
    articles, variant = _load(made["names"])
    for aid, g in gold.items():
        text = articles[aid].text
        blob = (made["names"] / "gold" / f"{aid}.yaml").read_text(encoding="utf-8").split("\n", 3)[3]  # no header
        people = [sp for sp in g.speakers if is_person_name(sp.name)]
        for sp in people:
            for name in (sp.name, *(strip_titles(a) for a in sp.aliases)):
                if is_person_name(name):
                    rx = r"(?<!\w)" + r"\s+".join(map(re.escape, name.split())) + r"(?!\w)"
                    assert not re.search(rx, text), (aid, name)
                    assert not re.search(rx, blob), (aid, name)
        names = {sp.name for sp in variant[aid].speakers}
        assert all(c.speaker is None or c.speaker in names for c in variant[aid].claims)
    # Organisations and epithets are no names: they stay (the normaliser's own reading of a person's name).
    assert is_person_name("Presiden Jokowi") and is_person_name("Johnny G. Plate")
    assert not any(map(is_person_name, ("Kepala Negara", "Menkominfo", "Kemenko Perekonomian", "pemerintah")))
    assert "Kemenko Perekonomian" in {sp.name for sp in variant[A001].speakers}
    assert "Kepala Negara" in variant[A004].speakers[0].aliases
    # One person keeps one made-up name: 003's "Johnny G. Plate" and "Johnny" share their first name.
    johnny = variant[A003].speakers[0]
    assert johnny.name.split()[0] == johnny.aliases[0]
    # Word boundaries: "Budi" is renamed, "budidaya"-like words and other people's names are not ("Fathan Sinaga",
    # the reporter of 004, is no speaker).
    assert "Fathan Sinaga" in articles[A004].text
    # Made-up names differ between people across the corpus.
    made_up = [sp.name for g in variant.values() for sp in g.speakers if is_person_name(sp.name)]
    assert len(made_up) == len(set(made_up)) == 9 - 2  # 9 speakers, of which Kemenko and Pemerintah are bodies


def test_the_manifest_ties_each_variant_to_its_origin(made, articles):
    m = json.loads((made["all"] / "variants.json").read_text(encoding="utf-8"))
    assert m["kind"] == "all" and set(m["articles"]) == set(articles)
    for aid, v in m["articles"].items():
        assert v["origin_text_sha256"] == articles[aid].sha256
        new = (made["all"] / "seeds" / f"{aid}.txt").read_text(encoding="utf-8")
        old = articles[aid].text
        for r in v["rewrites"]:
            assert old[r["start"] : r["start"] + len(r["old"])] == r["old"]
            assert new[r["new_start"] : r["new_start"] + len(r["new"])] == r["new"]
    # Nothing in the manifest names a machine path: neither the output folder nor the originals' folder.
    text = json.dumps(m)
    assert str(made["all"].parent) not in text and str(SEEDS.parent) not in text


def test_the_generator_is_deterministic(made, tmp_path):
    r = cli("variants", "make", "--out", str(tmp_path / "again"), "--kind", "all")
    assert r.returncode == 0, r.stderr
    for p in sorted((made["all"]).rglob("*")):
        if p.is_file():
            assert (tmp_path / "again" / p.relative_to(made["all"])).read_bytes() == p.read_bytes(), p


# ---- compare --variant ----------------------------------------------------------------------------------------


def _runs(made, tmp_path, gold, articles, variant_gold=None):
    va, vg = _load(made["all"])
    a = write(make_record({("guided", "m"): gold_answers(gold)}, gold, articles, run_id="ORIG"), tmp_path)
    b = write(make_record({("guided", "m"): gold_answers(vg)}, variant_gold or vg, va, run_id="VAR",
                          gold_dir=made["all"] / "gold", seeds_dir=made["all"] / "seeds"), tmp_path)  # fmt: skip
    return a, b


def test_compare_with_a_variant_gives_a_zero_gap_for_the_gold_itself(made, tmp_path, gold, articles):
    a, b = _runs(made, tmp_path, gold, articles)
    plain = cli("compare", str(a), str(b))
    assert plain.returncode == 2 and "article texts differ" in plain.stderr
    r = cli("compare", str(a), str(b), "--variant", str(made["all"]), "--n-boot", "100", "--n-perm", "100")
    assert r.returncode == 0, r.stderr
    assert "differ by design" in r.stdout and "`all` variant" in r.stdout
    table = compare_rows(r.stdout)
    assert set(table) == set(REPORTED)
    for field, cells in table.items():
        assert cells[1:4] == ["1.000", "1.000", "**+0.000**"], field
    html = tmp_path / "cmp.html"
    assert cli("compare", str(a), str(b), "--variant", str(made["all"] / "variants.json"), "--html", str(html),
               "--n-boot", "10", "--n-perm", "10").returncode == 0  # fmt: skip
    assert "differ by design" in html.read_text(encoding="utf-8")


def test_compare_with_a_variant_refuses_what_does_not_pair(made, tmp_path, gold, articles):
    a, b = _runs(made, tmp_path, gold, articles)
    swapped = cli("compare", str(b), str(a), "--variant", str(made["all"]))
    assert swapped.returncode == 2 and "give the run on the originals as A" in swapped.stderr
    assert len(swapped.stderr.strip().splitlines()) == 1
    other = cli("compare", str(a), str(b), "--variant", str(made["numbers"]))
    assert other.returncode == 2 and "not scored on the variant texts" in other.stderr
    missing = cli("compare", str(a), str(b), "--variant", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "variants manifest" in missing.stderr
    # The same variant files, but B scored on a gold without claim 004-04: the gold items differ.
    _, vg = _load(made["all"])
    fewer = {k: g.model_copy(update={"claims": [c for c in g.claims if c.id != "004-04"]}) for k, g in vg.items()}
    (tmp_path / "runs").rename(tmp_path / "first")
    a, c = _runs(made, tmp_path, gold, articles, variant_gold=fewer)
    r = cli("compare", str(a), str(c), "--variant", str(made["all"]))
    assert r.returncode == 2 and "different gold items" in r.stderr


def test_pair_variant_keeps_the_baseline_file_unchanged(made, tmp_path, gold, articles):
    """The pairing mark is never written into a baseline made from a side."""
    a, b = _runs(made, tmp_path, gold, articles)
    ra, rb = rec.read_run(a), rec.read_run(b)
    sa, sb = rec.side_of(ra, ra.scores[0]), rec.side_of(rb, rb.scores[0])
    from harness.variants import read_manifest

    paired = rec.pair_variant(sa, sb, read_manifest(made["all"]))
    assert paired.variant is not None and paired.variant.kind == "all"
    assert "variant" not in rec.make_baseline(paired).model_dump()


# ---- the verb's errors ----------------------------------------------------------------------------------------


def test_bad_kind_and_missing_seeds_are_one_line_and_exit_2(tmp_path):
    r = cli("variants", "make", "--out", str(tmp_path / "v"), "--kind", "colours")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "--kind must be one of numbers, dates, names, all" in r.stderr
    r = cli("variants", "make", "--out", str(tmp_path / "v"), "--seeds", str(tmp_path / "nope"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nope" in r.stderr
    r = cli("variants", "make", "--out", str(tmp_path / "v"), "--gold", str(tmp_path / "nope"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no such gold folder" in r.stderr
    # --out that would overwrite the originals is refused before anything is written.
    r = cli("variants", "make", "--out", str(SEEDS.parent))
    assert r.returncode == 2 and "would overwrite the original seeds" in r.stderr
    assert not (tmp_path / "v").exists()


# ---- the recorded answers of the `all` variant replay offline ------------------------------------------------


def test_the_all_variant_replays_from_the_recorded_answers(tmp_path):
    """The guided prompt's answers on the `all` variant were recorded (reports/recorded/README.md); their cache keys
    hold the variant texts, so a changed generator would miss them here."""
    assert cli("variants", "make", "--out", str(tmp_path / "v"), "--kind", "all").returncode == 0
    r = cli("run", "--offline", "-q", "--no-report", "--prompt", "guided",
            "--seeds", str(tmp_path / "v" / "seeds"), "--gold",
            str(tmp_path / "v" / "gold"), "--cache-dir", str(tmp_path / "empty"), "--out", str(tmp_path / "runs"),
            env=endpoint_env())  # fmt: skip
    assert r.returncode == 0, r.stderr
    (run,) = (tmp_path / "runs").iterdir()
    record = rec.read_run(run)
    assert len(record.samples) == 5
    assert all(s.source == "recorded" for s in record.samples)
    assert record.cache.hits_recorded == 5 and record.cache.requests == 0
