"""The peer of `harness run` in bench_throughput.py: a plain openai-client script (semaphore + gather, JSON mode,
one output file) over the same articles and endpoint, so the harness's overhead can be read against it.

Run: `python benchmarks/openai_peer.py BASE_URL ARTICLES_DIR CONCURRENCY OUT.jsonl`.
"""

import asyncio
import json
import sys
from pathlib import Path

from openai import AsyncOpenAI

SYSTEM = "Extract every factual claim of the article as JSON: {claims: [{text, figures, dates, speaker}]}."


async def main(base_url: str, folder: str, concurrency: int, out: str) -> None:
    client = AsyncOpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    slot = asyncio.Semaphore(concurrency)

    async def ask(path: Path) -> dict:
        async with slot:
            r = await client.chat.completions.create(
                model="bench-model", response_format={"type": "json_object"}, temperature=0,
                messages=[{"role": "system", "content": SYSTEM}, {"role": "user", "content": path.read_text()}],
            )  # fmt: skip
        return {"article": path.stem, "answer": json.loads(r.choices[0].message.content or "{}")}

    rows = await asyncio.gather(*(ask(p) for p in sorted(Path(folder).glob("*.txt"))))
    Path(out).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    await client.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]))
