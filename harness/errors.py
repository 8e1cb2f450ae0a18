"""Errors the harness reports to people: one line naming the file and line, and a documented exit code."""

from __future__ import annotations

# Exit codes, shared by every verb (documented in README.md):
EXIT_OK = 0
EXIT_FAILED = 1  # the job ran but its verdict is "fail" (regression, too many failed samples)
EXIT_INPUT = 2  # usage or input error: bad file, unknown id, cache miss under --offline


class InputError(Exception):
    """Bad input, located: `file:line: message`. The CLI prints it on one line and exits 2."""

    def __init__(self, message: str, file: str | None = None, line: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = ""
        if self.file:
            where = f"{self.file}:{self.line}: " if self.line else f"{self.file}: "
        return f"{where}{self.message}".replace("\n", " ")
