"""The embedded model end to end: the five seed articles (the default prompt) on this machine's 2 cores, against the
token floor — prompt tokens / prompt speed + output tokens / generation speed, both speeds measured here with
llama_cpp on the same weights and thread count.

Two floors: `full` charges every prompt token of every sample; `prefix` charges the first sample's whole prompt
and only the article part of the others, because llama.cpp keeps the previous prompt's evaluated tokens and the
system message (rules, worked example, schema) is the same for every article. The per-sample tokens and latency
come from a fresh run (default: `harness run --no-cache` into a temp folder, about 3-5 minutes) or, with
`--from-recorded`, from the embedded model's answers in reports/recorded (their latency was measured on whatever
else the machine was doing then). Prints one JSON line per article and one summary line.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HARNESS = str(Path(sys.executable).parent / "harness")


def fresh_samples(n_threads: int) -> tuple[list[dict], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "HARNESS_MODEL"))}
    with tempfile.TemporaryDirectory(prefix="bench-embedded-") as tmp:
        cmd = [HARNESS, "run", "--no-cache", "--recorded", str(Path(tmp) / "none"), "--out", tmp,
               "--n-threads", str(n_threads), "--quiet"]  # fmt: skip
        r = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
        if r.returncode not in (0, 1):
            raise SystemExit(f"harness run failed ({r.returncode}): {r.stderr[-1000:]}")
        path = next(line.split(": ", 1)[1] for line in r.stdout.splitlines() if line.startswith("record: "))
        rec = json.loads(Path(path).read_text(encoding="utf-8"))
    rows = [{"article_id": s["article_id"], "prompt_tokens": s["usage"]["prompt_tokens"],
             "completion_tokens": s["usage"]["completion_tokens"], "latency_s": s["latency_s"], "ok": s["ok"],
             "truncated": s["truncated"]} for s in rec["samples"]]  # fmt: skip
    return rows, f"fresh run, record duration {rec['duration_s']} s"


def recorded_samples(prompt: str) -> tuple[list[dict], str]:
    """The recorded answers of `prompt` to the seed articles themselves at temperature 0 (not the repeats at 0.7,
    not the metamorphic variants, whose texts differ)."""
    seeds = {hashlib.sha256(f.read_bytes()).hexdigest() for f in (ROOT / "seeds").glob("*.txt")}
    rows = []
    for p in sorted((ROOT / "reports" / "recorded").glob("*.json")):
        e = json.loads(p.read_text(encoding="utf-8"))
        parts, labels = e["parts"], e["labels"]
        if (parts["endpoint"].startswith("local:") and labels.get("prompt") == prompt and parts["repeat"] == 0
                and parts.get("temperature") == 0 and labels.get("article_sha256") in seeds):  # fmt: skip
            rows.append({"article_id": e["labels"]["article_id"], "prompt_tokens": e["usage"]["prompt_tokens"],
                         "completion_tokens": e["usage"]["completion_tokens"], "latency_s": e["latency_s"],
                         "ok": True, "truncated": e["truncated"], "created": e["created"]})  # fmt: skip
    rows.sort(key=lambda r: r["article_id"])
    return rows, "reports/recorded"


def measure_speeds(model_file: Path, n_threads: int, prompt_text: str, gen_tokens: int = 96) -> tuple[float, float]:
    """Prompt and generation speed (tokens/s) of llama_cpp on these weights: one prompt of the real kind, then
    `gen_tokens` greedy tokens. The same library and thread count as the harness's server."""
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_file), n_ctx=8192, n_threads=n_threads, verbose=False)
    tokens = llm.tokenize(prompt_text.encode("utf-8"))
    llm.reset()
    t0 = time.perf_counter()
    llm.eval(tokens)
    prompt_speed = len(tokens) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(gen_tokens):
        tok = llm.sample(temp=0.0)
        llm.eval([tok])
    gen_speed = gen_tokens / (time.perf_counter() - t0)
    return prompt_speed, gen_speed


def article_tokens(model_file: Path) -> dict[str, int]:
    from llama_cpp import Llama

    llm = Llama(model_path=str(model_file), n_ctx=512, n_threads=1, verbose=False, vocab_only=True)
    return {p.stem: len(llm.tokenize(p.read_bytes(), add_bos=False)) for p in sorted((ROOT / "seeds").glob("*.txt"))}


def main() -> None:
    from harness.extract.prompts import DEFAULT_PROMPT

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--from-recorded", action="store_true", help="read tokens and latency from reports/recorded")
    ap.add_argument("--prompt", default=DEFAULT_PROMPT, help="with --from-recorded: whose answers to read")
    ap.add_argument("--n-threads", type=int, default=2)
    args = ap.parse_args()
    try:
        from harness.extract.local_model import resolve_model_file

        model_file = resolve_model_file(None)
    except Exception as exc:  # no weights here: say so in the table rather than fail the whole `make bench`
        print(json.dumps({"bench": "embedded", "skipped": f"no embedded model ({type(exc).__name__})"}))
        return
    rows, source = recorded_samples(args.prompt) if args.from_recorded else fresh_samples(args.n_threads)
    if not rows:
        print(json.dumps({"bench": "embedded", "skipped": f"no samples in {source}"}))
        return
    wording = (ROOT / "prompts" / f"{args.prompt}.yaml").read_text(encoding="utf-8")
    first_article = sorted((ROOT / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
    pp, tg = measure_speeds(model_file, args.n_threads, wording + "\n" + first_article)
    arts = article_tokens(model_file)
    full = sum(r["prompt_tokens"] / pp + r["completion_tokens"] / tg for r in rows)
    # Prefix reuse: the first sample evaluates its whole prompt, the others their article (plus a few template tokens).
    rest = sum(min(r["prompt_tokens"], arts[r["article_id"]] + 8) for r in rows[1:])
    prefix = (rows[0]["prompt_tokens"] + rest) / pp
    prefix += sum(r["completion_tokens"] / tg for r in rows)
    actual = sum(r["latency_s"] for r in rows)
    for r in rows:
        print(json.dumps({"bench": "embedded", **r}), flush=True)
    print(json.dumps({
        "bench": "embedded", "summary": True, "source": source, "prompt": args.prompt, "articles": len(rows),
        "n_threads": args.n_threads,
        "prompt_tok_per_s": round(pp, 1), "gen_tok_per_s": round(tg, 1),
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "output_tokens": sum(r["completion_tokens"] for r in rows),
        "output_tokens_per_article": round(sum(r["completion_tokens"] for r in rows) / len(rows), 1),
        "actual_s": round(actual, 1), "floor_full_s": round(full, 1), "ratio_full": round(actual / full, 2),
        "floor_prefix_s": round(prefix, 1), "ratio_prefix": round(actual / prefix, 2),
    }), flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
