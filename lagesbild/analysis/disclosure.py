"""Disclosure control: the one policy every figure passes before it leaves the analysis layer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse
import scipy.sparse.csgraph

from lagesbild.analysis.audit import Relation, audit, hidden_cell, shown_cell
from lagesbild.analysis.hypercube import protect_with_boxes

# Columns that reveal a count when shown; blanked together with it.
REVEALING = ("count", "value", "ci_low", "ci_high")
# Every hidden cell is written the same way, whatever hid it (as SCB and Brå write ".."): a label
# that told small cells from the others would itself say "one to four". The reason is given in
# the legend and the caveats, never in the cell.
HIDDEN = ".."


def suppress(cells: pd.DataFrame, *, keys: Sequence[str], threshold: int,
             additive: Sequence[tuple[str, str]] = (), count: str = "count",
             primary: np.ndarray | None = None, fixed: str | None = None) -> pd.DataFrame:
    """Hide small counts and every cell that would let them be worked out or narrowed down.

    Primary: counts 1..threshold-1 are hidden. Secondary: each of them on the corners of a
    hidden box along the additive relations ``(dimension, total_value)`` (members of
    `dimension` add up to the row where it equals `total_value`, other keys equal; `hypercube`),
    so it and every other corner can take at least `threshold` consecutive values whatever is
    shown. Where the table lacks a good box for a cell (a missing row), two more steps cover
    what the boxes do not: no group (a total and its members) may hold exactly one hidden cell,
    nor a set of groups whose equations pin a small cell down (linear algebra), and then the
    adversary's audit (`audit.audit`: integer programming with every shown cell, the groups'
    sums and counts >= 0, every hidden cell read as "hidden" whatever its reason) runs over
    the table, hiding more while any hidden cell can be narrowed to fewer than `threshold`
    values. Returns a copy with a boolean ``suppressed`` column and revealing columns set to NA.

    `primary` (a boolean mask) replaces the small-count rule for cells hidden for another
    reason, such as survey shares from too few respondents; `count` is then the additive
    quantity behind the cells (for shares: the number answering yes, share × n). `fixed` names a
    boolean column of cells another table publishes anyway: they are never a box's corner.
    """
    out = cells.copy()
    counts = pd.to_numeric(out[count]).astype("float64").fillna(0).to_numpy()
    hidden = ((counts >= 1) & (counts < threshold)) if primary is None else \
        np.asarray(primary, dtype=bool).copy()
    primary = hidden.copy()
    covered = protect_with_boxes(out, keys=keys, additive=additive, counts=counts,
                                 hidden=hidden, sensitive=primary, need=threshold - 1,
                                 fixed=None if fixed is None else out[fixed].to_numpy(bool))
    if (hidden & ~covered).any():  # a small cell without a good box: the slower steps
        _protect_without_boxes(out, keys, additive, hidden, primary, counts, threshold)
    out["suppressed"] = hidden
    # the reason stays in the data (for the legend and the police audience), never in the cell
    out["suppression"] = pd.Series(
        ["small" if p else ("secondary" if h else "") for p, h in zip(primary, hidden)],
        index=out.index, dtype="string")
    for col in REVEALING:
        if col in out.columns:
            out[col] = out[col].astype("Float64").mask(hidden) if col != count else \
                pd.to_numeric(out[col]).astype("Int64").mask(hidden)
    return out


def _protect_without_boxes(out: pd.DataFrame, keys: Sequence[str],
                           additive: Sequence[tuple[str, str]], hidden: np.ndarray,
                           primary: np.ndarray, counts: np.ndarray, threshold: int) -> None:
    """No group with one hidden cell, no small cell pinned by linear algebra, then the audit."""
    groups = _groups(out, keys, additive)
    while True:
        _hide_singletons(groups, hidden, counts)
        determined = _determined(groups, hidden, len(out))
        leaked = np.flatnonzero(primary & determined)
        if not len(leaked):
            break
        # one more hidden cell per leak; a leak next to one just hidden waits for the next round
        touched = np.zeros(len(out), dtype=bool)
        for cell in leaked:
            if not touched[cell]:
                new = _hide_one_more(groups, int(cell), hidden, determined, counts)
                for totals, members in groups:
                    if new in totals or new in members:
                        touched[totals] = touched[members] = True
    _widen_until_audited(groups, hidden, counts, protection=threshold)


def suppress_by_county(cells: pd.DataFrame, *, keys: Sequence[str], threshold: int,
                       counties: Sequence[str], additive: Sequence[tuple[str, str]] = (),
                       count: str = "count", primary: np.ndarray | None = None,
                       fixed: str | None = None) -> pd.DataFrame:
    """`suppress` with each county's kommuner adding up to the county's row.

    A county row (area_id = a län code) is the sum of the kommuner whose codes start with it; the
    counties are disjoint, so each county and its kommuner are protected on their own, with the
    other `additive` relations (such as K + M = T) inside. Areas of no county are protected
    with `additive` alone.
    """
    area = cells["area_id"].astype(str)
    county_of = area.str[:2].where(area.str[:2].isin([str(c)[:2] for c in counties]))
    mask = None if primary is None else np.asarray(primary, dtype=bool)
    parts = []
    for county, rows in cells.groupby(county_of.fillna(""), sort=False):
        own = [*additive, ("area_id", next(c for c in counties if str(c)[:2] == county))] \
            if county else list(additive)
        part_primary = None if mask is None else mask[cells.index.get_indexer(rows.index)]
        parts.append(suppress(rows, keys=keys, threshold=threshold, additive=own, count=count,
                              primary=part_primary, fixed=fixed))
    if not parts:
        return suppress(cells, keys=keys, threshold=threshold, additive=additive, count=count,
                        primary=mask, fixed=fixed)
    return pd.concat(parts).loc[cells.index]


Group = tuple[np.ndarray, np.ndarray]  # positions of the total row(s) and of the members


def _groups(cells: pd.DataFrame, keys: Sequence[str], additive: Sequence[tuple[str, str]]
            ) -> list[Group]:
    """Every (total, members) group of the additive relations, as row positions."""
    groups: list[Group] = []
    # each key's values as integer codes, once (missing values are a value of their own)
    codes = {k: pd.factorize(cells[k], use_na_sentinel=False) for k in keys}
    for dim, total in additive:
        others = [k for k in keys if k != dim]
        dim_codes, dim_values = codes[dim]
        is_total = np.array([not _missing(v) and str(v) == total for v in dim_values],
                            dtype=bool)[dim_codes] if len(dim_values) else \
            np.zeros(len(cells), dtype=bool)
        group_ids = _group_ids([codes[k] for k in others], len(cells))
        order = np.argsort(group_ids, kind="stable")
        bounds = np.flatnonzero(np.diff(group_ids[order])) + 1
        for part in np.split(order, bounds):
            totals, members = part[is_total[part]], part[~is_total[part]]
            if len(totals) and len(members):
                groups.append((totals, members))
    return groups


def _missing(value: object) -> bool:
    missing = pd.isna(value)
    return bool(missing) if np.ndim(missing) == 0 else False


def _group_ids(factorized: list[tuple[np.ndarray, object]], n: int) -> np.ndarray:
    """Group numbers of the rows by the combination of the given key codes, numbered in order
    of first appearance (as pandas' `groupby(sort=False, dropna=False).ngroup()`)."""
    if not factorized:
        return np.zeros(n, dtype=np.int64)
    combined = np.zeros(n, dtype=np.int64)
    for key_codes, uniques in factorized:
        combined = combined * max(len(uniques), 1) + key_codes
        # renumbered densely after each key, so the product of the sizes never overflows
        _, combined = np.unique(combined, return_inverse=True)
    _, first, inverse = np.unique(combined, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse.reshape(-1)]


def _next_to_hide(totals: np.ndarray, members: np.ndarray, hidden: np.ndarray,
                  counts: np.ndarray) -> int:
    visible = members[~hidden[members]]
    positive = visible[counts[visible] > 0]
    pool = positive if len(positive) else visible
    if len(pool):
        return int(pool[np.argmin(counts[pool])])
    return int(totals[~hidden[totals]][0])


def _hide_one_more(groups: list[Group], cell: int, hidden: np.ndarray, determined: np.ndarray,
                   counts: np.ndarray) -> int:
    """Hide one more cell in a group of `cell` (or, failing that, of another pinned-down cell).

    Any new hidden cell is progress: with every cell hidden nothing small can be pinned down.
    """
    this = np.zeros(len(hidden), dtype=bool)
    this[cell] = True
    for wanted in (this, determined & hidden):
        for totals, members in groups:
            cells = np.concatenate([totals, members])
            if wanted[cells].any() and (~hidden[cells]).any():
                new = _next_to_hide(totals, members, hidden, counts)
                hidden[new] = True
                return new
    raise RuntimeError("disclosure: no cell left to hide")  # cannot happen: see above


def _hide_singletons(groups: list[Group], hidden: np.ndarray, counts: np.ndarray) -> None:
    """Until nothing changes: a group with exactly one hidden cell gets a second one."""
    changed = True
    while changed:
        changed = False
        for totals, members in groups:
            # a hidden total with every member shown is their sum: the same leak
            if hidden[totals].sum() + hidden[members].sum() == 1:
                hidden[_next_to_hide(totals, members, hidden, counts)] = True
                changed = True


def _determined(groups: list[Group], hidden: np.ndarray, n: int) -> np.ndarray:
    """Hidden cells whose value follows from the shown cells through the groups' equations."""
    where = np.flatnonzero(hidden)
    result = np.zeros(n, dtype=bool)
    column = np.full(n, -1)
    column[where] = np.arange(len(where))
    rows, cols, vals = [], [], []
    for totals, members in groups:
        cells = np.concatenate([members[hidden[members]], totals[hidden[totals]]])
        if len(cells):
            rows.append(np.full(len(cells), len(rows)))
            cols.append(column[cells])
            vals.append(np.where(np.isin(cells, totals), -1.0, 1.0))
    if not rows:
        return result
    a = scipy.sparse.csr_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                               shape=(len(rows), len(where)))
    # equations only link the hidden cells they share: solve each connected block on its own
    graph = scipy.sparse.block_array([[None, a], [a.T, None]]).tocsr()
    _, label = scipy.sparse.csgraph.connected_components(graph, directed=False)
    row_label, col_label = label[:a.shape[0]], label[a.shape[0]:]
    for block in np.unique(col_label):
        bcols = np.flatnonzero(col_label == block)
        sub = a[np.flatnonzero(row_label == block)][:, bcols].toarray()
        # x_j is determined iff e_j lies in the row space: its projection there has length 1.
        # The row space is spanned by the Gram matrix's eigenvectors with non-zero eigenvalues
        # (faster than an SVD; 0/±1 entries keep the spectrum far from the cut-off).
        values, vectors = np.linalg.eigh(sub.T @ sub)
        basis = vectors[:, values > values.max(initial=0.0) * 1e-10]
        result[where[bcols]] = (basis**2).sum(axis=1) > 1 - 1e-8
    return result


