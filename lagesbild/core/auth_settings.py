"""The login setting's `[access]` section and how a signed-in user's roles are found.

Pure: the section comes in as a mapping (Streamlit's secrets, or the file `lagesbild serve
--auth-config` reads through `sources.auth_config`), the roles table as rows already read.

    [access]
    claim = "roles"              # the ID token claim holding the roles (a list, or text
                                 # separated by spaces or commas); "" = no claim is read
    table = "roller.csv"         # optional: e-mail -> roles (CSV e-post;roller, or TOML)
    admins = ["it@kommun.se"]    # administrators (owners: imports, audit log, all notes)
    default_role = ""            # given to a signed-in user without a role (e.g. "lasare")
    [access.users]               # optional, inline: e-mail -> roles
    "anna@umea.se" = ["kommun:2480"]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lagesbild.core.access import Access, Role, parse_roles
from lagesbild.core.errors import InputError

SECTION = "access"
KEYS = ("claim", "table", "admins", "default_role", "users")
# what Streamlit's own [auth] section must hold for st.login() (one provider, no name)
AUTH_KEYS = ("redirect_uri", "cookie_secret", "client_id", "client_secret",
             "server_metadata_url")


def _texts(value: Any) -> list[str]:
    """A claim's or a table cell's roles: a list, or one text separated by spaces/commas."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p for p in value.replace(",", " ").replace(";", " ").split() if p]
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return [p for v in value for p in _texts(v)]
    return [str(value)]


@dataclass(frozen=True)
class AuthSettings:
    claim: str = "roles"
    users: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    admins: frozenset[str] = frozenset()
    default_role: tuple[str, ...] = ()
    table: str = ""

    def access_for(self, user: Mapping[str, Any]) -> Access:
        """The access of a signed-in user (`st.user` as a mapping): the roles in the claim
        and the table's roles for the user's e-mail, together; admin by e-mail."""
        email = str(user.get("email") or "").strip().lower()
        texts = _texts(user.get(self.claim)) if self.claim else []
        texts += list(self.users.get(email, ()))
        roles, _ = parse_roles(texts)
        admin = bool(email) and email in self.admins
        if not roles and not admin and self.default_role:
            roles, _ = parse_roles(self.default_role)
        return Access(roles=roles, admin=admin)


def auth_settings(section: Mapping[str, Any] | None, table_rows: Mapping[str, Iterable[str]]
                  | None = None, *, file: str = "") -> AuthSettings:
    """Check the `[access]` section (InputError naming the key and the fix) and merge the
    roles table's rows (e-mail -> roles) with the section's inline users."""
    section = dict(section or {})
    unknown = sorted(set(section) - set(KEYS))
    if unknown:
        raise InputError(f"Okänd nyckel '{unknown[0]}' i [access].", file=file,
                         field=f"access.{unknown[0]}", fix=f"Tillåtna nycklar: {', '.join(KEYS)}.")
    claim = section.get("claim", "roles")
    if not isinstance(claim, str):
        raise InputError(f"'claim' ska vara en text, inte {claim!r}.", file=file,
                         field="access.claim", fix='Skriv t.ex. claim = "roles" eller "groups".')
    admins = section.get("admins", [])
    if isinstance(admins, str) or not all(isinstance(a, str) for a in admins):
        raise InputError("'admins' ska vara en lista med e-postadresser.", file=file,
                         field="access.admins", fix='Skriv t.ex. admins = ["it@kommun.se"].')
    users: dict[str, tuple[str, ...]] = {}
    inline = section.get("users", {})
    if not isinstance(inline, Mapping):
        raise InputError("'users' ska vara en tabell e-post = [roller].", file=file,
                         field="access.users",
                         fix='Skriv [access.users] och under den "anna@umea.se" = ["kommun:2480"].')
    for source in (table_rows or {}, inline):
        for email, roles in source.items():
            key = str(email).strip().lower()
            texts = _texts(roles)
            for text in texts:  # a role the table misspells is said, never silently dropped
                try:
                    Role.parse(text)
                except InputError as exc:
                    raise InputError(f"{email}: {exc}", file=file, field="access.users",
                                     fix="Rätta rollen i rolltabellen.") from exc
            users[key] = tuple(dict.fromkeys([*users.get(key, ()), *texts]))
    default = _texts(section.get("default_role", ""))
    for text in default:
        Role.parse(text)
    return AuthSettings(claim=claim, users=users,
                        admins=frozenset(a.strip().lower() for a in admins),
                        default_role=tuple(default), table=str(section.get("table", "")))


def check_auth_section(auth: Mapping[str, Any] | None, *, file: str = "") -> None:
    """InputError when Streamlit's `[auth]` section lacks what st.login() needs."""
    if not auth:
        raise InputError("Avsnittet [auth] saknas.", file=file, field="auth",
                         fix="Lägg till [auth] med " + ", ".join(AUTH_KEYS) + " (se README).")
    for key in AUTH_KEYS:
        if not str(auth.get(key, "")).strip():
            raise InputError("Nyckeln saknas.", file=file, field=f"auth.{key}",
                             fix="Fyll i den från identitetsleverantörens klientregistrering "
                                 "(se README, Inloggning och roller).")
    if not str(auth["redirect_uri"]).rstrip("/").endswith("/oauth2callback"):
        raise InputError(f"redirect_uri '{auth['redirect_uri']}' slutar inte på /oauth2callback.",
                         file=file, field="auth.redirect_uri",
                         fix="Skriv t.ex. https://lagesbild.example.se/oauth2callback.")
    if len(str(auth["cookie_secret"])) < 32:
        raise InputError("cookie_secret är för kort (minst 32 tecken).", file=file,
                         field="auth.cookie_secret",
                         fix='Skapa en med: python -c "import secrets; print(secrets.token_hex(32))".')
