"""The `baseline` model: rules-only claims from the real articles, and `harness run --model baseline` end to end."""

from __future__ import annotations

import builtins
import io
import json
from pathlib import Path

import pytest

from harness.extract.baseline import extract_claims, find_dates, find_speaker, is_noise, sentence_spans
from tests.conftest import cli, endpoint_env

ROOT = Path(__file__).resolve().parents[1]
A000, A001, A003 = "000_5c7c061acdd0991c", "001_ace72b6c210ee1f9", "003_c50be10e8d192006"


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def test_a_sentence_with_a_figure_is_one_claim():
    s = "Saat ini, angka UMKM yang telah bergabung telah mencapai 3,8 juta."
    (claim,) = extract_claims(A000, s)
    assert [f.raw for f in claim.figures] == ["3,8 juta"] and claim.dates == []
    assert claim.text == s and claim.evidence == [s] and claim.speaker is None and claim.article_id == A000


def test_claims_of_a_real_article_are_verbatim_and_counted_once(articles):
    text = articles[A000].text
    claims = extract_claims(A000, text)
    assert "Saat ini, angka UMKM yang telah bergabung telah mencapai 3,8 juta." in [c.text for c in claims]
    assert all(c.evidence[0] in text for c in claims)
    assert len({c.text for c in claims}) == len(claims)  # the scraped repeat of each paragraph adds nothing
    (quoted,) = [c for c in claims if "sambung Odo lagi" in c.text]
    assert [f.raw for f in quoted.figures] == ["2 juta", "3,8 juta"] and quoted.speaker == "Odo"
    (target,) = [c for c in claims if "Odo Manuhutu mengatakan" in c.text]
    assert target.speaker == "Odo Manuhutu" and [d.raw for d in target.dates] == ["pada Desember 2020"]


def test_speaker_next_to_the_cue(articles):
    (line,) = {ln for ln in articles[A000].text.splitlines() if "kata Odo" in ln}
    first, second = sentences(line)
    assert first.endswith("produk lokal naik.") and second.startswith('"Animo masyarakat')
    assert find_speaker(second) == "Odo" and find_speaker(first) is None
    assert find_speaker('"Ini target," ujarnya.') is None  # no name in the sentence
    assert find_speaker("Dia menyebut ada peluang besar pada 2024.") is None  # a pronoun is no name
    assert find_speaker("Menurut Rudy, ada 27 juta UMKM.") == "Rudy"


def test_no_figure_and_no_date_no_claim():
    s = (
        "Namun, saat ini banyak pelaku UMKM yang mulai bangkit setelah mengikuti perubahan sistem dagang dari "
        "offline ke online."
    )
    assert extract_claims(A000, s) == []
    assert extract_claims(A000, "Eks gubernur itu menargetkan lebih banyak pada tahun ini.") == []  # no year to read


@pytest.mark.parametrize(
    "line",
    [
        "A",
        "loading...",
        "Baca Juga",
        "(akr)",
        "(Red/*)",
        "Iklan Tengah Artikel 1",
        "- Mantap! 2 UMKM Binaan Bea Cukai Nunukan Sukses Ekspor Produknya",
    ],
)
def test_noise_lines_are_skipped(line):
    assert is_noise(line)
    text = f"{line}\nPer Maret 2023, sebanyak 22 juta UMKM telah go digital.\n{line}\n"
    assert sentences(text) == ["Per Maret 2023, sebanyak 22 juta UMKM telah go digital."]
    assert len(extract_claims("x", text)) == 1


def test_splitter_keeps_figures_dates_and_abbreviations_intact(articles):
    ss = sentences(articles[A001].text)
    (briefing,) = [s for s in ss if "(4/12/2023)" in s]
    assert briefing.startswith("“UMKM go digital ini") and briefing.endswith("Senin (4/12/2023).")
    assert "Senin (4/12/2023)" in find_dates(briefing)
    assert any(s.endswith("telah mencapai 3,8 juta.") for s in sentences(articles[A000].text))
    assert not any(s.endswith(("3,", "Rp1.")) or s.startswith(("8 juta", "2 juta")) for s in ss)
    two = sentences("Dr. Budi mengatakan harga naik Rp1.2 juta. Plt. Kepala Dinas Agus hadir.")
    assert two == ["Dr. Budi mengatakan harga naik Rp1.2 juta.", "Plt. Kepala Dinas Agus hadir."]
    assert find_speaker(two[0]) == "Budi"


def test_a_line_break_inside_a_sentence_is_joined(articles):
    text = articles[A003].text
    joined = [s for s in sentences(text) if s.startswith("Johnny mengakui") and "\n" in s]
    assert joined == ["Johnny mengakui usaha-usaha konvensional atau\noffline terdampak selama pandemi covid-19."]
    assert len([c for c in extract_claims(A003, text) if "480 persen" in c.text]) == 1


