"""Who published a dataset and which table it is, as a report names its sources: "Brå, anmälda
brott (2019–2024)" rather than "bra_anmalda_brott_2019-2024.csv (…, importerad …)".

The publisher follows from the import kind; a survey's name comes from `survey_sv`/`survey_en`
of its indicators in layers/indicators.toml (the survey a workspace's items belong to, edited
there). The file name and import date stay in the workspace's dataset list and in the report's
sources table (`Frames.source_label` keeps naming files, as the app's captions do).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

POPULATION = ("SCB, folkmängd", "Statistics Sweden, population")
PUBLISHERS: dict[str, tuple[str, str]] = {  # import kind -> (Swedish, English)
    "incidents": ("Polisen, utdrag ur anmälningsregistret",
                  "Swedish Police, extract from the register of reported offences"),
    "crime_counts": ("Brå, anmälda brott", "Brå, reported offences"),
    "population": POPULATION, "scb_pxweb": POPULATION, "population_simple": POPULATION,
    "indicators": ("Enkät", "Survey"),
    "survey_responses": ("Enkät (svar per svarande)", "Survey (one row per respondent)"),
    "kolada": ("Kolada (RKA), nyckeltal", "Kolada (RKA), key figures"),
    "polisen_events": ("Polisen, händelsenotiser", "Swedish Police, event notices"),
    "sites": ("Kommunens förteckning över skolor och fritidsgårdar",
              "The municipality's list of schools and youth centres"),
    "programme_activity": ("Kommunens uppföljning av förebyggande program",
                           "The municipality's follow-up of prevention programmes"),
    "actions": ("Kommunens åtgärdsplan", "The municipality's action plan"),
    "boundaries": ("Områdesgränser", "Area boundaries"),
    "notes": ("Analysanteckningar", "Analysis notes"),
    "groups": ("Arbetsytans kommungrupper", "The workspace's groups of municipalities"),
    "trainings": ("Förteckning över utbildningar av personal", "Record of staff trainings"),
    "staff": ("Antal anställda per verksamhet", "Staff per kind of unit"),
}
SURVEY_KINDS = ("indicators", "survey_responses", "kolada")


def survey_names(indicator_ids: Iterable[str], meta: Mapping[str, Mapping[str, object]],
                 lang: str) -> str:
    """The distinct survey names of `indicator_ids` (layers/indicators.toml), in order; ""
    when none of them names its survey."""
    key = "survey_en" if lang == "en" else "survey_sv"
    names = [str(meta.get(i, {}).get(key) or "") for i in indicator_ids]
    return "; ".join(dict.fromkeys(n for n in names if n))


def publisher_labels(datasets: pd.DataFrame, *, lang: str = "sv",
                     surveys: Mapping[str, str] | None = None) -> dict[str, str]:
    """Dataset name -> "publisher, table (period)". `surveys` gives a survey dataset's name
    (see `survey_names`); a kind without a publisher keeps the dataset's name."""
    surveys = surveys or {}
    out: dict[str, str] = {}
    for name, kind, period in zip(datasets["dataset"].astype(str),
                                  datasets["kind"].astype(str), datasets["period"]):
        sv, en = PUBLISHERS.get(kind, (name, name))
        label = surveys.get(name) or (en if lang == "en" else sv)
        when = "" if period is None or pd.isna(period) or str(period) in ("", "nan", "None") \
            else f" ({period})"
        out[name] = f"{label}{when}"
    return out
