"""Write app/core/render/mesh_paths.py: the mesh's edge sets as polylines, computed once.

    python tools/make_mesh_paths.py          # write the module
    python tools/make_mesh_paths.py --check  # exit 1 if it differs from what this computes

cv2.polylines pays per polyline and per segment, and building a list of polylines costs
Python time per polyline on every frame. So the renderer draws

* the tessellation as ONE polyline: a walk that covers every edge at least once (an
  Euler circuit after the odd-degree vertices are paired along their shortest paths,
  whose edges are walked twice: an opaque line drawn twice is the same line);
* each contour group as the fewest edge-disjoint trails (anti-aliased, so no edge twice).

Both are plain graph algorithms over app/core/face/topology.py's tables, run here, not on the
device: the app imports the resulting tables (tests/core/test_topology.py runs these
algorithms again and checks the tables).
"""
from __future__ import annotations

import argparse
import collections
import sys
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.core.face import topology  # noqa: E402
from app.core.render.styles import CONTOUR_GROUPS  # noqa: E402

TARGET = ROOT / "app" / "core" / "render" / "mesh_paths.py"
Edge = tuple[int, int]


def undirected(connections: Iterable[Edge]) -> list[Edge]:
    return sorted({(min(a, b), max(a, b)) for a, b in connections if a != b})


def _adjacency(edges: Iterable[Edge]) -> dict[int, list[int]]:
    adj: dict[int, list[int]] = collections.defaultdict(list)
    for a, b in edges:
        adj[a].append(b)
        adj[b].append(a)
    return adj


def _circuit(edges: list[Edge], start: int) -> tuple[list[int], list[int]]:
    """Hierholzer's Euler circuit over `edges` (a multigraph whose degrees are all even
    within the component of `start`): (vertices, edge ids between them). Deterministic:
    neighbours are taken in sorted order."""
    incident: dict[int, list[tuple[int, int]]] = collections.defaultdict(list)
    for eid, (a, b) in enumerate(edges):
        incident[a].append((b, eid))
        incident[b].append((a, eid))
    for v in incident:
        incident[v].sort()
    used = [False] * len(edges)
    next_edge: collections.Counter = collections.Counter()
    stack, circuit = [(start, -1)], []
    while stack:
        v, _ = stack[-1]
        out = incident[v]
        while next_edge[v] < len(out) and used[out[next_edge[v]][1]]:
            next_edge[v] += 1
        if next_edge[v] == len(out):
            circuit.append(stack.pop())
        else:
            w, eid = out[next_edge[v]]
            used[eid] = True
            stack.append((w, eid))
    circuit.reverse()
    return [v for v, _ in circuit], [e for _, e in circuit[1:]]


def _components(adj: dict[int, list[int]]) -> list[list[int]]:
    seen: set[int] = set()
    out = []
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
        out.append(sorted(comp))
    return out


def trails(connections: Iterable[Edge]) -> list[list[int]]:
    """The fewest edge-disjoint trails covering an undirected edge set: per connected
    component max(1, odd-degree vertices / 2). The odd vertices are paired by virtual
    edges, an Euler circuit is walked and cut at them. A closed trail repeats its first
    vertex at its end."""
    edges = undirected(connections)
    adj = _adjacency(edges)
    found = []
    for comp in _components(adj):
        members = set(comp)
        real = [e for e in edges if e[0] in members]
        odd = [v for v in comp if len(adj[v]) % 2]
        virtual = [(odd[i], odd[i + 1]) for i in range(0, len(odd), 2)]
        verts, eids = _circuit(real + virtual, odd[0] if odd else comp[0])
        if not odd:
            found.append(verts)
            continue
        # Start just after a virtual edge; cut at every virtual edge.
        m = len(eids)
        k = next(i for i, e in enumerate(eids) if e >= len(real))
        current = [verts[(k + 1) % m]]
        for j in range(m):
            i = (k + 1 + j) % m
            if eids[i] >= len(real):
                found.append(current)
                current = [verts[i + 1]]
            else:
                current.append(verts[i + 1])
    return found


def route(connections: Iterable[Edge]) -> list[int]:
    """One closed walk over every edge of a connected edge set, some edges twice: the
    odd-degree vertices are paired greedily, each with the nearest unpaired one (breadth
    first), and the edges of the path between them are doubled; then an Euler circuit."""
    edges = undirected(connections)
    adj = _adjacency(edges)
    if len(_components(adj)) != 1:
        raise ValueError("route() needs a connected edge set")
    for v in adj:
        adj[v].sort()
    doubled = list(edges)
    unpaired = {v for v in adj if len(adj[v]) % 2}
    for v in sorted(unpaired):
        if v not in unpaired:
            continue
        unpaired.discard(v)
        previous: dict[int, int | None] = {v: None}
        queue, end = collections.deque([v]), None
        while queue:
            u = queue.popleft()
            if u in unpaired:
                end = u
                break
            for w in adj[u]:
                if w not in previous:
                    previous[w] = u
                    queue.append(w)
        assert end is not None  # odd vertices come in pairs within a component
        unpaired.discard(end)
        u = end
        while previous[u] is not None:
            p = previous[u]
            assert p is not None
            doubled.append((min(u, p), max(u, p)))
            u = p
    verts, _ = _circuit(doubled, doubled[0][0])
    return verts


def edge_sets() -> dict[str, frozenset]:
    """The sets drawn as trails: each contour group of the mesh view, and all contours
    together (the depth view's outline)."""
    return {**CONTOUR_GROUPS, "contours": topology.FACEMESH_CONTOURS}


def render() -> str:
    lines = ['"""Generated by tools/make_mesh_paths.py from app/core/face/topology.py: do not edit.',
             "",
             "TESSELLATION_ROUTE: one closed walk over every tessellation edge (some twice), drawn",
             "as one polyline. TRAILS: edge set -> the fewest edge-disjoint trails covering it",
             "(a closed trail repeats its first index), drawn in one polylines call. Indices in",
             "MediaPipe's landmark order.",
             '"""', "", "TESSELLATION_ROUTE = ("]
    walk = route(topology.FACEMESH_TESSELATION)
    for i in range(0, len(walk), 16):
        lines.append("    " + " ".join(f"{v}," for v in walk[i:i + 16]))
    lines += [")", "", "TRAILS = {"]
    for name, connections in edge_sets().items():
        lines.append(f'    "{name}": (')
        for trail in trails(connections):
            rows = [", ".join(map(str, trail[i:i + 16])) for i in range(0, len(trail), 16)]
            lines.append("        (" + ",\n         ".join(rows) + ",),")
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args()
    text = render()
    if args.check:
        same = TARGET.read_text() == text
        print("same" if same else f"{TARGET.relative_to(ROOT)} differs: run {__file__}")
        return 0 if same else 1
    TARGET.write_text(text)
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
