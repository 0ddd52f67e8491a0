"""Named groups of kommuner kept in the workspace, for a joint lägesbild of several kommuner
(Södra Lappland: Norsjö, Sorsele, Vilhelmina and Åsele; a lokalpolisområde).

All groups are one dataset ("grupper") saved in one transaction like every import, so a
snapshot freezes them with the data and an export writes them as a CSV file (`write_csv`)
that `import_csv` reads back: `namn;kommuner` with the kommun codes comma-separated.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from lagesbild.core import schema
from lagesbild.core.dataset import Dataset
from lagesbild.core.errors import InputError
from lagesbild.sources.groups_csv import group_id
from lagesbild.store.workspace import Workspace

DATASET = "grupper"
HEADER = ("namn", "kommuner")


def read_groups(workspace: Workspace) -> pd.DataFrame:
    return workspace.read("groups")


def kommun_list(text: str) -> list[str]:
    return [k.strip() for k in str(text).split(",") if k.strip()]


def check_kommuner(codes: list[str], known: set[str], *, file: str | None = None,
                   row: int | None = None) -> list[str]:
    """The codes as given (four digits, each a kommun of the workspace, no repeats, at least
    two), else InputError."""
    if len(codes) < 2:
        raise InputError("En grupp behöver minst två kommuner.", file=file, row=row,
                         field="kommuner", fix="Ange kommunkoderna med komma emellan, "
                         "t.ex. 2417,2422,2462,2463.")
    bad = [c for c in codes if not re.fullmatch(r"\d{4}", c)]
    if bad:
        raise InputError(f"'{bad[0]}' är ingen kommunkod (fyra siffror).", file=file, row=row,
                         field="kommuner", fix="Skriv koderna med fyra siffror, t.ex. 0114.")
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise InputError(f"Kommunen {unknown[0]} finns inte i arbetsytan.", file=file, row=row,
                         field="kommuner", fix="Importera kommunens gränser eller rätta koden.")
    if len(set(codes)) < len(codes):
        raise InputError("Samma kommun står två gånger i gruppen.", file=file, row=row,
                         field="kommuner", fix="Ta bort dubbletten.")
    return codes


def _known(workspace: Workspace) -> set[str]:
    areas = workspace.read("areas")
    return set(areas.loc[areas["level"] == schema.AreaLevel.KOMMUN.value, "area_id"].astype(str))


def save_group(workspace: Workspace, name: str, kommuner: list[str]) -> str:
    """Create or replace the group `name`; returns its id."""
    name = str(name).strip()
    if not name:
        raise InputError("Gruppen saknar namn.", field="name", fix="Ange --name.")
    codes = check_kommuner([str(k).strip() for k in kommuner], _known(workspace))
    gid = group_id(name)
    table = read_groups(workspace)
    table = table[table["group_id"] != gid]
    row = pd.DataFrame({"group_id": [gid], "name": [name], "kommun_ids": [",".join(codes)],
                        "source": [DATASET]})
    _write(workspace, pd.concat([table, row], ignore_index=True) if len(table) else row)
    return gid


def delete_group(workspace: Workspace, name: str) -> None:
    table = read_groups(workspace)
    keep = table[(table["group_id"] != group_id(name)) & (table["name"] != name)]
    if len(keep) == len(table):
        raise InputError(f"Gruppen '{name}' finns inte.", field="name",
                         fix="Se 'lagesbild group list'.")
    _write(workspace, keep)


def import_csv(workspace: Workspace, path: str | Path) -> list[str]:
    """Groups from a CSV file (`sources.groups_csv`: `namn;kommuner`); every row is checked
    (a rejected row or an unknown kommun stops the import) before any is stored; a group of
    the same name is replaced. Returns the ids."""
    from lagesbild.sources.groups_csv import read_groups as read_file

    result = read_file(Path(path))
    if result.rejected:
        first = result.rejected[0]
        raise InputError(f"{first.reason} (värde '{first.value}').", file=first.file,
                         row=first.row, field=first.field,
                         fix="Skriv namn;kommuner med koderna åtskilda av komma.")
    known = _known(workspace)
    for line, codes in zip(result.accepted.get("_line", range(2, 2 + len(result.accepted))),
                           result.accepted["kommun_ids"]):
        check_kommuner(kommun_list(codes), known, file=Path(path).name, row=int(line))
    new = result.accepted[["group_id", "name", "kommun_ids"]].assign(source=DATASET)
    table = read_groups(workspace)
    table = table[~table["group_id"].isin(new["group_id"])]
    _write(workspace, pd.concat([table, new], ignore_index=True) if len(table) else new)
    return new["group_id"].tolist()


def write_csv(frame: pd.DataFrame) -> bytes:
    """The groups as `import_csv` reads them (UTF-8 with BOM, semicolons: Swedish Excel)."""
    lines = [";".join(HEADER)] + [f"{n};{k}" for n, k in zip(frame["name"], frame["kommun_ids"])]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def _write(workspace: Workspace, frame: pd.DataFrame) -> None:
    with workspace.transaction() as writer:
        writer.replace_dataset(Dataset(DATASET, "groups", "groups", DATASET,
                                       description="Grupper av kommuner"),
                               schema.conform(frame, "groups"))
