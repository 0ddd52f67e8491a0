"""The load benchmark's client (benchmarks/load_bench.py) without a server: it reads the
widgets the server draws from real protobuf messages and changes only the watched filters."""

from __future__ import annotations

import random

from benchmarks import load_bench
from streamlit.proto.Element_pb2 import Element


def _select(label: str, wid: str, options: list[str], default: int) -> Element:
    element = Element()
    element.selectbox.id = wid
    element.selectbox.label = label
    element.selectbox.options.extend(options)
    element.selectbox.default = default
    return element


def test_a_session_changes_a_watched_filter_to_another_value_and_sends_every_choice() -> None:
    session = load_bench.Session("http://127.0.0.1:1", "", random.Random(3))
    session._element(_select("Period", "p", ["2019", "2020", "2024"], 2))
    session._element(_select("Kartlager", "layer", ["a", "b"], 0))
    seen = set()
    for _ in range(20):
        assert session._change()
        assert set(session.chosen) == {"p"}, "only the watched filters change"
        seen.add(session.chosen["p"])
    assert seen == {"2019", "2020", "2024"}
    states = session._states()
    assert [(w.id, w.string_value) for w in states.widgets] == [("p", session.chosen["p"])]


def test_an_exception_on_the_page_is_an_error_and_no_filter_is_no_change() -> None:
    session = load_bench.Session("http://127.0.0.1:1", "", random.Random(3))
    assert not session._change()
    element = Element()
    element.exception.message = "boom"
    try:
        session._element(element)
    except RuntimeError as exc:
        assert "boom" in str(exc)
    else:
        raise AssertionError("an exception element must count as an error")


def test_the_table_says_miss_when_p95_or_errors_fail_the_target() -> None:
    base = {"sessions": 2, "changes": 1, "ramp": 0.0, "think": (0.0, 0.0), "workspace": "w"}
    good = {"first": [1.0], "change": [0.2, 0.3], "errors": [], "rss_mb": [100.0]}
    slow = {**good, "change": [0.2, 1.5]}
    assert "PASS" in load_bench.format_table({**base, "fast": good})
    assert "MISS" in load_bench.format_table({**base, "fast": slow})
    assert "MISS" in load_bench.format_table({**base, "fast": {**good, "errors": ["x"]}})


def test_the_table_gives_the_server_s_cpu_per_run_and_the_machine_s_load() -> None:
    """Wall times on a shared machine move with what else runs; the server's CPU time per run
    does not, so a slow p95 can be told apart from a busy machine."""
    base = {"sessions": 2, "changes": 4, "ramp": 0.0, "think": (0.0, 0.0), "workspace": "w"}
    run = {"first": [0.3, 0.3], "change": [0.2] * 8, "errors": [], "rss_mb": [100.0],
           "cpu_s": 0.8, "load_avg": 5.25}
    row = next(line for line in load_bench.format_table({**base, "fast": run}).splitlines()
               if line.startswith("fast"))
    assert "80ms" in row and "5.2" in row  # 0.8 s over 2 first pages and 8 changes
    older = {k: v for k, v in run.items() if k not in ("cpu_s", "load_avg")}  # an older JSON
    assert "PASS" in load_bench.format_table({**base, "fast": older})
