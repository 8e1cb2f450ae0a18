"""`harness local-model setup|path|serve`: install and verify the embedded model, find its file, run it by hand."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from harness.cli._common import run_guarded


def _lm():
    """The local-model module, imported when a verb runs (it pulls in rich progress bars and subprocess handling)."""
    from harness.extract import local_model

    return local_model


app = typer.Typer(no_args_is_help=True, help="Set up, locate and serve the embedded local model (offline, CPU).")

CACHE_DIR = typer.Option(None, "--cache-dir", help="Cache folder (default: $HARNESS_CACHE_DIR or ~/.cache/harness).")
MODEL_FILE = typer.Option(
    None, "--model-file", help="Any GGUF file to use instead of the pinned one (default: $HARNESS_MODEL_FILE)."
)


@app.command()
def setup(
    cache_dir: Path | None = CACHE_DIR,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
) -> None:
    """Install llama-cpp-python (with its server) if missing, assemble the sha256-checked weights; print the path."""
    lm = _lm()
    path = run_guarded(lambda: lm.setup_local_model(cache_dir, progress=not quiet))
    print(path)


@app.command()
def path(model_file: Path | None = MODEL_FILE, cache_dir: Path | None = CACHE_DIR) -> None:
    """Print the GGUF file the harness would serve. Exit 2 if it is not set up."""
    lm = _lm()
    print(run_guarded(lambda: lm.resolve_model_file(model_file, cache_dir)))


@app.command()
def serve(
    port: int | None = typer.Option(None, "--port", help="Loopback port (default: a free one)."),
    model_file: Path | None = MODEL_FILE,
    cache_dir: Path | None = CACHE_DIR,
    alias: str | None = typer.Option(
        None, "--alias", help="Model name the server answers to (default: the pinned model's name)."
    ),
    n_ctx: int = typer.Option(8192, "--n-ctx", help="Context window in tokens."),
    threads: int = typer.Option(2, "--threads", help="CPU threads."),
) -> None:
    """Run the OpenAI-compatible server on 127.0.0.1 in the foreground until Ctrl-C."""
    lm = _lm()

    def run() -> None:
        model = lm.resolve_model_file(model_file, cache_dir)
        with lm.serve(model, alias=alias or lm.DEFAULT_ALIAS, n_ctx=n_ctx, n_threads=threads, port=port) as server:
            print(f"serving {model.name} as model {server.model!r} at {server.base_url} (any api_key); Ctrl-C stops")
            print(f"server log: {server.log_file}", flush=True)
            while (code := server.process.poll()) is None:
                time.sleep(0.5)
            raise lm.LocalModelError(f"the model server stopped by itself (exit {code}); see {server.log_file}")

    try:
        run_guarded(run)
    except KeyboardInterrupt:
        print("stopped")
