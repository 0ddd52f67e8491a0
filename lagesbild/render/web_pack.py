"""The packed geometry format of `web_payload`: delta-encoded shared vertices, front-coded ids."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import shapely

from lagesbild.render.escape import esc

FORMAT_VERSION = 1
# separators in the packed geometry: none is in the polyline alphabet (63-126), none needs
# escaping in JSON or HTML
AREA_SEP, POLY_SEP, RING_SEP, RUN = "!", ";", ",", "="
ID_SEP = "}"  # `esc` turns every "}" into "&#125;", so escaped text never contains it
PREFIX_KEYS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _varint(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polyline chunks (5 bits, continuation 0x20, +63) of non-negative ints: (chars, counts)."""
    u = np.asarray(u, dtype=np.int64)
    if not len(u):
        return np.empty((0, 1), dtype=np.uint8), np.zeros(0, dtype=np.int64)
    bits = np.zeros(len(u), dtype=np.int64)
    rest = u.copy()
    while (rest > 0).any():
        bits += rest > 0
        rest >>= 1
    count = np.maximum((bits + 4) // 5, 1)
    j = np.arange(int(count.max()))
    chunk = (u[:, None] >> (5 * j)) & 31
    chunk |= (j[None, :] < count[:, None] - 1) * 32
    return (chunk + 63).astype(np.uint8), count


def _zigzag(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.int64)
    return (v << 1) ^ (v >> 63)


def pack(ids: pd.Index, geoms: np.ndarray, digits: int) -> str:
    """The geometry as script-safe JSON for the page's decoder (see the module docstring).

    {"v":1, "n": areas, "f": 10^digits, "ids": front-coded escaped ids joined by "}",
     "g": areas joined by "!", polygons by ";", rings by ","; in a ring, either a new vertex
     (two polyline ints: latitude and longitude delta from the previous vertex, in 10^-digits
     degrees) or "=" + back + code: `code // 2` stored vertices from index (table size - back),
     stepping -1 if code is odd else +1. Rings are stored open (no closing vertex).}
    """
    n = len(geoms)
    parts, part_owner = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    ring_area = part_owner[ring_part]
    counts = shapely.get_num_coordinates(rings) - 1  # open rings
    xy = shapely.get_coordinates(rings)
    closing = np.cumsum(counts + 1) - 1
    keep = np.ones(len(xy), dtype=bool)
    keep[closing] = False
    q = np.rint(xy[keep][:, ::-1] * 10.0 ** digits).astype(np.int64)  # (lat, lon) integers
    m = len(q)
    ring_of = np.repeat(np.arange(len(rings)), counts)

    # vertex table: ids numbered in order of first appearance
    if m:
        uniq, first, inverse = np.unique(q, axis=0, return_index=True, return_inverse=True)
        inverse = inverse.ravel()
        rank = np.empty(len(uniq), dtype=np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(uniq))
        vid = rank[inverse]
        new = first[inverse] == np.arange(m)
    else:
        vid = np.zeros(0, dtype=np.int64)
        new = np.zeros(0, dtype=bool)
    old = ~new
    table_size = np.cumsum(new) - new  # stored vertices before each position
    step = np.zeros(m, dtype=np.int64)
    step[1:] = vid[1:] - vid[:-1]
    same_ring = np.zeros(m, dtype=bool)
    same_ring[1:] = ring_of[1:] == ring_of[:-1]
    cont = old & np.roll(old, 1) & same_ring & (np.abs(step) == 1)
    cont[:1] = False
    prev_cont = np.roll(cont, 1)
    prev_cont[:1] = False
    cont &= ~prev_cont | (step == np.roll(step, 1))
    run_start = old & ~cont
    starts = np.flatnonzero(run_start)
    # run length: up to the next position that does not continue a run
    breaks = np.flatnonzero(~cont)
    ends = np.append(breaks, m)[np.searchsorted(breaks, starts, side="right")]
    run_len = ends - starts
    run_dir_neg = np.zeros(len(starts), dtype=bool)
    longer = run_len > 1
    run_dir_neg[longer] = step[starts[longer] + 1] < 0
    back = table_size[starts] - vid[starts]

    delta = np.zeros_like(q)
    if m:
        delta[0] = q[0]
        delta[1:] = q[1:] - q[:-1]
    new_pos = np.flatnonzero(new)

    # items in stream order: (sort key, kind) with kind -1 = a varint, else a character
    key_parts, val_parts, char_parts = [], [], []

    def add(keys: np.ndarray, values: np.ndarray, char: int) -> None:
        key_parts.append(keys)
        val_parts.append(np.asarray(values, dtype=np.int64))
        char_parts.append(np.full(len(keys), char, dtype=np.int64))

    # separators before the first vertex of a ring: which kind depends on what the ring starts
    ring_start = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    r_idx = np.arange(len(rings))
    new_area = np.ones(len(rings), dtype=bool)
    new_poly = np.ones(len(rings), dtype=bool)
    if len(rings):
        new_area[1:] = ring_area[1:] != ring_area[:-1]
        new_poly[1:] = ring_part[1:] != ring_part[:-1]
    ring_sep = r_idx[~new_poly]
    poly_sep = r_idx[new_poly & ~new_area]
    add(ring_start[ring_sep] * 8 + 0, np.zeros(len(ring_sep)), ord(RING_SEP))
    add(ring_start[poly_sep] * 8 + 0, np.zeros(len(poly_sep)), ord(POLY_SEP))
    # area separators: one before each area after the first, at the first vertex of that area
    # (or, for an empty area, where the next vertex would be)
    first_ring = np.searchsorted(ring_area, np.arange(n), side="left")
    area_pos = np.append(ring_start, m)[first_ring] if len(rings) else np.zeros(n, dtype=np.int64)
    # area separators sort before ring separators at the same position (sub-key 0 with a
    # stable sort in which they come first)
    area_keys = area_pos[1:] * 8 + 0
    key_parts.insert(0, area_keys)
    val_parts.insert(0, np.zeros(len(area_keys), dtype=np.int64))
    char_parts.insert(0, np.full(len(area_keys), ord(AREA_SEP), dtype=np.int64))
    add(starts * 8 + 1, np.zeros(len(starts)), ord(RUN))
    add(starts * 8 + 2, back, -1)
    add(starts * 8 + 3, run_len * 2 + run_dir_neg, -1)
    add(new_pos * 8 + 1, _zigzag(delta[new_pos, 0]), -1)
    add(new_pos * 8 + 2, _zigzag(delta[new_pos, 1]), -1)

    keys = np.concatenate(key_parts)
    vals = np.concatenate(val_parts)
    chars = np.concatenate(char_parts)
    order = np.argsort(keys, kind="stable")
    vals, chars = vals[order], chars[order]
    mat, cnt = _varint(np.where(chars < 0, vals, 0))
    is_char = chars >= 0
    mat[is_char, 0] = chars[is_char]
    cnt[is_char] = 1
    mask = np.arange(mat.shape[1])[None, :] < cnt[:, None]
    stream = mat[mask].tobytes().decode("ascii")

    payload = {"v": FORMAT_VERSION, "n": n, "f": 10 ** digits,
               "ids": front_code([esc(i) for i in ids]), "g": stream}
    return _js(payload)


def front_code(ids: list[str]) -> str:
    """Ids joined by "}", each as (length of the prefix shared with the previous id, as one
    PREFIX_KEYS character) + the rest. Ids must not contain "}" (escaped ids never do)."""
    out, prev = [], ""
    for i in ids:
        k = 0
        limit = min(len(prev), len(i), len(PREFIX_KEYS) - 1)
        while k < limit and prev[k] == i[k] and ord(i[k]) <= 0xFFFF:  # JS counts UTF-16 units
            k += 1
        out.append(PREFIX_KEYS[k] + i[k:])
        prev = i
    return ID_SEP.join(out)


# branca compiles every rendered script as a Jinja template again: "{{", "{%" and "{#" must
# not reach it. In compact JSON an object's "{" is followed by '"' or "}", so such a "{" is
# inside a string, where \u007b is the same character.
_JINJA_OPEN = re.compile(r"\{(?=[{%#])")


def _js(value: object) -> str:
    """JSON that is safe inside a <script> element and through branca's second Jinja pass."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return _JINJA_OPEN.sub(r"\\u007b", text)


# --------------------------------------------------------------------------- the map
