"""How many flags chance alone would give, and the sentence that says so.

Every flag on a page (a hot or cold spot, a change beyond chance, a kommun above or below the
county's middle half) is one test at a level. With many areas tested at once some flags are
expected even if nothing differed: n_tested × (1 − level). That figure is shown next to the
flags, so that "3 of 15 flagged" can be read against "0.75 expected by chance". The tests here
are exact or conservative, so the expected count is an upper bound for the areas that truly do
not differ. With the false-discovery-rate adjustment (Benjamini–Hochberg) the statement is
about the flagged instead: at most (1 − level) of them are expected to be chance findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

NOUNS = {  # what was tested: (Swedish, English)
    "areas": ("områden", "areas"),
    "kommuner": ("kommuner", "municipalities"),
    "tests": ("prövningar", "tests"),
}


def expected_by_chance(n_tested: int, level: float) -> float:
    """Flags expected with no true difference anywhere: n_tested × (1 − level)."""
    return n_tested * round(1 - level, 10)


@dataclass(frozen=True)
class FlagCount:
    """Flags at one level (a confidence, 0.95) among `n_tested` tests."""

    level: float
    n_tested: int
    flagged: int
    fdr: bool = False

    @property
    def expected(self) -> float:
        """Without FDR: flags expected by chance alone (n_tested × (1 − level)). With FDR: the
        most false flags expected among those flagged (flagged × (1 − level))."""
        return expected_by_chance(self.flagged if self.fdr else self.n_tested, self.level)

    def as_dict(self) -> dict[str, object]:
        return {"level": self.level, "n_tested": self.n_tested, "flagged": self.flagged,
                "expected_by_chance": round(self.expected, 6), "fdr": self.fdr}


def number(value: float, lang: str = "sv") -> str:
    """1,5 / 0,75 (en: 1.5 / 0.75): one decimal from 1 up, two below."""
    text = f"{value:.1f}" if value >= 1 or value == 0 else f"{value:.2f}"
    return text if lang == "en" else text.replace(".", ",")


def pct(level: float, lang: str = "sv") -> str:
    value = f"{level * 100:g}"
    return f"{value}%" if lang == "en" else f"{value.replace('.', ',')}\u00a0%"


def flags_text(counts: Sequence[FlagCount], lang: str = "sv", noun: str = "areas") -> str:
    """One sentence: flagged per level against what chance alone gives.

    "Flaggade mot vad slumpen ensam ger: 90 %-nivån 3 av 15 områden (väntat 1,5), …"
    """
    if not counts:
        return ""
    en = lang == "en"
    what = NOUNS[noun][1 if en else 0]
    fdr = counts[0].fdr
    parts = []
    for c in sorted(counts, key=lambda c: c.level):
        level = f"{pct(c.level, lang)} level" if en else f"{pct(c.level, lang)}-nivån"
        if fdr:
            parts.append(f"{level} {c.flagged} of {c.n_tested} {what} (at most "
                         f"{number(c.expected, lang)} of them by chance)" if en else
                         f"{level} {c.flagged} av {c.n_tested} {what} (högst "
                         f"{number(c.expected, lang)} av dem av slump)")
        else:
            parts.append(f"{level} {c.flagged} of {c.n_tested} {what} (expected by chance "
                         f"alone: {number(c.expected, lang)})" if en else
                         f"{level} {c.flagged} av {c.n_tested} {what} (väntat av slumpen "
                         f"ensam: {number(c.expected, lang)})")
    head = ("Flagged, with the false-discovery-rate adjustment: " if fdr else
            "Flagged against what chance alone gives: ") if en else \
        ("Flaggade, justerat för falska upptäckter (FDR): " if fdr else
         "Flaggade mot vad slumpen ensam ger: ")
    return head + "; ".join(parts) + "."
