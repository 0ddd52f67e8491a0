"""Which file a dataset came from, so the same data never land twice and never vanish unasked.

Every dataset record keeps the SHA-256 of the file's bytes and the file's resolved path
(`Dataset.sha256`, `Dataset.source_path`). Before a file is read:

- The same content under another dataset name is refused, naming the dataset that holds it: the
  2024 police extract imported again as "utdrag_kopia.csv" would double every count (the
  natural-key check in `store.overlap` catches overlapping rows of some tables; this catches
  every table, population, indicators and programme files included).
- A dataset name taken from the file name (no name given) that already belongs to a dataset
  from *another* file with other content is refused: `a/utdrag.csv` and then `b/utdrag.csv`
  would otherwise silently replace the first. The message says which file is there and how to
  replace it on purpose (give the name explicitly) or import under another name.
- A corrected version of the same file (same path, other content) replaces the dataset as
  before, with a note saying so. Records from an older workspace without hash and path cannot
  be compared and are replaced as before, also with a note.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from lagesbild.core.errors import InputError
from lagesbild.store.workspace import Workspace

_CHUNK = 1 << 20
_PART_OPTIONS = ("sheet", "layer", "measure")  # options that choose which part of a file is read


def fingerprint(source: str | Path | bytes, options: dict[str, object] | None = None
                ) -> tuple[str, str]:
    """(SHA-256 of the bytes, plus '#sheet=…' for the part read; resolved path or "")."""
    digest = hashlib.sha256()
    if isinstance(source, bytes):
        digest.update(source)
        path = ""
    else:
        resolved = Path(source).resolve()
        with resolved.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        path = str(resolved)
    part = "".join(f"#{k}={options[k]}" for k in _PART_OPTIONS
                   if options and options.get(k) not in (None, ""))
    return digest.hexdigest() + part, path


def default_name(source: str | Path | bytes, name: str | None) -> str:
    """The dataset name an import gets: the name given, else the file's name."""
    if name:
        return name
    return "uppladdad fil" if isinstance(source, bytes) else Path(source).name


def check(workspace: Workspace, *, name: str, sha256: str, source_path: str, file: str,
          explicit: bool) -> list[str]:
    """Refuse a duplicate or an unasked replacement (module docstring); notes for the import."""
    meta = workspace.datasets()
    if not len(meta):
        return []
    hashes = meta["sha256"].fillna("").astype(str)
    same = meta[(hashes == sha256) & (meta["dataset"].astype(str) != name)]
    if sha256 and len(same):
        old = same.iloc[0]
        raise InputError(
            f"Samma fil (samma innehåll) finns redan som datasetet '{old['dataset']}' "
            f"({_origin(old)}); raderna skulle räknas två gånger; inget sparades.", file=file,
            fix=f"Ska filen ersätta '{old['dataset']}'? Importera den under det namnet "
                f"(--name '{old['dataset']}'). Annars behövs ingen ny import.")
    named = meta[meta["dataset"].astype(str) == name]
    if not len(named):
        return []
    old = named.iloc[0]
    old_hash, old_path = str(old["sha256"] or ""), str(old["source_path"] or "")
    if not old_hash:
        return [f"Datasetet '{name}' ersattes (den tidigare importen, {_origin(old)}, har "
                "ingen kontrollsumma att jämföra med)."]
    if old_hash == sha256:
        return [f"Samma fil som i datasetet '{name}' ({_origin(old)}); det ersattes med "
                "identiskt innehåll."]
    if explicit or (old_path and old_path == source_path):
        return [f"Datasetet '{name}' ersattes med den nya versionen ({_origin(old)} "
                "ersattes)."]
    raise InputError(
        f"Det finns redan ett dataset '{name}' från en annan fil ({_origin(old)}); den här "
        f"filen{f' ({source_path})' if source_path else ''} har annat innehåll och skulle "
        "ersätta det; inget sparades.", file=file,
        fix=f"Ska den ersätta '{name}'? Ange namnet uttryckligen: --name '{name}' (i appen: "
            "kryssa i 'Ersätt datasetet med samma namn'). Annars: importera under ett annat "
            "namn med --name.")


def _origin(row: pd.Series) -> str:
    where = str(row.get("source_path") or "") or str(row.get("file") or "")
    when = str(row.get("imported_at") or "")[:10]
    rows = row.get("rows")
    parts = [f"från {where}" if where else "", f"importerat {when}" if when else "",
             f"{int(rows)} rader" if rows is not None and not pd.isna(rows) else ""]
    return ", ".join(p for p in parts if p)
