"""The canonical tables of one workspace, held together: what the analysis layer reads.

`store.frames.load_frames` fills one from a workspace; tests and benchmarks build them directly.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.core.incident_cube import conform_cube, cube_of

# The incidents as the analysis holds them (`compact_incidents`): millions of rows nationally,
# so no geometry objects (a point's coordinates in EPSG:3006 as x and y, NaN without a point),
# the repeated text as categories (a few bytes a row instead of a string each), and none of
# the columns no figure reads (incident_id, source_category: the store keeps them).
INCIDENT_CATEGORIES = ("category", "victim_sex", "area_id", "sub_area_id", "precision", "source",
                       "age_group")
INCIDENT_COLUMNS = ("occurred_at", "year", "category", "relation", "victim_sex", "area_id",
                    "sub_area_id", "precision", "source", "age_group", "x", "y")


_DTYPES = {**{c: pd.Series([], dtype=t).dtype for c, t in schema.TABLES["incidents"].items()},
           "x": np.dtype("float64"), "y": np.dtype("float64")}


def compact_incidents(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` (the incidents table as stored, a GeoDataFrame with point geometries, or already
    compact) in the compact form the analysis reads: `INCIDENT_COLUMNS`, text columns of
    `INCIDENT_CATEGORIES` as categoricals of the schema's text (categories sorted, as
    `astype("category")` gives them), coordinates in EPSG:3006 as float64 (exact: a figure
    placing a point finds it where the stored geometry is)."""
    if _is_compact(frame):
        return frame
    if "x" in frame.columns and "y" in frame.columns and "geometry" not in frame.columns:
        x = pd.to_numeric(frame["x"]).to_numpy(dtype="float64", na_value=np.nan)
        y = pd.to_numeric(frame["y"]).to_numpy(dtype="float64", na_value=np.nan)
    else:
        x, y = _coordinates(frame)
    types = schema.TABLES["incidents"]
    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    for col in INCIDENT_COLUMNS[:-2]:
        values = frame[col].reset_index(drop=True) if col in frame.columns else \
            pd.Series(None, index=out.index, dtype=types[col] if col not in
                      INCIDENT_CATEGORIES else schema.STR)
        out[col] = _category(values) if col in INCIDENT_CATEGORIES else \
            schema.conform_column(values, types[col])
    out["x"], out["y"] = x, y
    return out


def _category(values: pd.Series) -> pd.Series:
    """`values` as a categorical of the schema's text, its categories sorted."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = values.cat.categories
        text = categories.astype(schema.STR)
        if not text.has_duplicates:
            values = values.cat.rename_categories(text) if not categories.equals(text) or \
                categories.dtype != text.dtype else values
            if not values.cat.categories.is_monotonic_increasing:
                values = values.cat.reorder_categories(values.cat.categories.sort_values())
            return values
    return values.astype(schema.STR).astype("category")


def _is_compact(frame: pd.DataFrame) -> bool:
    return (not isinstance(frame, gpd.GeoDataFrame) and tuple(frame.columns) == INCIDENT_COLUMNS
            and isinstance(frame.index, pd.RangeIndex) and frame.index.start == 0
            and frame.index.step == 1
            and all(isinstance(frame[c].dtype, pd.CategoricalDtype)
                    and frame[c].cat.categories.is_monotonic_increasing
                    for c in INCIDENT_CATEGORIES)
            and all(frame[c].dtype == _DTYPES[c] for c in INCIDENT_COLUMNS
                    if c not in INCIDENT_CATEGORIES))


def _coordinates(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """x and y of each row's point in EPSG:3006 (NaN where there is none)."""
    n = len(frame)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        geometry = frame.geometry
    elif "geometry" in frame.columns:
        geometry = gpd.GeoSeries(frame["geometry"])
    else:
        return np.full(n, np.nan), np.full(n, np.nan)
    if geometry.crs is not None and geometry.crs != schema.CRS_STORE:
        geometry = geometry.to_crs(schema.CRS_STORE)
    values = geometry.values
    point = np.asarray(shapely.get_type_id(values) == 0) & ~np.asarray(shapely.is_empty(values))
    x, y = np.full(n, np.nan), np.full(n, np.nan)
    x[point] = shapely.get_x(values[point])
    y[point] = shapely.get_y(values[point])
    return x, y


