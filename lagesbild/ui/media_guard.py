"""In front of Streamlit's media route: a private download only for the session that drew it.

`ui.private_download` gives a file only one role may have a random address and remembers the
cookies of the session that drew its button. `MediaGuard`, an ASGI middleware of the `st.App`
in `lagesbild/ui/server.py`, answers a request for such a file with 404 (as for a file that
does not exist) unless it carries the same cookies. Every other request passes untouched.
"""

from __future__ import annotations

from typing import Any

_RUNNING: list[bool] = []  # set when the middleware is built into this process's server

Scope = dict[str, Any]


def running() -> bool:
    """Whether this process's server checks private downloads (`lagesbild serve`)."""
    return bool(_RUNNING)


def media_file_id(path: str) -> str | None:
    """The file id a media address asks for ("/media/<id>.<ext>", under any base path)."""
    head, sep, name = path.rpartition("/media/")
    if not sep or not name or "/" in name:
        return None
    return name.split(".", 1)[0]


class MediaGuard:
    """ASGI middleware (see module docstring)."""

    def __init__(self, app: Any) -> None:  # noqa: ANN401 - the next ASGI app
        self.app = app
        _RUNNING.append(True)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:  # noqa: ANN401
        if scope.get("type") == "http":
            file_id = media_file_id(str(scope.get("path", "")))
            if file_id is not None:
                from starlette.requests import Request
                from starlette.responses import PlainTextResponse

                from lagesbild.ui import private_download

                if not private_download.allowed(file_id, Request(scope).cookies):
                    await PlainTextResponse("File not found", status_code=404)(
                        scope, receive, send)
                    return
        await self.app(scope, receive, send)
