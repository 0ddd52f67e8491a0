"""Login and the session's access, decided on the server from Streamlit's own login.

Without an `[auth]` section in Streamlit's secrets (`.streamlit/secrets.toml`, or the file
`lagesbild serve --auth-config` hands Streamlit) the app serves one person with every right, as
it always did. With one, nothing but the login page is drawn until the identity provider has
signed the user in (`st.login`); the roles then come from the ID token's claim and the roles
table (`core.auth_settings`), on every run, from `st.user` and the secrets: never from session
state, widget state or the address, which the browser controls.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

import streamlit as st

from lagesbild.core.access import Access
from lagesbild.core.auth_settings import SECTION, AuthSettings
from lagesbild.core.errors import LagesbildError
from lagesbild.core.i18n import LANGS

_LOG = logging.getLogger(__name__)
_TEXTS = {
    "title": ("Lägesbild: logga in", "Lägesbild: sign in"),
    "intro": ("Lägesbilden visar uppgifter om våld och trygghet. Logga in med ditt konto i "
              "organisationen; vad du ser beror på din roll (polis, kommun, länsstyrelse, "
              "läsare).",
              "The situation picture shows data on violence and safety. Sign in with your "
              "organisation account; what you see depends on your role (police, municipality, "
              "county administrative board, reader)."),
    "button": ("Logga in", "Sign in"),
    "logout": ("Logga ut", "Sign out"),
    "no_role": ("Ditt konto ({who}) har ingen roll i lägesbilden. Be administratören att ge "
                "dig en roll (polis, kommun:<kod>, lansstyrelsen:<länskod> eller lasare).",
                "Your account ({who}) has no role in the situation picture. Ask the "
                "administrator for one (polis, kommun:<code>, lansstyrelsen:<county> or lasare)."),
    "signed_in": ("Inloggad", "Signed in"),
    "role": ("Roll", "Role"),
    "config_error": ("Inloggningen är felaktigt inställd: {error}",
                     "The login setting is wrong: {error}"),
}


def _t(key: str, lang: str, **fmt: object) -> str:
    return _TEXTS[key][1 if lang == "en" else 0].format(**fmt)


def _secrets() -> Mapping[str, Any]:
    try:
        return st.secrets.to_dict() if "auth" in st.secrets else {}
    except (FileNotFoundError, st.errors.StreamlitAPIException, OSError):
        return {}  # no secrets file: no login setting


def configured() -> bool:
    """True when a login is set up (an `[auth]` section in Streamlit's secrets)."""
    return bool(_secrets().get("auth"))


@st.cache_resource(max_entries=4, show_spinner=False)
def _settings(section_json: str) -> AuthSettings:
    from pathlib import Path

    from lagesbild.sources.auth_config import load_access

    # `lagesbild serve --auth-config` names the file's folder: a relative roles table is there
    base = Path(os.environ.get("LAGESBILD_AUTH_DIR") or Path.cwd())
    return load_access(json.loads(section_json), base=base, file="secrets.toml")


def settings() -> AuthSettings:
    section = dict(_secrets().get(SECTION) or {})
    return _settings(json.dumps(section, sort_keys=True, default=str))


def _user() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except (AttributeError, KeyError):
        return {}


def current() -> Access:
    """This run's access: everything without a login setting; else the signed-in user's roles
    (no rights at all before sign-in, or when the setting cannot be read)."""
    if not configured():
        return Access.full()
    user = _user()
    if not user.get("is_logged_in"):
        return Access()
    try:
        return settings().access_for(user)
    except LagesbildError:
        _LOG.exception("the login setting's [access] section cannot be read")
        return Access()


def actor() -> str:
    """Who acts, for the audit trail: the signed-in user's e-mail (or name, or subject);
    without a login the operating-system user running the app."""
    if not configured():
        try:
            return getpass.getuser()
        except (KeyError, OSError):
            return "okänd"
    user = _user()
    return str(user.get("email") or user.get("name") or user.get("sub") or "okänd")


def fingerprint() -> str:
    """A short stable id of the signed-in user (session-owned state remembers whose it is)."""
    return hashlib.sha256(actor().encode()).hexdigest()[:16] + current().level


def gate() -> Access:
    """Draw the login page and stop the run until a signed-in user with a role is here; then
    the user's name, role and a logout button at the top of the sidebar."""
    if not configured():
        return Access.full()
    lang = st.session_state.get("lang", "sv")
    lang = lang if lang in LANGS else "sv"
    try:
        auth = settings()
    except LagesbildError as exc:
        st.error(_t("config_error", lang, error=exc))
        st.stop()
    user = _user()
    if not user.get("is_logged_in"):
        st.radio("Språk / Language", LANGS, key="lang", horizontal=True,
                 format_func=lambda code: {"sv": "Svenska", "en": "English"}[code])
        st.title(_t("title", lang))
        st.write(_t("intro", lang))
        st.button(_t("button", lang), key="login", type="primary", on_click=st.login)
        st.stop()
    access = auth.access_for(user)
    who = str(user.get("name") or user.get("email") or user.get("sub") or "")
    if not access.may_use:
        st.warning(_t("no_role", lang, who=user.get("email") or who))
        st.button(_t("logout", lang), key="logout", on_click=st.logout)
        st.stop()
    box = st.sidebar.container(border=True)
    box.markdown(f"**{_t('signed_in', lang)}:** {_escape(who)}")
    box.caption(f"{_t('role', lang)}: {access.label(lang)}")
    box.button(_t("logout", lang), key="logout", on_click=st.logout)
    return access


def _escape(text: str) -> str:
    """A name from the identity provider as Markdown text, never as markup."""
    return "".join("\\" + c if c in "\\`*_{}[]()#+-.!<>|~" else c for c in text)
