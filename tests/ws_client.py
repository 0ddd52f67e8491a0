"""A Streamlit websocket client for the tests: speaks the browser's protocol (BackMsg and
ForwardMsg protobufs) with a signed-in browser context's cookies, so a test can send widget
states no page would send (a forged radio value, a button pressed that was never drawn) and see
everything the server answers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates

WIDGETS = ("radio", "selectbox", "button", "download_button", "checkbox")


@dataclass
class Answer:
    """What the server sent for one run: the widgets by label, every frame's bytes."""
    widgets: dict[str, tuple[str, str, list[str], str]] = field(default_factory=dict)
    frames: list[bytes] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)


def _collect(answer: Answer, element) -> None:  # noqa: ANN001 - an Element protobuf
    kind = element.WhichOneof("type")
    if kind in WIDGETS:
        w = getattr(element, kind)
        options = list(getattr(w, "options", []))
        answer.widgets[w.label] = (w.id, kind, options, getattr(w, "url", ""))
    elif kind == "markdown":
        answer.texts.append(element.markdown.body)


async def _run(url: str, cookies: dict[str, str], page: str,
               states: list[WidgetState], runs: int, query: str = "") -> Answer:
    import websockets

    port = url.rsplit(":", 1)[1].split("/")[0]
    host = url.split("//", 1)[1].split(":", 1)[0]
    header = "; ".join(f"{k}={v}" for k, v in cookies.items())
    xsrf = cookies.get("_streamlit_xsrf", "")
    answer = Answer()
    async with websockets.connect(
            f"ws://{host}:{port}/_stcore/stream", subprotocols=["streamlit", xsrf],
            origin=f"http://{host}:{port}", additional_headers={"Cookie": header},
            max_size=None, open_timeout=60) as ws:
        for i in range(runs):  # the later runs carry the states (a click after the page drew)
            state = ClientState(page_name=page, query_string=query,
                                widget_states=WidgetStates(widgets=states if i else []))
            await ws.send(BackMsg(rerun_script=state).SerializeToString())
            while True:
                raw = await asyncio.wait_for(ws.recv(), timeout=180)
                answer.frames.append(raw if isinstance(raw, bytes) else raw.encode())
                msg = ForwardMsg()
                msg.ParseFromString(answer.frames[-1])
                kind = msg.WhichOneof("type")
                if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                    _collect(answer, msg.delta.new_element)
                elif kind == "script_finished" and msg.script_finished != 2:
                    break
    return answer


def run_page(url: str, cookies: dict[str, str], page: str,
             states: list[WidgetState] | None = None, runs: int = 1, query: str = "") -> Answer:
    """Open `page` (its address, e.g. "rapport") as the session the cookies belong to; with
    `states`, run it again with those widget states (`runs` runs in all)."""
    import concurrent.futures

    job = _run(url, cookies, page, states or [], max(runs, 2 if states else 1), query)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # Playwright's loop owns this thread
        return pool.submit(asyncio.run, job).result()


def trigger(widget_id: str) -> WidgetState:
    return WidgetState(id=widget_id, trigger_value=True)


def choose(widget_id: str, value: str) -> WidgetState:
    return WidgetState(id=widget_id, string_value=value)