def _widen_until_audited(groups: list[Group], hidden: np.ndarray, counts: np.ndarray, *,
                         protection: int) -> None:
    """Hide more cells until the audit finds no hidden cell narrower than `protection` values."""
    values = np.round(counts).astype("int64")
    relations = [_relation(int(t), members, values) for totals, members in groups for t in totals]
    linked = [np.concatenate([totals, members]) for totals, members in groups]
    while hidden.any():
        _fill_thin_groups(groups, hidden, values, protection - 1)
        cells = [hidden_cell(str(i), "t", int(max(values[i], 0))) if hidden[i] else
                 shown_cell(str(i), "t", int(max(values[i], 0)))
                 for i in sorted({int(c) for g in linked for c in g})]
        result = audit(cells, relations, protection=protection)
        bad = [int(c) for c in result.disclosed["cell"]]
        if not bad:
            return
        done = np.zeros(len(hidden), dtype=bool)
        for cell in bad:
            if done[cell]:
                continue
            new = _partner_to_hide(linked, cell, hidden, values, protection - 1)
            hidden[new] = True
            for g in linked:
                if new in g or cell in g:
                    done[g] = True


def _fill_thin_groups(groups: list[Group], hidden: np.ndarray, values: np.ndarray,
                      need: int) -> None:
    """The audit's cheap part, until nothing changes: in a group whose total is shown, every
    hidden member lies between 0 and what the shown members leave of the total (the group's
    slack); a slack below `need` pins them too narrowly, so one more member (the smallest shown
    one that brings the slack to `need`, else the largest) or else the total is hidden."""
    changed = True
    while changed:
        changed = False
        for totals, members in groups:
            if hidden[totals].any() or not hidden[members].any():
                continue
            slack = int(values[totals].max()) - int(values[members[~hidden[members]]].sum())
            if slack >= need:
                continue
            visible = members[~hidden[members]]
            if len(visible):
                enough = visible[values[visible] >= need - slack]
                pick = enough[np.argmin(values[enough])] if len(enough) else \
                    visible[np.argmax(values[visible])]
            else:
                pick = totals[0]
            hidden[int(pick)] = True
            changed = True


