"""instructor's request preparation reused per (response model, system message, other fields): every request it
makes equals instructor's own, byte for byte once serialised (a batch line is hashed as written), in every mode."""

from __future__ import annotations

import json

import instructor
import openai
import pytest
from instructor.v2.core.providers import Provider as InstructorProvider
from instructor.v2.core.registry import mode_registry

from harness.extract.params import MODES, GenParams
from harness.extract.response import instructor_model
from harness.extract.structured import structured_client


@pytest.mark.parametrize("mode", ["json", "md_json", "tools"])
def test_prepared_requests_equal_instructors_own(mode: str) -> None:
    client = openai.AsyncOpenAI(base_url="http://127.0.0.1:9/v1", api_key="unused", max_retries=0)
    structured_client(client, GenParams(mode=mode, timeout=5.0))
    handlers = mode_registry.get_handlers(InstructorProvider.OPENAI, getattr(instructor.Mode, MODES[mode]))
    memo, own = handlers.request_handler, handlers.request_handler.__wrapped__
    model = instructor_model()
    for i in range(6):
        kwargs = {"model": "m", "temperature": 0.0, "seed": i // 3, "max_tokens": 64,
                  "messages": [{"role": "system", "content": "Extract claims."},
                               {"role": "user", "content": f"<article>{i}</article>"}]}  # fmt: skip
        got_model, got = memo(response_model=model, kwargs=json.loads(json.dumps(kwargs)))
        want_model, want = own(response_model=model, kwargs=json.loads(json.dumps(kwargs)))
        assert got_model is want_model
        assert json.dumps(got) == json.dumps(want)
        assert f"<article>{i}</article>" in json.dumps(got)
