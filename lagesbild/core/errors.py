"""The error hierarchy and the record of a rejected input row."""

from __future__ import annotations

import errno

from dataclasses import dataclass


class LagesbildError(Exception):
    """Anything the user can act on. The UI shows it; any other exception is a bug."""


class InputError(LagesbildError, ValueError):
    """A file or value that cannot be used; the message names file, row and field and the fix."""

    def __init__(self, message: str, *, file: str = "", row: int | None = None,
                 field: str = "", fix: str = "") -> None:
        self.file, self.row, self.field, self.fix = file, row, field, fix
        where = ", ".join(p for p in (
            f"fil {file}" if file else "",
            f"rad {row}" if row is not None else "",
            f"fält '{field}'" if field else "",
        ) if p)
        text = f"{where}: {message}" if where else message
        if fix:
            text += f" Åtgärd: {fix}"
        super().__init__(text)


class DisclosureError(LagesbildError):
    """A release the disclosure audit fails: publishing it would let a hidden cell be narrowed."""


class WorkspaceError(LagesbildError):
    """The workspace file is missing, locked or not a lägesbild workspace."""


@dataclass(frozen=True)
class Rejection:
    """One rejected input row: where it was and why (in Swedish, for the user)."""

    file: str
    row: int  # 1-based line number in the file, header = line 1
    field: str
    value: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"fil": self.file, "rad": self.row, "fält": self.field,
                "värde": self.value, "orsak": self.reason}


_EDQUOT = getattr(errno, "EDQUOT", -122)  # not on every platform
_REASONS = {errno.EACCES: "behörighet saknas", errno.EPERM: "behörighet saknas",
            errno.EROFS: "filsystemet är skrivskyddat", errno.ENOSPC: "disken är full",
            _EDQUOT: "diskkvoten är slut", errno.ENOENT: "filen eller mappen finns inte",
            errno.ENOTDIR: "en del av sökvägen är ingen mapp",
            errno.EISDIR: "sökvägen är en mapp, inte en fil",
            errno.EEXIST: "filen finns redan"}


def os_error_line(exc: OSError) -> str:
    """One Swedish line for an OSError: what happened, to which path, what to do."""
    reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
    paths = " -> ".join(str(p) for p in (exc.filename, exc.filename2) if p)
    fix = {errno.EACCES: "Välj en plats du får skriva i, eller be om behörighet.",
           errno.EPERM: "Välj en plats du får skriva i, eller be om behörighet.",
           errno.EROFS: "Välj en plats på en skrivbar disk.",
           errno.ENOSPC: "Frigör utrymme och försök igen.",
           _EDQUOT: "Frigör utrymme och försök igen."}.get(exc.errno or 0, "")
    return " ".join(p for p in (f"{paths}: {reason}." if paths else f"{reason}.", fix) if p)
