"""A demo workspace with DeSO- and RegSO-like grids in several kommuner (for "Alla kommuner")."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from lagesbild.core import schema
from lagesbild.store.frames import load_frames
from lagesbild.core.dataset import Dataset
from lagesbild.store.gpkg import GpkgWorkspace

# Umeå, Skellefteå and Norsjö: a big, a middle and a small kommun of the demo
KOMMUNER = ("2480", "2482", "2417")
YEARS = (2022, 2023, 2024)


def grid(kommun: gpd.GeoDataFrame, code: str, n: int, *, level: str, letter: str,
         prefix: str) -> gpd.GeoDataFrame:
    """The kommun cut into an n × n grid (empty cells dropped): a coverage of areas."""
    geom = kommun.geometry.iloc[0]
    x0, y0, x1, y1 = geom.bounds
    xs, ys = np.linspace(x0, x1, n + 1), np.linspace(y0, y1, n + 1)
    cells = [shapely.box(xs[i], ys[j], xs[i + 1], ys[j + 1]) for i in range(n) for j in range(n)]
    parts = [p for p in (shapely.intersection(geom, c) for c in cells) if p.area > 0]
    ids = [f"{code}{letter}{i + 1:04d}" for i in range(len(parts))]
    return gpd.GeoDataFrame({"area_id": ids, "level": level, "code": ids,
                             "name": [f"{prefix} {code}-{i + 1}" for i in range(len(parts))],
                             "parent_id": code, "source": f"rutor-{level}"},
                            geometry=parts, crs=kommun.crs)


def all_small_workspace(path: Path, demo_gpkg: Path, *, hostile: str | None = None) -> Path:
    """A copy of the demo with DeSO (4 × 4 grid) and RegSO (2 × 2, holding the DeSO) in
    KOMMUNER, with populations for YEARS; the first DeSO of Norsjö is named `hostile`."""
    shutil.copy(demo_gpkg, path)
    ws = GpkgWorkspace(path)
    frames = load_frames(ws)
    deso, regso = [], []
    for code in KOMMUNER:
        kommun = frames.kommuner[frames.kommuner["area_id"] == code]
        deso.append(grid(kommun, code, 4, level="deso", letter="A", prefix="Ruta"))
        regso.append(grid(kommun, code, 2, level="regso", letter="R", prefix="Del"))
    deso_frame = pd.concat(deso, ignore_index=True)
    regso_frame = pd.concat(regso, ignore_index=True)
    if hostile is not None:
        deso_frame.loc[deso_frame["area_id"] == "2417A0001", "name"] = hostile
    rng = np.random.default_rng(3)
    sizes = dict(zip(deso_frame["area_id"], rng.integers(150, 3000, len(deso_frame))))
    inner = gpd.GeoSeries(shapely.point_on_surface(deso_frame.geometry.values), crs=deso_frame.crs)
    regso_of = gpd.sjoin(gpd.GeoDataFrame({"deso": deso_frame["area_id"]}, geometry=inner),
                         regso_frame[["area_id", "geometry"]], predicate="within")
    regso_size = regso_of.groupby("area_id")["deso"].agg(lambda d: sum(sizes[x] for x in d))
    sizes.update({str(k): int(v) for k, v in regso_size.items()})
    split = {"K": lambda p: p // 2, "M": lambda p: p - p // 2, "T": lambda p: p}
    pop = pd.DataFrame([(a, y, s, int(split[s](p)), "rutor-folk")
                        for a, p in sizes.items() for y in YEARS for s in split],
                       columns=["area_id", "year", "sex", "population", "source"])
    with ws.transaction() as writer:
        writer.replace_dataset(Dataset("rutor-deso", "areas", "boundaries", "deso.gpkg"),
                               schema.conform(deso_frame, "areas"))
        writer.replace_dataset(Dataset("rutor-regso", "areas", "boundaries", "regso.gpkg"),
                               schema.conform(regso_frame, "areas"))
        writer.replace_dataset(Dataset("rutor-folk", "population", "population", "folk.csv"),
                               schema.conform(pop, "population"))
    return path
