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
And: a response schema whose root array declares `uniqueItems` has that array closed right after an item that
repeats an earlier one (harness.extract.unique_items), on the same greedy path.
All of it is installed in the server process by harness.extract.local_model_slots.
"""

from __future__ import annotations

import ctypes
import functools
import math
from collections.abc import Callable
from typing import Any

from harness.extract.unique_items import BLANKS, ItemWatch, unique_arrays

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
        self._llama = llama
        watched: frozenset[str] = getattr(grammar, "harness_unique_arrays", frozenset())
        self.watch = ItemWatch(watched) if watched else None
        self.picks = 0  # tokens picked, and of them the ones the grammar refused (the whole vocabulary filtered)
        self.refusals = 0

    def sample(self, ctx: Any, idx: int = -1) -> int:
        lib = self._lib
        watch = self.watch
        vocab = _vocabulary(self._llama) if watch is not None else None
        keep = vocab.closers if vocab is not None and watch is not None and watch.must_close else None
        token = self._pick(ctx, idx, keep)  # after a repeated item: only a token that closes the array
        if vocab is not None and watch is not None:
            cut = watch.overshoot(vocab.texts[token])
            if cut is not None:  # the pick ends a repeated item and goes on: the same text up to its bracket instead
                stop = vocab.ending_at(vocab.texts[token][:cut])
                if stop.any():
                    token = self._pick(ctx, idx, stop)
        lib.llama_sampler_accept(self._chain.sampler, token)
        lib.llama_sampler_accept(self._grammar, token)
        if vocab is not None and watch is not None:
            watch.feed(vocab.texts[token])
        return token

    def _pick(self, ctx: Any, idx: int, keep: Any) -> int:
        """The greedy token the grammar accepts, among the `keep` mask's tokens if one is given."""
        lib, np = self._lib, self._np
        logits = lib.llama_get_logits_ith(ctx.ctx, idx)
        rows = self._rows
        rows["id"] = self._ids
        rows["logit"] = np.ctypeslib.as_array(logits, shape=(self._n,))
        rows["p"] = 0.0
        if keep is not None:
            rows["logit"][~keep] = -math.inf
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
        return token

    def close(self) -> None:
        for name in ("_grammar", "_greedy"):
            sampler = getattr(self, name, None)
            if sampler is not None:
                self._lib.llama_sampler_free(sampler)
                setattr(self, name, None)

    def __del__(self) -> None:
        self.close()


class _Vocabulary:
    """Every token's text, and which tokens read as blanks then `]`: read once per process (about 0.5 s)."""

    def __init__(self, llama: Any) -> None:
        import numpy as np

        self._np = np
        self.texts = [llama.detokenize([token]) for token in range(int(llama._n_vocab))]
        self.closers = np.array([t.lstrip(BLANKS).startswith(b"]") for t in self.texts], dtype=bool)

    def ending_at(self, prefix: bytes) -> Any:
        """The tokens whose text is `prefix`, then blanks and perhaps the array's `]` (nothing else)."""
        keep = self._np.zeros(len(self.texts), dtype=bool)
        for token, text in enumerate(self.texts):
            if text.startswith(prefix):
                rest = text[len(prefix) :].lstrip(BLANKS)
                keep[token] = not rest or rest.startswith(b"]")
        return keep


_VOCABULARIES: dict[int, _Vocabulary] = {}


def _vocabulary(llama: Any) -> _Vocabulary:
    model = id(llama._model)
    if model not in _VOCABULARIES:
        _VOCABULARIES[model] = _Vocabulary(llama)
    return _VOCABULARIES[model]


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


def noting_unique_arrays(from_json_schema: Any) -> Any:
    """`LlamaGrammar.from_json_schema` (a bound classmethod) wrapped: the grammar it makes also carries the schema's
    root arrays that declare uniqueItems, for GrammarAfterGreedy to watch."""
    made_by = from_json_schema.__func__

    def wrapper(cls: Any, json_schema: str, verbose: bool = True) -> Any:
        grammar = made_by(cls, json_schema, verbose=verbose)
        grammar.harness_unique_arrays = unique_arrays(json_schema)
        return grammar

    return classmethod(wrapper)


def install_sampling(llama_cpp: Any) -> None:
    """Into the `llama_cpp` package of this process: GrammarAfterGreedy for greedy decoding under a grammar,
    llama.cpp's whitespace rule for grammars made from a response schema, and the schema's `uniqueItems` arrays
    noted on the grammar made from it."""
    import llama_cpp.llama_grammar as grammar_module

    grammar_module.SPACE_RULE = SPACE_RULE
    grammar_class = grammar_module.LlamaGrammar
    setattr(grammar_class, "from_json_schema", noting_unique_arrays(grammar_class.from_json_schema))  # noqa: B010
    # setattr: the same line type-checks with llama_cpp installed (a method assigned) and without it
    setattr(llama_cpp.Llama, "_init_sampler", grammar_after_greedy(llama_cpp.Llama._init_sampler))  # noqa: B010
