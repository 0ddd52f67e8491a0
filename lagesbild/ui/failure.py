"""What a page shows when it fails on something the user can act on: the app's own message in
the interface language and what to do, never a traceback or Streamlit's generic error box.

A damaged workspace (a truncated or overwritten .gpkg) fails where the workspace is first read:
in the sidebar or in any page. `shown()` wraps the router's run; it catches the app's own errors
(`LagesbildError`, with its Swedish message) and what reading a damaged GeoPackage raises, shows
them with `st.error`, and writes the traceback to the server's log. Any other exception is a bug
and goes on to Streamlit (whose details the config hides).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import streamlit as st

from lagesbild.core.errors import LagesbildError, WorkspaceError
from lagesbild.core.i18n import t
from lagesbild.store.gpkg import READ_ERRORS

_LOG = logging.getLogger(__name__)
SHOWN = (LagesbildError, *READ_ERRORS)


def message(exc: BaseException, lang: str, workspace: Path) -> tuple[str, str, str]:
    """(what happened, what to do, the technical cause) for `exc`, in `lang`."""
    detail = str(exc)
    damaged = isinstance(exc, READ_ERRORS) or (isinstance(exc, WorkspaceError)
                                               and isinstance(exc.__cause__, READ_ERRORS))
    if damaged:
        return (t("workspace_unreadable", lang, name=workspace.name),
                t("workspace_unreadable_fix", lang, path=workspace), detail)
    # the app's own message names the file, row and field and says what to do (in Swedish)
    return t("app_error", lang), detail, ""


def show(exc: BaseException, lang: str, workspace: Path) -> None:
    what, fix, detail = message(exc, lang, workspace)
    st.error(f"{what}\n\n{fix}")
    if detail:
        with st.expander(t("error_detail", lang)):
            st.text(detail)


@contextlib.contextmanager
def shown(lang: Callable[[], str], workspace: Callable[[], Path]) -> Iterator[None]:
    """Run the block; show an error the user can act on instead of raising it."""
    try:
        yield
    except SHOWN as exc:
        _LOG.warning("page failed: %s", exc, exc_info=True)
        show(exc, lang(), workspace())
