"""The build context shared by the report's section builders, and their text and table helpers.

Everything a section shows comes from figures that already passed disclosure control
(`analysis.figures.layer_figures` and the views built on it); the helpers only select, label
and format. Nothing is cached beyond one build (`Context` memoises within itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from lagesbild.analysis.citing import Citation
from lagesbild.analysis.figures import layer_figures, periods
from lagesbild.core import schema
from lagesbild.core.frames import Frames
from lagesbild.core.i18n import sex_label, t
from lagesbild.core.layers import LayerSpec
from lagesbild.core.settings import Settings
from lagesbild.core.taxonomy import Taxonomy
from lagesbild.report.english import to_english
from lagesbild.report.model import Table

KOMMUN = schema.AreaLevel.KOMMUN.value
LAN = schema.AreaLevel.LAN.value
SEXES = ("K", "M", "T")

_COUNT = re.compile(r"\d{1,3}(?:[\u00a0 ]\d{3})*|\d+")


def count_cell(display: object) -> object:
    """A shown count ("12", "1 162") as an int, so that the workbook stores a number; hidden
    or missing cells ("..", "–") stay as their text."""
    text = "" if display is None or (not isinstance(display, str) and pd.isna(display)) \
        else str(display).strip()
    return int(re.sub(r"[\u00a0 ]", "", text)) if _COUNT.fullmatch(text) else text


def pick_period(available: list[str], wanted: str) -> str | None:
    """`wanted` when the layer has it, else its latest period containing it ("HT2024" for
    "2024"), else its latest period; None without any period."""
    if not available:
        return None
    if wanted in available:
        return wanted
    containing = [p for p in available if str(wanted) in p]
    return (containing or available)[-1]


def paragraphs(text: str | None) -> list[str]:
    """User text split into paragraphs at blank lines; single line breaks are kept."""
    if not text:
        return []
    parts = re.split(r"\n[ \t\r]*\n", str(text).replace("\r\n", "\n").strip())
    return [p.strip() for p in parts if p.strip()]


def num(value: object, digits: int = 1, lang: str = "sv") -> str:
    """A number as text: Swedish style (no-break space thousands, decimal comma) or English."""
    if value is None or pd.isna(value):
        return "–"
    text = f"{float(value):,.{digits}f}"
    return text if lang == "en" else text.replace(",", "\u00a0").replace(".", ",")


def rounded(values: pd.Series, digits: int = 1) -> pd.Series:
    """Numbers rounded for a table, NA kept (Float64)."""
    return pd.to_numeric(values).astype("Float64").round(digits)


@dataclass
class Context:
    """What every section builder needs, with per-build memoisation of figures and geometry."""

    frames: Frames
    specs: dict[str, LayerSpec]
    taxonomy: Taxonomy
    settings: Settings
    area_id: str
    period: str
    lang: str = "sv"
    audience: str = "wide"
    layers: tuple[str, ...] = ()
    images: bool = True  # False: no PNG and no interactive map is drawn (the Excel workbook)
    _memo: dict = field(default_factory=dict, repr=False)

    # --- words -------------------------------------------------------------------------------
    @property
    def en(self) -> bool:
        return self.lang == "en"

    def tr(self, sv: str, en: str) -> str:
        return en if self.en else sv

    def sex(self, sex: str) -> str:
        return sex_label(sex, self.lang)

    def publishers(self) -> dict[str, str]:
        """Dataset name -> "publisher, table (period)" (`analysis.citing`)."""
        return self.citation.publishers

    @property
    def citation(self) -> Citation:
        if "citation" not in self._memo:
            self._memo["citation"] = Citation(self.frames, self.settings, self.lang)
        return self._memo["citation"]

    def cite(self, text: object) -> str:
        """A source text with every dataset's file label ("file (period, importerad date)")
        replaced by its publisher and table: what the report names as sources."""
        return self.citation.cite(text)

    def cited(self, view: object) -> object:
        """A MapView or PyramidView with its sources named by publisher (`cite`)."""
        return self.citation.cited(view)

    def display(self, text: object) -> str:
        """An analysis display text in the report's language (analysis texts are Swedish), its
        sources named by publisher (`cite`)."""
        out = self.cite(text)
        return to_english(out) if self.en else out

    def suppression_note(self) -> str:
        limit = self.settings.suppress_below
        return t("suppression_note", self.lang, t=limit, last=limit - 1)

    def num(self, value: object, digits: int = 1) -> str:
        return num(value, digits, self.lang)

    # --- areas -------------------------------------------------------------------------------
    @property
    def is_county(self) -> bool:
        return self.area_id in set(self.frames.lan["area_id"].astype(str))

    @property
    def area_name(self) -> str:
        return self.frames.area_name(self.area_id)

    @property
    def highlight(self) -> str | None:
        """The kommun the maps and charts outline (none in a county's report)."""
        return None if self.is_county else self.area_id

    @property
    def county_id(self) -> str | None:
        return self.area_id if self.is_county else self.frames.parent_of(self.area_id)

    @property
    def county_name(self) -> str:
        return self.frames.area_name(self.county_id) if self.county_id else ""

    def kommun_ids(self) -> list[str]:
        """The kommuner the maps and comparisons show: the county's (all without a county)."""
        if "kommun_ids" not in self._memo:
            k = self.frames.kommuner
            ids, parents = k["area_id"].astype(str), k["parent_id"].astype("string")
            county = self.county_id
            if county is None:
                keep = pd.Series(True, index=k.index)
            else:
                keep = (parents == county).fillna(False) | (
                    parents.isna() & (ids.str[:2] == county[:2]))
            self._memo["kommun_ids"] = ids[keep.to_numpy(dtype=bool)].tolist()
        return self._memo["kommun_ids"]

    def own_ids(self) -> list[str]:
        """The kommuner the report is about: the kommun, a group's members, a county's all."""
        return self.kommun_ids() if self.is_county else [self.area_id]

    def owns_action(self, codes: list[str]) -> bool:
        """An action (its kommun codes) belongs in the report: no codes (the whole county), or
        one of the report's own kommuner; a county's report holds every action."""
        codes = [c.strip() for c in codes if c.strip()]
        return self.is_county or not codes or bool(set(codes) & {self.area_id, *self.own_ids()})

    def drafts(self, layers: dict[str, LayerSpec]) -> list:
        """The draft findings (`analysis.findings.Finding`) for the area and period."""
        from lagesbild.analysis.findings import draft_findings

        return draft_findings(self.frames, layers, self.taxonomy, self.settings,
                              area_id=self.area_id, period=self.period, lang=self.lang)

    def follow_up(self) -> pd.DataFrame:
        """The uppföljning of the area's actions (`analysis.follow_up`)."""
        from lagesbild.analysis.follow_up import follow_up

        return follow_up(self.frames, self.specs, self.taxonomy, self.settings,
                         area_id=self.area_id, period=self.period)

    def kommuner(self) -> gpd.GeoDataFrame:
        k = self.frames.kommuner
        return k[k["area_id"].astype(str).isin(self.kommun_ids())]

    def web_geometry(self) -> gpd.GeoDataFrame:
        if "web" not in self._memo:
            from lagesbild.render.map import web_geometry

            self._memo["web"] = web_geometry(self.kommuner())
        return self._memo["web"]

    def names(self) -> dict[str, str]:
        return dict(zip(self.frames.areas["area_id"].astype(str), self.frames.areas["name"]))

    # --- figures -----------------------------------------------------------------------------
    def figures(self, spec: LayerSpec, period: str, sex: str) -> pd.DataFrame:
        """`layer_figures` for the county's kommuner and the county (memoised per build)."""
        key = ("fig", spec.id, period, sex)
        if key not in self._memo:
            figs = layer_figures(self.frames, spec, period=period, sex=sex,
                                 taxonomy=self.taxonomy, settings=self.settings)
            keep = figs["area_id"].astype(str).isin(self.kommun_ids())
            if self.county_id is not None:
                keep |= figs["area_id"].astype(str) == self.county_id
            figs = figs[keep].reset_index(drop=True)
            # sources by publisher in every table, caption, chart and map built from them
            self._memo[key] = figs.assign(source=[self.cite(x) for x in figs["source"]])
        return self._memo[key]

    def national(self, spec: LayerSpec, period: str, sex: str = "T") -> dict | None:
        """The layer's national reference value (None when the workspace has none)."""
        key = ("national", spec.id, period, sex)
        if key not in self._memo:
            from lagesbild.analysis.national import national_figure

            self._memo[key] = national_figure(self.frames, spec, period=period, sex=sex,
                                              taxonomy=self.taxonomy, settings=self.settings,
                                              lang=self.lang)
        return self._memo[key]

    def dispersion(self, spec: LayerSpec) -> pd.DataFrame | None:
        """The layer's year-to-year dispersion per area (rates only; memoised on the frames)."""
        if spec.kind not in ("count_rate", "incident_rate"):
            return None
        from lagesbild.analysis.dispersion import layer_dispersion

        return layer_dispersion(self.frames, spec, taxonomy=self.taxonomy, settings=self.settings)

    def periods(self, spec: LayerSpec) -> list[str]:
        key = ("periods", spec.id)
        if key not in self._memo:
            self._memo[key] = periods(self.frames, spec)
        return self._memo[key]

    def layer_period(self, spec: LayerSpec) -> str | None:
        return pick_period(self.periods(spec), self.period)

    def chosen(self) -> list[LayerSpec]:
        """The report's layers that have data, in display order."""
        return [self.specs[i] for i in self.layers if self.layer_period(self.specs[i])]

    def coverage_spec(self) -> LayerSpec:
        """The first coverage layer (its programmes), else one for every programme."""
        for spec in self.specs.values():
            if spec.kind == "coverage":
                return spec
        return LayerSpec(id="programmes", title_sv="Programtäckning (%)",
                         title_en="Programme coverage (%)", kind="coverage")

    def term(self) -> str | None:
        """The programme term of the report: the coverage layer's period, else the latest term
        containing the report's period, else the latest term."""
        spec = self.coverage_spec()
        if spec.id in self.specs:
            return self.layer_period(spec)
        found = sorted({str(p) for p in self.frames.programme_activity["period"].dropna()},
                       key=lambda p: (p[2:], p[:2] == "HT"))
        return pick_period(found, self.period)

    def sites(self, term: str | None) -> gpd.GeoDataFrame | None:
        """Schools and youth centres (public places) with their programme status in `term`."""
        if term is None or not len(self.frames.sites):
            return None
        from lagesbild.analysis.coverage import site_status

        key = ("sites", term)
        if key not in self._memo:
            sites = site_status(self.frames, period=term)
            self._memo[key] = sites[sites["area_id"].astype(str).isin(self.kommun_ids())]
        return self._memo[key]

    def draw(self, render: Callable[..., bytes], *args: object, **kwargs: object) -> bytes:
        """`render(*args, **kwargs)`, a PNG; b"" (nothing drawn) when the report needs no images."""
        return render(*args, **kwargs) if self.images else b""

    def map_html(self, view: object, spec: LayerSpec, term: str | None) -> str | None:
        """The interactive map of `view` as one self-contained HTML document (Leaflet inlined);
        None when the report needs no images."""
        if not self.images:
            return None
        from lagesbild.render.assets import inline_html
        from lagesbild.render.map import view_map

        m = view_map(view, self.web_geometry(), spec, lang=self.lang, sites=self.sites(term))
        m.options["attribution_control"] = False  # its only content is a link to leafletjs.com
        html = inline_html(m)
        # Leaflet's attribution prefix (unused now) is the one web address left in the page
        return re.sub(r'href="https?://[^"]*"', 'href="#"', html)

    # --- tables ------------------------------------------------------------------------------
    def table(self, title: str, frame: pd.DataFrame, note: str = "",
              source_col: str | None = None) -> Table:
        """A Table; a source column holding one value throughout becomes part of the note."""
        frame = frame.reset_index(drop=True)
        if source_col and source_col in frame:
            values = {str(v) for v in frame[source_col] if isinstance(v, str) and v}
            if len(values) <= 1:
                frame = frame.drop(columns=source_col)
                if values:
                    note = " ".join(p for p in (note, f"{t('source', self.lang)}: "
                                                f"{self.display(values.pop())}.") if p)
            else:
                frame[source_col] = [self.display(v) for v in frame[source_col]]
        return Table(title=title, frame=frame, note=note)

    def figure_table(self, spec: LayerSpec, period: str) -> pd.DataFrame:
        """The layer's figures for `period`, K/M/T per area (county first), display-ready."""
        rows = pd.concat([self.figures(spec, period, s) for s in SEXES], ignore_index=True)
        rows["_county"] = rows["level"] != LAN
        rows["_sex"] = rows["sex"].map({s: i for i, s in enumerate(SEXES)})
        rows = rows.sort_values(["_county", "name", "_sex"], kind="stable")
        denominator = {"count_rate": self.tr("Folkmängd", "Population"),
                       "incident_rate": self.tr("Folkmängd", "Population"),
                       "indicator": self.tr("Antal svarande", "Respondents"),
                       "coverage": self.tr("Elever i målgruppen", "Pupils in target group")}
        count = self.tr("Elever som nås", "Pupils reached") if spec.kind == "coverage" \
            else t("count", self.lang)
        if spec.kind == "indicator":  # a census counts the kommun's units, not respondents
            from lagesbild.core.indicator_kinds import indicator_kind

            kind = indicator_kind(self.settings.layers_dir, spec.indicator or "")
            if kind.census:
                denominator = {**denominator, "indicator": self.tr(
                    f"Antal {kind.units}", "Staff" if kind.units == "personal" else "Units")}
        out = pd.DataFrame({
            self.tr("Kod", "Code"): rows["area_id"].astype(str),
            t("area", self.lang): rows["name"].astype(str),
            t("sex", self.lang): [self.sex(s) for s in rows["sex"]],
            t("value", self.lang): [self.display(d) for d in rows["display"]],
            self.tr("Värde (tal)", "Value (number)"): rounded(rows["value"]),
            self.tr("95 % KI, från", "95% CI, from"): rounded(rows["ci_low"]),
            self.tr("95 % KI, till", "95% CI, to"): rounded(rows["ci_high"]),
            count: pd.to_numeric(rows["count"]).astype("Int64"),
            denominator[spec.kind]: pd.to_numeric(rows["denominator"]).astype("Int64"),
            self.tr("Anmärkning", "Note"): [self.display(n) for n in rows["note"]],
            t("source", self.lang): rows["source"].astype(str),
        })
        empty = [c for c in out.columns[4:-1] if not out[c].astype(str).str.strip().ne("").any()
                 or out[c].isna().all()]
        return out.drop(columns=empty)


def area_value(ctx: Context, figures: pd.DataFrame, area_id: str | None) -> str:
    """The display text of one area's row in `figures` ("–" when absent)."""
    if area_id is None:
        return "–"
    row = figures[figures["area_id"].astype(str) == area_id]
    return ctx.display(row["display"].iloc[0]) if len(row) else "–"
