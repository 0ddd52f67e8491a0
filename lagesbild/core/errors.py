"""The error hierarchy and the record of a rejected input row."""

from __future__ import annotations

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
