"""Which of a file's columns holds what: a reader's column aliases, and the user's own mapping."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lagesbild.core.errors import InputError
from lagesbild.sources.raw_tables import HEADER_FIX, RawTable


@dataclass(frozen=True)
class ColumnSpec:
    """A reader's expected columns: canonical key -> header aliases, which are optional, and
    groups of which at least one must be complete (e.g. lat+lon or northing+easting)."""

    columns: Mapping[str, Sequence[str]]
    optional: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()

    def required(self) -> list[str]:
        grouped = {k for group in self.one_of for k in group}
        return [k for k in self.columns if k not in self.optional and k not in grouped]


def fold_header(text: str) -> str:
    """A header as the readers compare it: case-, dash-, space-, bracket- and %-insensitive."""
    return re.sub(r"[\s_\-()%]+", " ", text.casefold()).strip()


_fold = fold_header


def guess_columns(raw: RawTable | Sequence[str], wanted: Mapping[str, Iterable[str]], *,
                  exclude: Iterable[str] = ()) -> dict[str, str]:
    """Canonical key -> the file's header found by alias (case-, dash- and space-insensitive).

    `raw` is a table or just its header. Never raises: keys without a matching header are left
    out. Headers in `exclude` (already chosen for another key) are not offered again.
    """
    header = raw.header if isinstance(raw, RawTable) else list(raw)
    taken = set(exclude)
    folded: dict[str, str] = {}
    for h in header:
        folded.setdefault(_fold(h), h)
    found: dict[str, str] = {}
    for key, aliases in wanted.items():
        for alias in aliases:
            match = folded.get(_fold(alias))
            if match is not None and match not in taken:
                found[key] = match
                taken.add(match)
                break
    return found


def _apply_mapping(raw: RawTable, wanted: Mapping[str, Sequence[str]],
                   mapping: Mapping[str, str | None]) -> tuple[dict[str, str], set[str]]:
    """(key -> header chosen by the user, keys the user marked as absent); bad choices raise."""
    chosen: dict[str, str] = {}
    absent: set[str] = set()
    for key, header in mapping.items():
        if key not in wanted:
            raise InputError(f"Kolumnmappningen nämner '{key}', som filtypen inte har.",
                             file=raw.name, field=key,
                             fix=f"Använd någon av: {', '.join(wanted)}.")
        if header is None or str(header).strip() == "":
            absent.add(key)
            continue
        text = str(header).strip()
        match = text if text in raw.header else next(
            (h for h in raw.header if _fold(h) == _fold(text)), None)
        if match is None:
            raise InputError(f"Kolumnen '{text}' (vald för {key}) finns inte i filen. "
                             f"Filen har: {', '.join(raw.header)}.", file=raw.name,
                             row=raw.header_line, field=text,
                             fix="Välj en av filens kolumner i kolumnmappningen.")
        other = next((k for k, h in chosen.items() if h == match), None)
        if other is not None:
            raise InputError(f"Kolumnen '{match}' är vald både för {other} och för {key}.",
                             file=raw.name, row=raw.header_line, field=match,
                             fix="Välj olika kolumner.")
        chosen[key] = match
    return chosen, absent


def find_columns(raw: RawTable, wanted: Mapping[str, Iterable[str]],
                 *, optional: Iterable[str] = (), mapping: Mapping[str, str | None] | None = None,
                 one_of: Sequence[Sequence[str]] = ()) -> dict[str, str]:
    """Map canonical names to the file's headers via aliases (case-, dash- and space-insensitive).

    `mapping` (canonical key -> the file's header) overrides detection; a key mapped to None or
    "" is taken as absent from the file. For each group in `one_of` at least one group must be
    found complete; the keys of these groups are optional on their own. Missing columns are
    named all at once with their aliases and the file's headers.
    """
    wanted = {key: list(aliases) for key, aliases in wanted.items()}
    chosen, absent = _apply_mapping(raw, wanted, mapping or {})
    rest = {k: v for k, v in wanted.items() if k not in chosen and k not in absent}
    found = {**chosen, **guess_columns(raw, rest, exclude=chosen.values())}
    found = {k: found[k] for k in wanted if k in found}  # in the reader's order
    grouped = {k for group in one_of for k in group}
    optional = set(optional) | grouped
    missing = [key for key in wanted if key not in found and key not in optional]
    groups_ok = not one_of or any(all(k in found for k in group) for group in one_of)
    if missing or not groups_ok:
        # Name every missing column at once, so one round of fixes is enough.
        parts = [f"{key}: en av {' / '.join(wanted[key])}" for key in missing]
        if not groups_ok:
            parts.append("en av kolumngrupperna " + " eller ".join(
                " + ".join(f"{k} ({' / '.join(wanted[k][:3])})" for k in group)
                for group in one_of))
        fields = missing + ([] if groups_ok else ["/".join("+".join(g) for g in one_of)])
        raise InputError(
            f"{'Kolumnen saknas' if len(fields) == 1 else 'Kolumner saknas'}. Förväntade "
            f"{'; '.join(parts)}. {raw.header_guess()}", file=raw.name,
            row=raw.header_line, field=", ".join(fields),
            fix="Byt namn på kolumnen, välj den i kolumnmappningen eller välj rätt filtyp."
            + (" Filen verkar använda ett annat avgränsningstecken." if len(raw.header) == 1
               else "") + " " + HEADER_FIX)
    return found


def find_spec(raw: RawTable, spec: ColumnSpec, *,
              mapping: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """`find_columns` with a reader's `ColumnSpec`."""
    return find_columns(raw, spec.columns, optional=spec.optional, mapping=mapping,
                        one_of=spec.one_of)
