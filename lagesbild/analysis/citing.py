"""Sources named as a report names them: by publisher, table and period ("Brå, anmälda brott
(2019–2024)"), not by the file the workspace imported ("bra_anmalda_brott_2019-2024.csv
(2019–2024, importerad 2026-11-23)").

Every figure's `source` is its datasets' file labels (`Frames.source_label`). `Citation.cite`
replaces each file label in a source text by its publisher label (`core.publishers`); `files`
returns the file labels a text names, for the detail the app shows beside a caption (the file
and its import date). The report (`report.build_context.Context`) and every app page use this
one mapping, so a page and the report name a source alike.
"""

from __future__ import annotations

import re
from functools import cached_property

import pandas as pd

from lagesbild.core.frames import Frames
from lagesbild.core.publishers import SURVEY_KINDS, publisher_labels, survey_names
from lagesbild.core.settings import Settings

# a rate's denominator: "folkmängd: SCB, folkmängd (…)" would say it twice
_DENOMINATOR = re.compile(r"folkmängd: (SCB, folkmängd|Statistics Sweden, population)")


def _text(value: object) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


class Citation:
    """The publisher labels of one workspace's datasets in one language."""

    def __init__(self, frames: Frames, settings: Settings, lang: str = "sv") -> None:
        self.frames, self.settings, self.lang = frames, settings, lang

    @cached_property
    def publishers(self) -> dict[str, str]:
        """Dataset name -> "publisher, table (period)" (`core.publishers`), surveys named by
        their indicators' `survey_sv`/`survey_en` in layers/indicators.toml."""
        from lagesbild.analysis.darkfigure import load_indicator_meta

        data = self.frames.datasets
        if not len(data):
            return {}
        meta, inds = load_indicator_meta(self.settings), self.frames.indicators
        surveys = {}
        for name in data.loc[data["kind"].isin(SURVEY_KINDS), "dataset"].astype(str):
            ids = pd.unique(inds.loc[inds["source"].astype(str) == name, "indicator_id"])
            surveys[name] = survey_names([str(i) for i in ids], meta, self.lang)
        return publisher_labels(data, lang=self.lang, surveys=surveys)

    @cached_property
    def _pairs(self) -> list[tuple[str, str]]:
        """(file label, publisher label), longest file label first (one name may start
        another's)."""
        pairs = [(self.frames.source_label([name]), label)
                 for name, label in self.publishers.items()]
        return sorted(((old, new) for old, new in pairs if old), key=lambda p: -len(p[0]))

    def cite(self, text: object) -> str:
        """`text` with every dataset's file label replaced by its publisher and table."""
        out = _text(text)
        for old, new in self._pairs:
            if old in out:
                out = out.replace(old, new)
        return _DENOMINATOR.sub(r"\1", out)

    def files(self, *texts: object) -> list[str]:
        """The file labels ("file (period, importerad date)") the texts name, in order, once
        each: where a cited source came from."""
        found: list[str] = []
        for text in texts:
            rest = _text(text)
            for old, _ in self._pairs:
                if old in rest:
                    found.append(old)
                    rest = rest.replace(old, "")
        return list(dict.fromkeys(found))

    def labels(self, *texts: object) -> list[str]:
        """The publisher labels of the datasets the texts name, in order, once each."""
        by_file = dict(self._pairs)
        return list(dict.fromkeys(by_file[f] for f in self.files(*texts)))

    def cited(self, view: object) -> object:
        """A MapView or PyramidView (a frozen dataclass) with its sources named by publisher:
        its tables' `source` column and its `source_label`."""
        import dataclasses

        changes = {}
        for name in ("figures", "categories", "table", "indicators"):
            frame = getattr(view, name, None)
            if isinstance(frame, pd.DataFrame) and "source" in frame.columns:
                changes[name] = frame.assign(source=[self.cite(x) for x in frame["source"]])
        if isinstance(getattr(view, "source_label", None), str):
            changes["source_label"] = self.cite(view.source_label)  # type: ignore[attr-defined]
        return dataclasses.replace(view, **changes)  # type: ignore[call-overload]


_WITH_PERIOD = re.compile(r"^(?P<label>.*\S) \((?P<period>[^()]*)\)$")


def merged_sources(parts: list[str]) -> list[str]:
    """Source parts ("Publisher, table (period)") with one entry per publisher and table: two
    files of one publisher (MVP's activity and MVP Fritid's) become one part, a period lying
    within another's dropped, the rest listed in time order ("Brå, anmälda brott (2019–2024,
    2025)"); never a span the files do not cover. A part whose period is not years or terms
    stays as it is."""
    from lagesbild.core.indicator_kinds import period_order

    token = re.compile(r"(VT|HT)?\d{4}")
    spans: dict[str, list[tuple[str, str]]] = {}
    out: list[str | None] = []
    slot: dict[str, int] = {}
    for part in parts:
        m = _WITH_PERIOD.match(part)
        ends = [p.strip() for p in m.group("period").split("–")] if m else []
        if not m or len(ends) > 2 or not all(token.fullmatch(p) for p in ends):
            out.append(part)
            continue
        key = m.group("label")
        if key not in slot:
            slot[key] = len(out)
            out.append(None)
            spans[key] = []
        spans[key].append((ends[0], ends[-1]))
    for key, at in slot.items():
        both = sorted(set(spans[key]), key=lambda se: (period_order(se[0]), period_order(se[1])))
        kept = [(a, b) for a, b in both if not any(
            (c, d) != (a, b) and period_order(c) <= period_order(a)
            and period_order(b) <= period_order(d) for c, d in both)]
        out[at] = f"{key} ({', '.join(a if a == b else f'{a}–{b}' for a, b in kept)})"
    return [p for p in out if p is not None]
