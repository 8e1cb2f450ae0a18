"""Greedy decoding under a grammar, with the grammar checked after the pick: the same tokens, about 1.7 times as
fast on this model (10.3 -> 17.7 tokens/s for one 200-token answer on 2 cores).

llama-cpp-python 0.3 puts the grammar in the sampler chain before the pick, so every generated token runs the
grammar over the whole vocabulary (151,936 tokens for Qwen2.5): in JSON mode (`response_format` json_object, which
always carries a grammar) generation on 2 cores fell from about 19 to 10 tokens/s. llama.cpp's own server picks
first and filters the vocabulary only when the grammar refuses the pick. For greedy decoding that gives exactly the
tokens of filtering first: the best token the grammar accepts is the best token, unless it is refused. Only
temperature 0 with no logits processor takes this path; any other sampling keeps the chain as llama-cpp-python
builds it.

Also: llama-cpp-python turns a response schema into a grammar whose whitespace is at most one space, so the
newline this model writes after "{" and "[" is refused: with `--grammar`, a compact-answer prompt tried on the five
seed articles got an empty claims list every time. The server gets llama.cpp's current whitespace rule instead (a
space, or a newline and up to 20 spaces or tabs), and the same run then gave the answers of the plain JSON grammar.
Both are installed in the server process by harness.extract.local_model_slots.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from typing import Any

# llama.cpp's json-schema-to-grammar whitespace (common/json-schema-to-grammar.cpp): bounded, so it cannot run away.
SPACE_RULE = '( " " | "\\n" [ \\t]{0,20} )?'


class GrammarAfterGreedy:
    """A drop-in for llama-cpp-python's sampler chain (`sample(ctx, idx)`): `chain` (its penalties and greedy pick,
    built without the grammar) picks a token, the grammar checks only that token, and filters the whole vocabulary
    only when it refuses it; the token is then accepted by both, as llama_sampler_sample would."""

    def __init__(self, llama: Any, chain: Any, grammar: Any) -> None:
        import llama_cpp
        import numpy as np

        self._lib = llama_cpp
        self._chain = chain  # kept alive: it owns the penalties' and greedy samplers
        self._grammar = llama_cpp.llama_sampler_init_grammar(
            llama._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        self._greedy = llama_cpp.llama_sampler_init_greedy()
        n = int(llama._n_vocab)
        self._n = n
        self._data = (llama_cpp.llama_token_data * n)()
        self._rows = np.ctypeslib.as_array(self._data)  # a structured view: id, logit, p
        self._ids = np.arange(n, dtype=self._rows["id"].dtype)
        self._all = llama_cpp.llama_token_data_array(data=self._data, size=n, selected=-1, sorted=False)
        self._one_data = (llama_cpp.llama_token_data * 1)()
        self._one = llama_cpp.llama_token_data_array(data=self._one_data, size=1, selected=-1, sorted=False)
        self._np = np
        self.picks = 0  # tokens picked, and of them the ones the grammar refused (the whole vocabulary filtered)
        self.refusals = 0

    def sample(self, ctx: Any, idx: int = -1) -> int:
        lib, np = self._lib, self._np
        logits = lib.llama_get_logits_ith(ctx.ctx, idx)
        rows = self._rows
        rows["id"] = self._ids
        rows["logit"] = np.ctypeslib.as_array(logits, shape=(self._n,))
        rows["p"] = 0.0
        everything = self._all
        everything.data, everything.size, everything.selected, everything.sorted = self._data, self._n, -1, False
        lib.llama_sampler_apply(self._chain.sampler, ctypes.byref(everything))  # penalties, then the greedy pick
        picked = everything.data[everything.selected]
        token = int(picked.id)
        one = self._one
        self._one_data[0] = lib.llama_token_data(token, picked.logit, 0.0)
        one.data, one.size, one.selected, one.sorted = self._one_data, 1, -1, False
        lib.llama_sampler_apply(self._grammar, ctypes.byref(one))
        self.picks += 1
        if _refused(one.data[0].logit):  # the grammar refuses the best token: filter everything, pick again
            self.refusals += 1
            lib.llama_sampler_apply(self._grammar, ctypes.byref(everything))
            everything.selected = -1
            lib.llama_sampler_apply(self._greedy, ctypes.byref(everything))
            token = int(everything.data[everything.selected].id)
        lib.llama_sampler_accept(self._chain.sampler, token)
        lib.llama_sampler_accept(self._grammar, token)
        return token

    def close(self) -> None:
        for name in ("_grammar", "_greedy"):
            sampler = getattr(self, name, None)
            if sampler is not None:
                self._lib.llama_sampler_free(sampler)
                setattr(self, name, None)

    def __del__(self) -> None:
        self.close()


def _refused(logit: float) -> bool:
    return math.isinf(logit) and logit < 0


def grammar_after_greedy(init_sampler: Callable[..., Any]) -> Callable[..., Any]:
    """`Llama._init_sampler` wrapped: greedy decoding with a grammar gets GrammarAfterGreedy, the rest the original."""

    @functools.wraps(init_sampler)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        grammar = kwargs.get("grammar")
        if args or grammar is None or kwargs.get("temp") != 0.0 or kwargs.get("logits_processor") is not None:
            return init_sampler(self, *args, **kwargs)
        return GrammarAfterGreedy(self, init_sampler(self, **{**kwargs, "grammar": None}), grammar)

    return wrapper


def install_sampling(llama_cpp: Any) -> None:
    """Into the `llama_cpp` package of this process: GrammarAfterGreedy for greedy decoding under a grammar, and
    llama.cpp's whitespace rule for grammars made from a response schema."""
    import llama_cpp.llama_grammar as grammar_module

    grammar_module.SPACE_RULE = SPACE_RULE
    # setattr: the same line type-checks with llama_cpp installed (a method assigned) and without it
    setattr(llama_cpp.Llama, "_init_sampler", grammar_after_greedy(llama_cpp.Llama._init_sampler))  # noqa: B010