def incident_points(incidents: pd.DataFrame) -> gpd.GeoSeries:
    """The points of compact `incidents` (None where a row has none), in EPSG:3006."""
    x = incidents["x"].to_numpy(dtype="float64")
    y = incidents["y"].to_numpy(dtype="float64")
    shapes = np.full(len(incidents), None, dtype=object)
    ok = ~(np.isnan(x) | np.isnan(y))
    shapes[ok] = shapely.points(x[ok], y[ok])
    return gpd.GeoSeries(shapes, index=incidents.index, crs=schema.CRS_STORE)


class DeferredIncidents:
    """The incidents of a stored workspace, read on first use: a page whose figures all come
    from the incident cube and the derived tables (the first page of a national workspace)
    never holds millions of rows. `load` returns the rows (any form `compact_incidents`
    takes) and raises when the workspace is no longer in the state the other tables were read
    in; `rows`: how many the cube counts (checked against what `load` returns)."""

    def __init__(self, load: Callable[[], pd.DataFrame], rows: int) -> None:
        self.load, self.rows = load, int(rows)


class PersistentMemo(Protocol):
    """Results of the analysis kept beyond one process, keyed by the memo key
    (`analysis.memo.memoised`): None when not kept (or the key cannot be kept)."""

    def get(self, key: tuple) -> pd.DataFrame | None: ...

    def put(self, key: tuple, frame: pd.DataFrame) -> None: ...


