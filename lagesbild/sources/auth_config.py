"""The login setting as files: the auth config (`lagesbild serve --auth-config FILE`) and the
roles table it may name (e-mail -> roles, CSV or TOML)."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path
from typing import Any

from lagesbild.core.access import Role
from lagesbild.core.auth_settings import SECTION, AuthSettings, auth_settings, check_auth_section
from lagesbild.core.errors import InputError
from lagesbild.sources.text_decoding import decode

EMAIL_HEADERS = ("e-post", "epost", "email", "e-mail", "mail")
ROLE_HEADERS = ("roller", "roll", "roles", "role")


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as exc:
        raise InputError("Filen finns inte.", file=str(path),
                         fix="Ange sökvägen till en befintlig fil.") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"Filen är inte giltig TOML ({exc}).", file=path.name,
                         fix="Rätta raden som nämns; texter skrivs inom citattecken.") from exc


def read_roles_table(path: Path) -> dict[str, list[str]]:
    """E-mail -> role texts. CSV (`e-post;roller`, one or several roles separated by spaces,
    a row per user or per role; `,` or `;` as separator) or TOML (`"anna@umea.se" = [...]`)."""
    if path.suffix.lower() == ".toml":
        data = _toml(path)
        table = data.get("users", data)
        return {str(k): v if isinstance(v, list) else [str(v)] for k, v in table.items()}
    try:
        text, _ = decode(path.read_bytes(), path.name)
    except FileNotFoundError as exc:
        raise InputError("Rolltabellen finns inte.", file=str(path),
                         fix="Ange rätt sökväg i [access] table.") from exc
    first = (text.splitlines() or [""])[0]
    dialect = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=dialect)
    headers = {h.strip().lower(): h for h in reader.fieldnames or []}
    email = next((headers[h] for h in EMAIL_HEADERS if h in headers), None)
    roles = next((headers[h] for h in ROLE_HEADERS if h in headers), None)
    if email is None or roles is None:
        raise InputError(f"Kolumnerna heter {', '.join(headers.values()) or '(inga)'}.",
                         file=path.name, row=1, field="e-post" if email is None else "roller",
                         fix="Första raden ska vara: e-post;roller")
    out: dict[str, list[str]] = {}
    for number, row in enumerate(reader, start=2):
        address = (row.get(email) or "").strip()
        if not address:
            continue
        if "@" not in address:
            raise InputError(f"'{address}' är ingen e-postadress.", file=path.name, row=number,
                             field=email, fix="Skriv hela adressen, t.ex. anna@umea.se.")
        for text in (row.get(roles) or "").replace(",", " ").split():
            try:
                Role.parse(text)
            except InputError as exc:
                raise InputError(f"Okänd roll '{text}' för {address}.", file=path.name,
                                 row=number, field=roles, fix=exc.fix) from exc
        out.setdefault(address, []).append(row.get(roles) or "")
    return out


def load_access(section: dict[str, Any] | None, *, base: Path | None = None,
                file: str = "") -> AuthSettings:
    """The `[access]` section with its roles table read (a relative `table` is taken from
    `base`, the auth config's folder, or the working folder)."""
    section = dict(section or {})
    rows = None
    if section.get("table"):
        table = Path(str(section["table"]))
        if not table.is_absolute() and base is not None:
            table = base / table
        rows = read_roles_table(table)
        section["table"] = str(table)
    return auth_settings(section, rows, file=file)


def read_auth_config(path: Path) -> dict[str, Any]:
    """The checked auth config as Streamlit secrets: `[auth]` as given, `[access]` with an
    absolute roles-table path (so the app finds it from any folder)."""
    data = _toml(path)
    check_auth_section(data.get("auth"), file=path.name)
    settings = load_access(data.get(SECTION), base=path.parent.resolve(), file=path.name)
    if settings.table:
        data.setdefault(SECTION, {})["table"] = settings.table
    return data
