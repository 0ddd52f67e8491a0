"""Who may see and do what: roles and the access decisions every page and download asks.

Pure: the roles come in as text (from the identity provider's claim or the roles table, read
elsewhere) and every decision is a function of them.

Roles (`Role.parse`):
- ``polis``: exact figures, point data, police-only layers (layers/*.toml `audience = "police"`);
  an owner of the workspace (imports, the audit log).
- ``kommun:<kod>`` (e.g. ``kommun:2480``): edits its own kommun's notes, findings and action
  plan; sees the protected release; read-only elsewhere.
- ``lansstyrelsen:<länskod>`` (e.g. ``lansstyrelsen:24``): all kommuner of its county, the group
  and county views, protected; edits the county's own notes and those of groups within it.
- ``lasare``: the protected release, read-only.
An administrator (the auth config's ``admins``) is an owner too: imports, layer files, the
audit log, every area's notes; an administrator sees exact figures only with the ``polis`` role.
Without a login setting the app serves one person with every right (`Access.everything`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from lagesbild.core.errors import InputError

KINDS = ("polis", "kommun", "lansstyrelsen", "lasare")
_CODED = {"kommun": re.compile(r"^\d{4}$"), "lansstyrelsen": re.compile(r"^\d{2}$")}
_LABELS = {"polis": ("Polis", "Police"), "kommun": ("Kommun", "Municipality"),
           "lansstyrelsen": ("Länsstyrelsen", "County administrative board"),
           "lasare": ("Läsare", "Reader")}
POLICE_AUDIENCE = "police"
GROUP_PREFIX = "grupp:"  # stored groups as areas (ui.group_areas)


@dataclass(frozen=True, order=True)
class Role:
    kind: str
    code: str = ""

    @classmethod
    def parse(cls, text: str) -> Role:
        """'polis', 'lasare', 'kommun:2480' or 'lansstyrelsen:24' (case and spaces ignored)."""
        raw = str(text).strip()
        kind, _, code = raw.lower().replace(" ", "").partition(":")
        kind = {"läsare": "lasare", "länsstyrelsen": "lansstyrelsen"}.get(kind, kind)
        if kind not in KINDS:
            raise InputError(f"Okänd roll '{raw}'.", field="roll",
                             fix="Använd polis, kommun:<kommunkod>, lansstyrelsen:<länskod> "
                                 "eller lasare.")
        if kind in _CODED:
            if not _CODED[kind].match(code):
                digits = 4 if kind == "kommun" else 2
                raise InputError(f"Rollen '{raw}' saknar en {digits}-siffrig kod.", field="roll",
                                 fix=f"Skriv t.ex. {'kommun:2480' if digits == 4 else 'lansstyrelsen:24'}.")
        elif code:
            raise InputError(f"Rollen '{kind}' tar ingen kod ('{raw}').", field="roll",
                             fix=f"Skriv bara {kind}.")
        return cls(kind, code)

    def __str__(self) -> str:
        return f"{self.kind}:{self.code}" if self.code else self.kind

    def label(self, lang: str = "sv") -> str:
        name = _LABELS[self.kind][1 if lang == "en" else 0]
        return f"{name} {self.code}" if self.code else name


def parse_roles(values: Iterable[str]) -> tuple[tuple[Role, ...], tuple[str, ...]]:
    """(the roles understood, sorted and unique; the texts that are no role, as given)."""
    roles: set[Role] = set()
    unknown: list[str] = []
    for value in values:
        try:
            roles.add(Role.parse(value))
        except InputError:
            unknown.append(str(value))
    return tuple(sorted(roles)), tuple(unknown)


@dataclass(frozen=True)
class Access:
    """What one session may see and do. `everything`: no login configured (one person)."""

    roles: tuple[Role, ...] = ()
    admin: bool = False
    everything: bool = False

    @classmethod
    def full(cls) -> Access:
        return cls(everything=True)

    def _has(self, kind: str) -> bool:
        return any(r.kind == kind for r in self.roles)

    def _codes(self, kind: str) -> set[str]:
        return {r.code for r in self.roles if r.kind == kind}

    @property
    def may_use(self) -> bool:
        """False for a signed-in user without any role: nothing is shown."""
        return self.everything or self.admin or bool(self.roles)

    @property
    def may_see_exact(self) -> bool:
        """Exact (unsuppressed) counts: the police audience of the report."""
        return self.everything or self._has("polis")

    @property
    def may_see_points(self) -> bool:
        """Incident points with their true coordinates (the police report's map)."""
        return self.everything or self._has("polis")

    @property
    def owner(self) -> bool:
        """The workspace's owners: imports, layer files, the audit log."""
        return self.everything or self.admin or self._has("polis")

    @property
    def may_import(self) -> bool:
        return self.owner

    @property
    def may_see_audit(self) -> bool:
        return self.owner

    @property
    def level(self) -> str:
        """The access level as a cache key part: content that differs by level is cached per
        level, never shared between levels."""
        return "police" if self.may_see_exact else "protected"

    def may_edit(self, area_id: str, members: Collection[str] = ()) -> bool:
        """May write notes, findings and the action plan of `area_id` (a kommun "2480", a
        län "24", or a stored group "grupp:<id>" whose kommuner are `members`)."""
        if self.everything or self.admin:
            return True
        area = str(area_id)
        if area in self._codes("kommun"):
            return True
        counties = self._codes("lansstyrelsen")
        if area in counties:
            return True
        if area.startswith(GROUP_PREFIX):
            return bool(members) and all(str(m)[:2] in counties for m in members)
        return False

    def may_see_layer(self, audience: str) -> bool:
        """A layer whose file says `audience = "police"` only for exact-figure roles."""
        return audience != POLICE_AUDIENCE or self.may_see_exact

    def allowed_layers(self, specs: dict) -> dict:
        """`specs` (id -> LayerSpec) without the layers this session may not see."""
        return {k: s for k, s in specs.items() if self.may_see_layer(getattr(s, "audience", ""))}

    def may_see_area(self, area_id: str) -> bool:
        """Every area's protected release is public: every role sees every area. (Exact
        figures and points are decided by `may_see_exact`/`may_see_points`, not by area.)"""
        return self.may_use

    def home_areas(self, areas: Collection[str]) -> list[str]:
        """`areas` with this session's own first (its kommun; its county and the county's
        kommuner), the others after them in their order: the pages open on its own area, and
        every other stays there to read. Unchanged for the roles without an area."""
        if self.everything or self.admin or not (self._has("kommun") or self._has("lansstyrelsen")):
            return list(areas)
        kommuner, counties = self._codes("kommun"), self._codes("lansstyrelsen")
        mine = [a for a in areas if a in kommuner or a in counties
                or (len(a) == 4 and a[:2] in counties)]
        return mine + [a for a in areas if a not in mine]

    def label(self, lang: str = "sv") -> str:
        if self.everything:
            return "Alla rättigheter (ingen inloggning)" if lang != "en" else \
                "All rights (no login)"
        parts = [r.label(lang) for r in self.roles]
        if self.admin:
            parts.append("administratör" if lang != "en" else "administrator")
        return ", ".join(parts) or ("ingen roll" if lang != "en" else "no role")

    @property
    def audit_role(self) -> str:
        """The role as the audit log writes it."""
        if self.everything:
            return "lokal"
        return ",".join([str(r) for r in self.roles] + (["admin"] if self.admin else []))
