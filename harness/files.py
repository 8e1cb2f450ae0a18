"""Writing files so that a reader never sees half of one, checking up front that a place can be written, reading a
versioned JSON file into its model with a one-line error, and the one UTC timestamp format the records use."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from harness.errors import InputError

M = TypeVar("M", bound=BaseModel)


def utc_now() -> datetime:
    return datetime.now(UTC)


def now_utc() -> str:
    return utc_now().strftime("%Y-%m-%dT%H:%M:%SZ")


def _umask() -> int:
    """This process's umask, read without changing it (os.umask sets it, which a writer thread could observe)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temp file in the same folder, fsync, then rename: a reader sees the old file or the new one,
    whenever the writer is killed. The file gets the mode a plain open() would give it (0666 less the umask), not
    the 0600 of a temp file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


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
