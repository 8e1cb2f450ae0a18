"""Writing files so that a reader never sees half of one, checking up front that a place can be written, reading a
versioned JSON file into its model with a one-line error, the one UTC timestamp format the records use, where the
harness's own cache lives, and which version of a package is installed."""

from __future__ import annotations

import contextlib
import functools
import itertools
import os
import re
import stat
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import InputError

M = TypeVar("M", bound=BaseModel)


def default_cache_dir() -> Path:
    """The harness's own cache on this machine (model weights, prepared requests): `$HARNESS_CACHE_DIR`, else
    `~/.cache/harness`."""
    env = os.environ.get("HARNESS_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "harness"


def dist_version(name: str) -> str | None:
    """The installed version of the distribution `name`, None if it is not installed. Read from the name of its
    `<name>-<version>.dist-info` folder, the first on sys.path, which is what importlib.metadata returns: its
    `version()` reads and parses the package's METADATA file (6 ms for a first call here, under 1 ms this way, on
    each run's start for the prepared-request key), so it is asked only when no such folder is found. The folders
    are listed once per sys.path (a run asks for five versions; listing site-packages each time took 15 ms)."""
    version = _dist_info_versions(tuple(sys.path)).get(_dist_key(name))
    if version is not None:
        return version
    from importlib import metadata  # an .egg-info install, or a finder of another kind

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@functools.cache
def _dist_info_versions(path: tuple[str, ...]) -> dict[str, str]:
    """Normalised distribution name -> version, from the dist-info folders on `path`, the first folder winning."""
    found: dict[str, str] = {}
    for entry in path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in names:
            if folder.endswith(".dist-info"):
                dist, _, version = folder[: -len(".dist-info")].rpartition("-")
                if version:
                    found.setdefault(_dist_key(dist), version)
    return found


def _dist_key(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()  # PEP 503 normalisation, with the underscore folder names use


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_utc() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_TEMP_NUMBER = itertools.count()  # temp file names unique within this process (and its id across processes)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Put `data` at `path` whole: a temp file in the same folder, written, fsync'ed and closed, then renamed over
    `path`, so a reader sees the old file or the new one whenever the writer is killed, and the new one is on disk
    before it takes its name. The file gets the mode a plain open() gives (0666 less the umask, applied at creation).
    Five system calls and no more (the run's cache writer threads wait for the interpreter lock after each one while
    the event loop is busy): the folder is made only when it is missing."""
    made = False
    while True:
        tmp = path.with_name(f".{path.name}.{os.getpid()}-{next(_TEMP_NUMBER)}.tmp")
        try:
            fd = os.open(tmp, _CREATE, 0o666)
            break
        except FileExistsError:  # left by a killed process that had this id
            continue
        except FileNotFoundError:
            if made:
                raise
            path.parent.mkdir(parents=True, exist_ok=True)
            made = True
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """`atomic_write_bytes` of the text in UTF-8."""
    atomic_write_bytes(path, text.encode("utf-8"))


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a device"),
          (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISREG, "a regular file"))  # fmt: skip


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def unwritable_dir(path: Path) -> str | None:
    """Why `path` cannot be (made into) a folder to write files in, or None when it can — found without writing
    anything that stays: the nearest existing folder on the way is probed with a temporary folder or file."""
    path = Path(os.path.abspath(path))
    probe = path
    while True:
        try:
            st = os.stat(probe)
            break
        except FileNotFoundError:
            if probe.parent == probe:
                return "no existing folder on the way"
            probe = probe.parent
        except OSError as exc:  # a symlink loop, a file on the way (ENOTDIR), no permission to look
            return exc.strerror or str(exc)
    if not stat.S_ISDIR(st.st_mode):
        where = "is" if probe == path else f"has {probe} on the way, which is"
        return f"{where} {_kind(st.st_mode)}, not a folder"
    try:  # a folder to create: can one be created here? a folder that exists: can a file be created in it?
        if probe == path:
            fd, tmp = tempfile.mkstemp(dir=probe, prefix=".harness-probe-")
            os.close(fd)
            os.unlink(tmp)
        else:
            os.rmdir(tempfile.mkdtemp(dir=probe, prefix=".harness-probe-"))
    except OSError as exc:
        return f"cannot write in {probe}: {exc.strerror or exc}"
    return None


def unwritable_file(path: Path) -> str | None:
    """Why a file cannot be written at `path` (a folder, FIFO or device there, or no folder to hold it), or None."""
    path = Path(os.path.abspath(path))
    try:
        st = os.stat(path)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        return exc.strerror or str(exc)
    if st is not None and not stat.S_ISREG(st.st_mode):
        return f"is {_kind(st.st_mode)}, not a regular file"
    return unwritable_dir(path.parent)


def read_json_model(path: Path, model: type[M], what: str, kind: str, hint: str = "") -> M:
    """`model` read from the JSON file at `path`; InputError (exit 2) naming the file when it cannot be read
    ("cannot read <what>: <why><hint>") or is not that model ("not <kind>: <field>: <why>")."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}{hint}", str(path)) from None
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InputError(f"not {kind}: {where}: {err['msg']}", str(path)) from None