@dataclass(frozen=True)
class Frames:
    areas: gpd.GeoDataFrame
    population: pd.DataFrame
    incidents: pd.DataFrame  # compact (`compact_incidents`): made so by __post_init__
    incident_counts: pd.DataFrame
    indicators: pd.DataFrame
    sites: gpd.GeoDataFrame
    programme_activity: pd.DataFrame
    actions: pd.DataFrame
    events: pd.DataFrame
    datasets: pd.DataFrame
    notes: pd.DataFrame = field(default_factory=lambda: schema.empty("notes"))
    groups: pd.DataFrame = field(default_factory=lambda: schema.empty("groups"))
    trainings: pd.DataFrame = field(default_factory=lambda: schema.empty("trainings"))
    staff: pd.DataFrame = field(default_factory=lambda: schema.empty("staff"))
    # rows by age group (age_group set): parts of the totals above, kept apart so that no sum
    # over `population`, `incident_counts` or `indicators` counts anyone twice (`core.age`)
    population_age: pd.DataFrame = field(default_factory=lambda: schema.empty("population"))
    incident_counts_age: pd.DataFrame = field(
        default_factory=lambda: schema.empty("incident_counts"))
    indicators_age: pd.DataFrame = field(default_factory=lambda: schema.empty("indicators"))

    def __post_init__(self) -> None:
        incidents = self.__dict__["incidents"]
        if isinstance(incidents, DeferredIncidents):
            # no attribute until first use: `__getattr__` reads them then
            object.__delattr__(self, "incidents")
            self.__dict__["_deferred"] = (incidents, threading.Lock())
            return
        object.__setattr__(self, "incidents", compact_incidents(incidents))

    def __getattr__(self, name: str) -> object:
        """`incidents` given as `DeferredIncidents`: read on first use (once, whichever thread
        asks first) and checked against the count the frames were made with."""
        deferred = self.__dict__.get("_deferred") if name == "incidents" else None
        if deferred is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        source, lock = deferred
        with lock:
            if "incidents" not in self.__dict__:
                rows = compact_incidents(source.load())
                if len(rows) != source.rows:
                    from lagesbild.core.errors import WorkspaceError

                    raise WorkspaceError(
                        f"the workspace holds {len(rows)} incidents, not the {source.rows} its "
                        "other tables were read with: it changed meanwhile (a new import). "
                        "Load it again (reload the page).")
                self.__dict__["incidents"] = rows
        return self.__dict__["incidents"]

    @property
    def incidents_loaded(self) -> bool:
        """Whether the incident rows are in memory (not deferred, or read since)."""
        return "incidents" in self.__dict__

    @property
    def incident_total(self) -> int:
        """How many incidents there are, without reading deferred rows."""
        if "incidents" in self.__dict__:
            return len(self.__dict__["incidents"])
        return self.__dict__["_deferred"][0].rows

    @property
    def persist(self) -> PersistentMemo | None:
        """Where results computed from these frames are kept between processes (None: nowhere):
        set by `store.frames.load_frames` for a stored workspace (`store.derived`)."""
        return self.__dict__.get("_persist")

    def keep_results_in(self, persist: PersistentMemo | None) -> Frames:
        """These frames with `persist` as the keeper of their results (returns self)."""
        self.__dict__["_persist"] = persist  # frozen dataclass: not a field, not compared
        return self

    @property
    def incident_cube(self) -> pd.DataFrame:
        """The incidents counted per kommun × year × category × victim's sex × age group
        (`core.incident_cube`): the one the store computed with SQL when `load_frames` gave it
        (`with_incident_cube`), else computed from `incidents` on first use. Not a field: a
        copy made with `dataclasses.replace(frames, incidents=…)` must not carry the old
        incidents' counts, and computes its own."""
        cube = self.__dict__.get("_incident_cube")
        if cube is None:
            cube = self.__dict__["_incident_cube"] = cube_of(self.incidents)
        return cube

    def with_incident_cube(self, cube: pd.DataFrame) -> Frames:
        """These frames with `cube` (the store's count of exactly these `incidents`) as their
        `incident_cube` (returns self)."""
        self.__dict__["_incident_cube"] = conform_cube(cube)
        return self

    @property
    def kommuner(self) -> gpd.GeoDataFrame:
        # a new object over the kept rows: pandas' copy-on-write copies them when a caller
        # writes, so no caller changes another's (the analysis asks tens of thousands of
        # times per report: filtering the areas each call took 75 of the test suite's 2 150
        # sampled seconds)
        return self._level_rows[schema.AreaLevel.KOMMUN.value].copy(deep=False)

    @property
    def lan(self) -> gpd.GeoDataFrame:
        return self._level_rows[schema.AreaLevel.LAN.value].copy(deep=False)

    @cached_property
    def _level_rows(self) -> dict[str, gpd.GeoDataFrame]:
        """The areas of the kommun and county levels, filtered once (`areas` never changes)."""
        return {level: self.areas[self.areas["level"] == level]
                for level in (schema.AreaLevel.KOMMUN.value, schema.AreaLevel.LAN.value)}

    def area_name(self, area_id: str) -> str:
        found = self._by_id.get(area_id) if isinstance(area_id, str) else None
        return area_id if found is None else found[0]

    def parent_of(self, area_id: str) -> str | None:
        found = self._by_id.get(area_id) if isinstance(area_id, str) else None
        return None if found is None else found[1]

    @cached_property
    def _by_id(self) -> dict[str, tuple[str, str | None]]:
        """area_id -> (name, parent_id) of its first row: a lookup instead of a scan of the
        areas (about 6 000 DeSO nationally) per call. Frames is frozen: the areas stay."""
        found: dict[str, tuple[str, str | None]] = {}
        for area_id, name, parent in zip(self.areas["area_id"], self.areas["name"],
                                         self.areas["parent_id"]):
            if isinstance(area_id, str):
                found.setdefault(area_id, (str(name), None if pd.isna(parent) else str(parent)))
        return found

    def source_label(self, source_names: pd.Series | list[str]) -> str:
        """'file (period, importerad 2026-11-23)' for each distinct dataset name."""
        names = sorted({str(s) for s in source_names if s is not None and not pd.isna(s)})
        meta = self.datasets.set_index("dataset") if len(self.datasets) else None
        parts = []
        for name in names:
            if meta is not None and name in meta.index:
                row = meta.loc[name]
                period = f"{row['period']}, " if str(row["period"]) not in ("", "nan", "None") else ""
                parts.append(f"{name} ({period}importerad {str(row['imported_at'])[:10]})")
            else:
                parts.append(name)
        return "; ".join(parts)