@pytest.mark.parametrize(("sentence", "dates"), [
    ("Per Maret 2023, sebanyak 22 juta UMKM.", ["Per Maret 2023"]),
    ("Target 2 juta UMKM pada Desember 2020.", ["pada Desember 2020"]),
    ("Target 30 juta pada 2024.", ["pada 2024"]),
    ("Penjualan naik pada kuartal III 2023.", ["pada kuartal III 2023"]),
    ("Acara itu kick off pada 10 Februari lalu.", ["pada 10 Februari lalu"]),
    ("Pelatihan dimulai Senin, 5 Oktober 2020 hingga 12 Desember 2020.",
     ["dimulai Senin, 5 Oktober 2020", "hingga 12 Desember 2020"]),
    ('"Ini target," ungkap Lies, Ranu 8/3/23.', ["8/3/23"]),
    ("Tercatat, 6.500 orang mendaftar dari kapasitas 2.500 saat pandemi Covid-19 tahun lalu.", []),
])  # fmt: skip
def test_date_phrases_as_written(sentence, dates):
    assert find_dates(sentence) == dates


def test_the_rules_read_no_file(articles, monkeypatch):
    """Pure: no gold, no file at all (after a first call has warmed the date parser's data)."""
    extract_claims(A001, articles[A001].text)

    def refuse(*a, **k):
        raise AssertionError(f"baseline opened a file: {a[:1]}")

    monkeypatch.setattr(builtins, "open", refuse)
    monkeypatch.setattr(io, "open", refuse)
    monkeypatch.setattr(Path, "open", refuse)
    # A text not seen before (every "2023" made "2022", so no cached date helps) is read with no file open, and
    # its dates are the edited ones.
    claims = extract_claims(A001, articles[A001].text.replace("2023", "2022"))
    raws = [d.raw for c in claims for d in c.dates]
    assert any("2022" in r for r in raws) and not any("2023" in r for r in raws), raws


def test_run_model_baseline_end_to_end(tmp_path):
    # No endpoint; a model file that does not exist: any attempt to start the embedded server would fail the run.
    env = {**endpoint_env(), "HARNESS_MODEL_FILE": str(tmp_path / "no-such-model.gguf")}
    cmd = [
        "run",
        "--model",
        "baseline",
        "--out",
        str(tmp_path / "runs"),
        "-q",
        "--no-report",
        "--offline",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--record-to",
        str(tmp_path / "rec"),
        "--n-boot",
        "50",
    ]
    r = cli(*cmd, env=env)
    assert r.returncode == 0, r.stderr
    path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
    rec = json.loads(Path(path).read_text(encoding="utf-8"))
    assert rec["models"] == ["baseline"] and rec["endpoint"]["identity"] == "baseline"
    assert rec["cache"] == {**rec["cache"], "requests": 0, "attempts": 0, "misses": 0, "written": 0}
    assert len(rec["samples"]) == 5 and all(s["ok"] and s["claims"] and s["attempts"] == 0 for s in rec["samples"])
    assert {s["model"] for s in rec["samples"]} == {"baseline"} and rec["summary"]["usage"]["prompt_tokens"] == 0
    assert [e["model"] for e in rec["scores"]] == ["baseline"] and " baseline " in r.stdout
    assert not (tmp_path / "cache").exists() and not (tmp_path / "rec").exists()  # nothing cached or recorded


def test_baseline_is_an_ordinary_model_name_at_an_endpoint(tmp_path):
    from tests.fake_openai_server import FakeOpenAIServer
    from tests.test_extract_runner import ANSWERS

    with FakeOpenAIServer(ANSWERS) as srv:
        cmd = [
            "run",
            "--model",
            "baseline",
            "--article",
            A001,
            "--out",
            str(tmp_path / "runs"),
            "-q",
            "--no-report",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--recorded",
            str(tmp_path / "none"),
            "--n-boot",
            "100",
        ]
        r = cli(*cmd, env=endpoint_env(srv.base_url))
        assert r.returncode == 0, r.stderr
        assert srv.requests == 1 and "1 requested" in r.stdout


def test_baseline_samples_never_reach_the_request_phase(tmp_path, monkeypatch):
    """Not offline, nothing cached: the rules still answer every sample; no server, no request, no cache."""
    from harness import pipeline as run_mod

    def refuse(*a, **k):
        raise AssertionError("the baseline went to the request phase")

    for var in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "HARNESS_MODEL_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(run_mod, "_request_missing", refuse)
    monkeypatch.chdir(ROOT)
    cfg = run_mod.RunConfig(models=["baseline"], only=[A000, A003], cache_dir=tmp_path / "cache", recorded=[],
                            out_dir=tmp_path / "runs", n_boot=20)  # fmt: skip
    seen = []
    result = run_mod.execute_run(cfg, on_result=seen.append)
    assert result.exit_code == 0 and [r.article_id for r in seen] == [A000, A003]
    assert all(r.source == "none" and r.usage.prompt_tokens == 0 and r.attempts == 0 for r in result.record.samples)
    texts = {a: (ROOT / "seeds" / f"{a}.txt").read_text(encoding="utf-8") for a in (A000, A003)}
    assert [r.claims for r in result.record.samples] == [extract_claims(a, texts[a]) for a in (A000, A003)]
    assert not (tmp_path / "cache").exists()
