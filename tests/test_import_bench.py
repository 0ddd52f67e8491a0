"""The import benchmark on a small extract: what it times is a real import that places points."""

from __future__ import annotations

from benchmarks import import_bench


def test_a_small_run_imports_places_and_rejects_as_a_national_one_would() -> None:
    res = import_bench.run(rows=3000, repeats=1)
    assert res["stored"] + res["rejected"] == 3000
    assert 0 < res["rejected"] < 60  # about 0.5 % drawn at sea, each rejected
    assert res["in_deso"] == res["stored"]  # every point on land lies in a DeSO-like area
    assert "3,000" in import_bench.format_table(res)


def test_without_deso_no_point_is_placed_below_the_kommun() -> None:
    res = import_bench.run(rows=1000, repeats=1, deso=False)
    assert res["stored"] > 0 and res["in_deso"] == 0
