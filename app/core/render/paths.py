"""Mesh edge sets turned into what cv2 draws fastest, once, on first use.

cv2.polylines pays per polyline: the 2556-edge tessellation as ~100 chained paths
draws 5x faster than as 2556 two-point segments, for the same pixels. The chaining
(an Euler-trail cover of each edge set) and the triangle array are built the first
time a frame is drawn and kept; nothing here runs at import.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Iterable

import numpy as np

from .. import topology as topo


def _read_only(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@functools.lru_cache(maxsize=None)
def contour_paths(connections: frozenset) -> tuple[np.ndarray, ...]:
    """Chain ``connections`` into the fewest index paths, each a (K,) int32 array.

    Edges are taken as undirected; every edge appears in exactly one path. A closed
    loop repeats its first index at the end, so all paths can be drawn with one
    ``cv2.polylines(img, [pts[p] for p in paths], False, ...)`` call. The arrays are
    read-only and shared between calls.
    """
    return _trails(connections)


def _trails(connections: frozenset) -> tuple:
    """Split an undirected edge set into the fewest edge-disjoint trails.

    Per connected component that is max(1, odd-degree vertices / 2): pair the
    odd vertices with virtual edges, walk an Euler circuit (Hierholzer), and
    cut it at the virtual edges.  A closed trail repeats its first vertex at
    the end.  Deterministic (vertices and neighbours are visited in sorted order).
    """
    und = sorted({(min(a, b), max(a, b)) for a, b in connections if a != b})
    adj: dict = {}
    for a, b in und:
        adj.setdefault(a, []).append(b)
        adj.setdefault(b, []).append(a)

    seen: set = set()
    trails = []
    for root in sorted(adj):
        if root in seen:
            continue
        comp, stack = [], [root]
        seen.add(root)
        while stack:
            v = stack.pop()
            comp.append(v)
            for w in adj[v]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        comp.sort()
        comp_set = set(comp)

        elist = [e for e in und if e[0] in comp_set]
        odd = [v for v in comp if len(adj[v]) % 2]
        n_real = len(elist)
        elist += [(odd[i], odd[i + 1]) for i in range(0, len(odd), 2)]
        inc: dict = {v: [] for v in comp}
        for eid, (a, b) in enumerate(elist):
            inc[a].append((b, eid))
            inc[b].append((a, eid))
        for v in comp:
            inc[v].sort()

        # Iterative Hierholzer: circuit of (vertex, edge id used to reach it).
        used = [False] * len(elist)
        ptr = dict.fromkeys(comp, 0)
        start = odd[0] if odd else comp[0]
        stack2 = [(start, -1)]
        circuit = []
        while stack2:
            v, e = stack2[-1]
            lst = inc[v]
            while ptr[v] < len(lst) and used[lst[ptr[v]][1]]:
                ptr[v] += 1
            if ptr[v] == len(lst):
                circuit.append((v, e))
                stack2.pop()
            else:
                w, eid = lst[ptr[v]]
                used[eid] = True
                stack2.append((w, eid))
        circuit.reverse()
        verts = [v for v, _ in circuit]
        eids = [e for _, e in circuit[1:]]  # eids[i] joins verts[i] -> verts[i + 1]
        m = len(eids)

        if not odd:
            trails.append(verts)
            continue
        k = next(i for i, e in enumerate(eids) if e >= n_real)
        cur = [verts[(k + 1) % m]]
        for j in range(m):
            i = (k + 1 + j) % m
            if eids[i] >= n_real:
                trails.append(cur)
                cur = [verts[i + 1]]
            else:
                cur.append(verts[i + 1])
    return tuple(_read_only(np.asarray(t, np.int32)) for t in trails)


@dataclass(frozen=True, eq=False)
class Paths:
    """Index paths for one cv2.polylines call.

    index:  (K,) intp, all paths' landmark indices back to back.
    slices: where each path sits in `index` (slicing views is 3x cheaper than np.split).
    """

    index: np.ndarray
    slices: tuple[slice, ...]

    @classmethod
    def of(cls, connections: Iterable[frozenset]) -> "Paths":
        """The fewest paths covering the union of `connections` (contour_paths)."""
        paths = contour_paths(frozenset().union(*connections))
        ends = np.cumsum([len(p) for p in paths]).tolist()
        slices = tuple(slice(a, b) for a, b in zip([0] + ends[:-1], ends))
        return cls(np.concatenate(paths).astype(np.intp), slices)

    def gather(self, pts: np.ndarray) -> list[np.ndarray]:
        """(N, 2) points -> list of (K_i, 2) polylines, views of one gathered array."""
        gathered = pts[self.index]
        return [gathered[s] for s in self.slices]  # ~100 views at most, no copies


@functools.lru_cache(maxsize=None)
def tessellation() -> Paths:
    return Paths.of([topo.FACEMESH_TESSELATION])


@functools.lru_cache(maxsize=None)
def face_outline() -> Paths:
    return Paths.of([topo.FACEMESH_CONTOURS])


@functools.lru_cache(maxsize=None)
def triangles() -> np.ndarray:
    """(898, 3) int32 read-only: the canonical mesh's triangles, MediaPipe's winding."""
    return _read_only(np.asarray(topo.FACEMESH_TRIANGLES, np.int32))


@functools.lru_cache(maxsize=None)
def subset_index(size: int) -> np.ndarray | None:
    """The landmark indices of a points-view subset (None: all, no gather needed)."""
    if size == topo.NUM_LANDMARKS:
        return None
    return _read_only(np.asarray(topo.SUBSETS[size], np.intp))
