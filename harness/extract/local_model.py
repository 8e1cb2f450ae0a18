"""The embedded local model's lifecycle in one import: set it up, find its weights, serve it on 127.0.0.1.

Set-up lives in `local_model_setup`, the server in `local_model_server`; this module is the public face.
"""

from __future__ import annotations

from harness.extract.local_model_server import DEFAULT_ALIAS, LocalServer, free_port, llama_server_command, serve
from harness.extract.local_model_setup import (
    QWEN_PIN,
    RUNTIME_REQUIREMENT,
    LocalModelError,
    WeightsPin,
    assemble_weights,
    default_cache_dir,
    ensure_runtime,
    is_verified,
    model_path,
    resolve_model_file,
    runtime_available,
    setup_local_model,
)

__all__ = [
    "DEFAULT_ALIAS",
    "QWEN_PIN",
    "RUNTIME_REQUIREMENT",
    "LocalModelError",
    "LocalServer",
    "WeightsPin",
    "assemble_weights",
    "default_cache_dir",
    "ensure_runtime",
    "free_port",
    "is_verified",
    "llama_server_command",
    "model_path",
    "resolve_model_file",
    "runtime_available",
    "serve",
    "setup_local_model",
]
