"""Tests for app.core.face.topology (MediaPipe face-mesh index tables)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import pytest

from app.core.face import topology as topo

ROOT = Path(__file__).resolve().parents[2]

CONNECTION_NAMES = [
    "FACEMESH_LIPS", "FACEMESH_LEFT_EYE", "FACEMESH_LEFT_IRIS",
    "FACEMESH_LEFT_EYEBROW", "FACEMESH_RIGHT_EYE", "FACEMESH_RIGHT_EYEBROW",
    "FACEMESH_RIGHT_IRIS", "FACEMESH_FACE_OVAL", "FACEMESH_NOSE",
    "FACEMESH_CONTOURS", "FACEMESH_IRISES", "FACEMESH_TESSELATION",
]

# name -> number of (directed) pairs, as in MediaPipe's face_mesh_connections.py
EDGE_COUNTS = {
    "FACEMESH_LIPS": 40, "FACEMESH_LEFT_EYE": 16, "FACEMESH_LEFT_IRIS": 4,
    "FACEMESH_LEFT_EYEBROW": 8, "FACEMESH_RIGHT_EYE": 16,
    "FACEMESH_RIGHT_EYEBROW": 8, "FACEMESH_RIGHT_IRIS": 4,
    "FACEMESH_FACE_OVAL": 36, "FACEMESH_NOSE": 25, "FACEMESH_CONTOURS": 124,
    "FACEMESH_IRISES": 8, "FACEMESH_TESSELATION": 2556,
}

INDEX_TUPLES = [
    "IRIS_33_133", "IRIS_362_263", "EYE_CORNERS_33_133", "EYE_CORNERS_362_263",
    "OUTER_EYE_CORNERS", "EYE_CONTOUR_33_133", "EYE_CONTOUR_362_263",
    "EYE_REFINEMENT_33_133", "EYE_REFINEMENT_362_263",
    "SUBSET_146", "SUBSET_68", "SUBSET_5",
]


def _verts(conn):
    return {v for e in conn for v in e}


def _undirected(pairs):
    return {frozenset(p) for p in pairs}


# ---------------------------------------------------------------- module hygiene

def test_imports_only_numpy():
    tree = ast.parse(Path(topo.__file__).read_text())
    mods = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            mods.add(node.module.split(".")[0])
    assert mods <= {"__future__", "numpy", "functools"}


def test_all_names_exist():
    for name in topo.__all__:
        assert hasattr(topo, name), name


def test_file_size():
    assert Path(topo.__file__).stat().st_size < 200_000


# ---------------------------------------------------------------- counts/ranges

def test_constants():
    assert topo.NUM_LANDMARKS == 478
    assert topo.NUM_MESH == 468
    assert topo.IRIS_33_133 == (468, 469, 470, 471, 472)
    assert topo.IRIS_362_263 == (473, 474, 475, 476, 477)
    assert topo.EYE_CORNERS_33_133 == (33, 133)
    assert topo.EYE_CORNERS_362_263 == (362, 263)
    assert topo.OUTER_EYE_CORNERS == (33, 263)


@pytest.mark.parametrize("name", CONNECTION_NAMES)
def test_connection_pairs_valid(name):
    conn = getattr(topo, name)
    assert isinstance(conn, frozenset)
    assert len(conn) == EDGE_COUNTS[name]
    for pair in conn:
        assert isinstance(pair, tuple) and len(pair) == 2
        a, b = pair
        assert isinstance(a, int) and isinstance(b, int)
        assert 0 <= a < topo.NUM_LANDMARKS and 0 <= b < topo.NUM_LANDMARKS
        assert a != b


@pytest.mark.parametrize("name", INDEX_TUPLES)
def test_index_tuples_valid(name):
    vals = getattr(topo, name)
    assert isinstance(vals, tuple)
    assert len(set(vals)) == len(vals)
    assert all(isinstance(v, int) and 0 <= v < topo.NUM_LANDMARKS for v in vals)


def test_tesselation_covers_mesh_only():
    assert len(topo.FACEMESH_TESSELATION) == 2556
    assert _verts(topo.FACEMESH_TESSELATION) == set(range(topo.NUM_MESH))
    # Each pair is listed in one direction only: 1322 undirected edges.
    assert len(_undirected(topo.FACEMESH_TESSELATION)) == 1322


def test_contours_is_union_of_parts():
    parts = [topo.FACEMESH_LIPS, topo.FACEMESH_LEFT_EYE, topo.FACEMESH_LEFT_EYEBROW,
             topo.FACEMESH_RIGHT_EYE, topo.FACEMESH_RIGHT_EYEBROW, topo.FACEMESH_FACE_OVAL]
    assert topo.FACEMESH_CONTOURS == frozenset().union(*parts)
    assert sum(map(len, parts)) == len(topo.FACEMESH_CONTOURS)  # disjoint parts
    assert not topo.FACEMESH_NOSE <= topo.FACEMESH_CONTOURS  # as in MediaPipe


@pytest.mark.parametrize("name, iris", [
    ("FACEMESH_RIGHT_IRIS", (468, 469, 470, 471, 472)),
    ("FACEMESH_LEFT_IRIS", (473, 474, 475, 476, 477)),
])
def test_iris_rings(name, iris):
    conn = getattr(topo, name)
    assert len(conn) == 4
    assert _verts(conn) == set(iris[1:])  # ring around the centre iris[0]
    assert all(d == 2 for d in Counter(v for e in conn for v in e).values())


def test_irises_is_union():
    assert topo.FACEMESH_IRISES == topo.FACEMESH_LEFT_IRIS | topo.FACEMESH_RIGHT_IRIS


@pytest.mark.parametrize("eye, corners, contour", [
    ("FACEMESH_RIGHT_EYE", "EYE_CORNERS_33_133", "EYE_CONTOUR_33_133"),
    ("FACEMESH_LEFT_EYE", "EYE_CORNERS_362_263", "EYE_CONTOUR_362_263"),
])
def test_eye_sides(eye, corners, contour):
    """MediaPipe's LEFT/RIGHT is the subject's side: LEFT_EYE is 362..263."""
    verts = _verts(getattr(topo, eye))
    assert set(getattr(topo, corners)) <= verts
    assert set(getattr(topo, contour)) == verts
    assert len(getattr(topo, contour)) == 16


# ---------------------------------------------------------------- subsets

def test_subsets():
    assert list(topo.SUBSETS) == [478, 146, 68, 5]  # cycle order
    for size, sub in topo.SUBSETS.items():
        assert isinstance(sub, tuple)
        assert len(sub) == size
        assert len(set(sub)) == size
        assert all(0 <= i < topo.NUM_LANDMARKS for i in sub)
    assert topo.SUBSETS[478] == tuple(range(478))
    assert topo.SUBSETS[146] is topo.SUBSET_146
    assert topo.SUBSETS[68] is topo.SUBSET_68
    assert topo.SUBSETS[5] is topo.SUBSET_5


def test_subset_contents():
    assert topo.SUBSET_5 == (468, 473, 4, 61, 291)
    assert topo.SUBSET_68[:3] == (162, 234, 93)
    assert topo.SUBSET_68[8] == 152  # chin
    assert topo.SUBSET_68[36] == 33 and topo.SUBSET_68[45] == 263  # outer eye corners
    assert topo.SUBSET_68[-1] == 87
    assert list(topo.SUBSET_146) == sorted(topo.SUBSET_146)
    assert set(range(468, 478)) <= set(topo.SUBSET_146)


# ---------------------------------------------------------------- iris refinement

def test_refinement_tables():
    a, b = topo.EYE_REFINEMENT_33_133, topo.EYE_REFINEMENT_362_263
    assert len(a) == len(set(a)) == 71
    assert len(b) == len(set(b)) == 71
    assert not set(a) & set(b)
    assert all(0 <= i < topo.NUM_MESH for i in a + b)
    assert a[:10] == (33, 7, 163, 144, 145, 153, 154, 155, 133, 246)
    assert b[:4] == (263, 249, 390, 373)
    assert a[-1] == 193 and b[-1] == 417
    assert a[:16] == topo.EYE_CONTOUR_33_133
    assert b[:16] == topo.EYE_CONTOUR_362_263


# ---------------------------------------------------------------- triangles

def _tri_edge_counts(tris):
    return Counter(frozenset(e) for x, y, z in tris for e in ((x, y), (y, z), (z, x)))


def test_triangles_valid():
    tris = topo.FACEMESH_TRIANGLES
    assert isinstance(tris, tuple)
    assert len(tris) == 898  # canonical_face_model.obj
    for t in tris:
        assert isinstance(t, tuple) and len(t) == 3 and len(set(t)) == 3
        assert all(isinstance(v, int) and 0 <= v < topo.NUM_MESH for v in t)
    assert len({frozenset(t) for t in tris}) == len(tris)
    assert {v for t in tris for v in t} == set(range(topo.NUM_MESH))


def test_triangles_oriented_disk_bounded_by_face_oval():
    tris = topo.FACEMESH_TRIANGLES
    directed = Counter((a, b) for x, y, z in tris for a, b in ((x, y), (y, z), (z, x)))
    assert max(directed.values()) == 1  # consistent winding
    und = _tri_edge_counts(tris)
    assert set(und.values()) <= {1, 2}  # manifold
    boundary = {e for e, c in und.items() if c == 1}
    assert boundary == _undirected(topo.FACEMESH_FACE_OVAL)
    assert topo.NUM_MESH - len(und) + len(tris) == 1  # Euler characteristic of a disk


def test_triangles_vs_tesselation():
    """How well the canonical triangles agree with FACEMESH_TESSELATION.

    Measured: 434 of 898 triangles (48.3 %) have all three edges in the
    tessellation, and 1113 of the mesh's 1365 edges are tessellation edges.
    The tessellation is a different triangulation of the same 468 points
    (852 triangles, listed as edge triples): the .obj takes the other diagonal
    in ~200 quads and also closes both eyes (14 triangles each) and the mouth
    (18 triangles), which the tessellation leaves open.
    """
    tess = _undirected(topo.FACEMESH_TESSELATION)
    tris = topo.FACEMESH_TRIANGLES
    full = sum(all(frozenset(e) in tess for e in ((x, y), (y, z), (z, x)))
               for x, y, z in tris)
    assert full == 434
    und = _tri_edge_counts(tris)
    assert sum(e in tess for e in und) == 1113
    # Every tessellation edge lies in the triangles' edge set or is the other
    # diagonal of a quad: both endpoints share a triangle-edge neighbour pair.
    nbrs = {}
    for e in und:
        a, b = tuple(e)
        nbrs.setdefault(a, set()).add(b)
        nbrs.setdefault(b, set()).add(a)
    for e in tess - set(und):
        a, b = tuple(e)
        assert len(nbrs[a] & nbrs[b]) >= 2, (a, b)
    # The extra triangles fill the eyes and the inner mouth.
    eye_r, eye_l = _verts(topo.FACEMESH_RIGHT_EYE), _verts(topo.FACEMESH_LEFT_EYE)
    inner_lips = {78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308,
                  191, 80, 81, 82, 13, 312, 311, 310, 415}
    assert inner_lips <= _verts(topo.FACEMESH_LIPS)
    assert sum(set(t) <= eye_r for t in tris) == 14
    assert sum(set(t) <= eye_l for t in tris) == 14
    assert sum(set(t) <= inner_lips for t in tris) == 18


def test_the_tables_module_is_data_only():
    """No numpy, no functions, nothing computed at import beyond frozenset unions."""
    tree = ast.parse(Path(topo.__file__).read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    imports = [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]
    assert [getattr(n, "module", None) for n in imports] == ["__future__"]


# ------------------------------------------------ the drawing tables (mesh_paths.py)

def _tool():
    import importlib.util
    path = Path(__file__).resolve().parents[2] / "tools" / "make_mesh_paths.py"
    spec = importlib.util.spec_from_file_location("make_mesh_paths", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _min_trails(pairs):
    """Fewest trails covering an undirected edge set: sum over components of max(1, odd/2)."""
    und = {tuple(sorted(p)) for p in pairs}
    parent = {}

    def find(v):
        parent.setdefault(v, v)
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    deg = Counter()
    for a, b in und:
        parent[find(a)] = find(b)
        deg[a] += 1
        deg[b] += 1
    odd = Counter(find(v) for v, d in deg.items() if d % 2)
    roots = {find(v) for v in deg}
    return sum(max(1, odd[r] // 2) for r in roots)


def _steps(walk):
    return [frozenset((int(a), int(b))) for a, b in zip(walk[:-1], walk[1:])]


def test_the_committed_tables_are_what_the_tool_computes():
    tool = _tool()
    assert (ROOT / "app" / "core" / "render" / "mesh_paths.py").read_text() == tool.render()


def test_the_tessellation_is_one_walk_over_every_edge():
    from app.core.render import mesh_paths
    walk = mesh_paths.TESSELLATION_ROUTE
    steps = _steps(walk)
    edges = _undirected(topo.FACEMESH_TESSELATION)
    assert set(steps) == edges  # every edge, and nothing but edges
    assert walk[0] == walk[-1]  # closed
    assert len(steps) <= 1.15 * len(edges)  # few edges walked twice


@pytest.mark.parametrize("name", ["face_oval", "lips", "left_eye", "left_eyebrow",
                                  "right_eye", "right_eyebrow", "nose", "contours"])
def test_trails_cover_each_contour_edge_once_with_the_fewest_trails(name):
    from app.core.render import mesh_paths
    from app.core.render.styles import CONTOUR_GROUPS
    connections = {**CONTOUR_GROUPS, "contours": topo.FACEMESH_CONTOURS}[name]
    trails = mesh_paths.TRAILS[name]
    used = Counter(step for t in trails for step in _steps(t))
    assert set(used.values()) == {1} and set(used) == _undirected(connections)
    assert len(trails) == _min_trails(connections)


def test_trail_and_route_algorithms_on_small_graphs():
    tool = _tool()
    assert tool.trails(frozenset()) == []
    (p,) = tool.trails(frozenset({(1, 2), (3, 2)}))
    assert sorted([p, p[::-1]])[0] == [1, 2, 3]
    star = frozenset({(0, 1), (0, 2), (0, 3)})  # 4 odd vertices -> 2 trails
    assert len(tool.trails(star)) == 2
    (loop,) = tool.trails(frozenset({(1, 2), (2, 3), (3, 1)}))
    assert loop[0] == loop[-1] and len(loop) == 4
    walk = tool.route(star)  # one walk: two spokes walked twice
    assert set(_steps(walk)) == _undirected(star) and len(walk) - 1 == 6
    with pytest.raises(ValueError):
        tool.route(frozenset({(0, 1), (2, 3)}))


def test_the_drawing_tables_module_is_data_only():
    from app.core.render import mesh_paths
    tree = ast.parse(Path(mesh_paths.__file__).read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef,
                                                            ast.Import, ast.ImportFrom))]