def _relation(total: int, members: np.ndarray, values: np.ndarray) -> Relation:
    """The group as the adversary may read it, the strongest form the true counts allow: the
    total is the members' sum, or at least it (T >= K + M when some victims' sex is unknown),
    or at most it (a source whose parts exceed its total)."""
    terms = ((str(total), 1), *((str(int(m)), -1) for m in members))
    balance = int(values[total]) - int(values[members].sum())
    if balance == 0:
        return Relation(terms, "==")
    return Relation(terms if balance > 0 else tuple((c, -k) for c, k in terms), ">=")


def _partner_to_hide(linked: list[np.ndarray], cell: int, hidden: np.ndarray,
                     values: np.ndarray, need: int) -> int:
    """A shown cell to hide so that `cell` can vary more: in one of its groups the smallest
    shown cell with at least `need` (it can give that much), else the largest shown one; if
    its groups are all hidden, the same search in the groups linked to them."""
    seen_cells = {cell}
    frontier = [cell]
    while frontier:
        pool = np.unique(np.concatenate([g for g in linked if np.isin(frontier, g).any()] or
                                        [np.empty(0, dtype=np.int64)]))
        visible = pool[~hidden[pool]]
        if len(visible):
            enough = visible[values[visible] >= need]
            if len(enough):
                return int(enough[np.argmin(values[enough])])
            return int(visible[np.argmax(values[visible])])
        frontier = [int(c) for c in pool if int(c) not in seen_cells]
        seen_cells.update(frontier)
    raise RuntimeError("disclosure: no cell left to hide")  # cannot happen: all hidden is safe


def display_count(count: object, suppression: str, *, threshold: int) -> str:  # noqa: ARG001
    """How a (possibly hidden) count is written: HIDDEN for every hidden one, whatever the reason
    (`threshold` is kept for the callers' sake: the label no longer depends on it)."""
    if suppression in ("small", "secondary"):
        return HIDDEN
    if count is None or pd.isna(count):
        return "–"
    return f"{int(count):,}".replace(",", "\u00a0")
