"""What one evaluation of the numpy blendshape network costs: before/after, side by side.

    python bench/blendshapes.py [--evals 20] [--before REV]

- after:  app/core/expressions/network.py (the structured MLP-Mixer) with its weights;
- before: the generic op-list interpreter it replaced, with its weights file, both taken
          from git (REV: default the commit before the weights moved out of models/).

Both run in one process under valgrind's callgrind (OPENBLAS_NUM_THREADS=1: OpenBLAS's
threads make callgrind's totals inconsistent), on the real faces of the peer fixture; a
marker (bench/cgmark.c, cg_dump(label) as bench/device_cost.py uses it) dumps the count
after each network's evaluations, after a warm-up. Prints per evaluation: x86
instructions, and numpy calls: the calls the Python interpreter makes into numpy's
C core (an operator, a ufunc, np.asarray, a method, an attribute, an index; counted by
callgrind as calls from libpython's code into numpy's, less the deallocations and the
ufunc call an operator makes back through libpython). Also checks, natively, that the
two agree on those faces (max abs difference). Needs valgrind and a C
compiler (`apt-get install -y valgrind`).
"""
from __future__ import annotations

import argparse
import ctypes
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "bench" / ".build"
MARKER_LIB = BUILD / "cgmark.so"
OLD_WEIGHTS = "models/blendshapes_weights.npz"
TRIGGER = "desc: Trigger: Client Request: "
sys.path.insert(0, str(ROOT))


def real_faces() -> list[object]:
    """The 146 input points of every face in the peer fixture (stills and clip)."""
    import numpy as np

    from app.core.expressions.tables import BLENDSHAPE_INPUT_POINTS

    peer = json.loads((ROOT / "tests" / "fixtures" / "face_landmarker_peer.json").read_text())
    faces = [f for image in peer["images"].values() for f in image["faces"]]
    faces += [f for frame in peer["single_face.mp4"] for f in frame]
    return [np.asarray(f["xy"], np.float32)[list(BLENDSHAPE_INPUT_POINTS)] for f in faces]


def before_rev() -> str:
    """The commit before the one that removed the generic port's weights file."""
    removed = subprocess.run(["git", "rev-list", "-1", "HEAD", "--", OLD_WEIGHTS], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout.strip()
    if not removed:
        raise SystemExit(f"error: no commit touches {OLD_WEIGHTS}; give --before REV")
    return removed + "^"


def export_before(rev: str, folder: Path) -> tuple[Path, Path]:
    """The generic port's module and weights at `rev`, written into `folder`."""
    out = []
    for path, name in (("app/core/expressions/network.py", "network_before.py"),
                       (OLD_WEIGHTS, "weights_before.npz")):
        data = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True,
                              check=True).stdout
        (folder / name).write_bytes(data)
        out.append(folder / name)
    return out[0], out[1]


def model_multiply_adds() -> int:
    """The model's own multiply-adds per evaluation: each 1x1 Conv2D's kernel times the
    rows it runs on (conv2d: x and y; the embedding: 96 tokens; token mixing: 64
    channels; channel mixing: 97 tokens; output_blendweights: the extra token)."""
    import numpy as np

    from app.core.expressions.network import WEIGHTS

    rows = {"conv2d/": 2, "input_tokens_embedding/": 96, "mlp_token_mixing/": 64,
            "mlp_channel_mixing/": 97, "output_blendweights/": 1}
    with np.load(WEIGHTS) as w:
        return sum(w[k].size * n for k in w.files if k.endswith("/Conv2D")
                   for part, n in rows.items() if part in k)


def networks(module: str | Path, weights: str | Path) -> dict[str, object]:
    """{"before": the generic port (module and weights given), "after": today's}."""
    from app.core.expressions.network import BlendshapeNetwork

    spec = importlib.util.spec_from_file_location("network_before", module)
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(old)
    return {"before": old.BlendshapeNetwork(weights), "after": BlendshapeNetwork()}


def child(module: str, weights: str, evals: int) -> None:
    """Under callgrind: warm both networks up, then count each one's evaluations."""
    faces = real_faces()
    lib = ctypes.CDLL(str(MARKER_LIB))
    batch = [faces[i * len(faces) // evals] for i in range(evals)]
    for label, network in networks(module, weights).items():
        for p in faces[:3]:
            network(p)
        lib.cg_dump(b"setup")
        for p in batch:
            network(p)
        lib.cg_dump(label.encode())


def parse_dump(path: Path) -> tuple[str, int, int]:
    """(label, instructions, numpy calls) of one callgrind dump."""
    label, total = "", 0
    names: dict[str, dict[str, str]] = {"ob": {}, "fn": {}}
    ob = cob = fn = cfn = ""
    calls = 0

    def name(kind: str, value: str) -> str:
        m = re.match(r"\((\d+)\)(?: (.*))?", value)
        if not m:
            return value
        if m.group(2) is not None:
            names[kind][m.group(1)] = m.group(2)
        return names[kind].get(m.group(1), "")

    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith(TRIGGER):
                label = line[len(TRIGGER):].strip()
            elif line.startswith(("summary:", "totals:")):
                total = int(line.split()[1])
            elif line.startswith("ob="):
                ob = name("ob", line[3:].strip())
            elif line.startswith("fn="):
                fn = name("fn", line[3:].strip())
                cob = ""
            elif line.startswith("cob="):
                cob = name("ob", line[4:].strip())
            elif line.startswith("cfn="):
                cfn = name("fn", line[4:].strip())
            elif line.startswith("calls="):
                callee = cob or ob
                if (os.path.basename(ob).startswith(("python", "libpython"))
                        and "_multiarray_umath" in callee and "dealloc" not in cfn
                        and not (fn.startswith("object_vacall")  # an operator's own ufunc
                                 and cfn.startswith("ufunc_generic_vectorcall"))):
                    calls += int(line.split("=")[1].split()[0])
                cob = ""
    return label, total, calls


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--evals", type=int, default=20, help="counted evaluations per network")
    parser.add_argument("--before", help="git revision of the generic port (default: found)")
    parser.add_argument("--child", nargs=3, metavar=("MODULE", "WEIGHTS", "EVALS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return 0
    BUILD.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cc", "-O2", "-shared", "-fPIC", "-o", str(MARKER_LIB),
                    str(ROOT / "bench" / "cgmark.c")], check=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        module, weights = export_before(args.before or before_rev(), work)
        import numpy as np

        nets, faces = networks(module, weights), real_faces()
        diff = max(float(np.abs(nets["before"](p) - nets["after"](p)).max()) for p in faces)
        print(f"before == after on {len(faces)} real faces within {diff:.2g} (max abs)", flush=True)
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONPATH=str(ROOT))
        cmd = ["valgrind", "--tool=callgrind", "--dump-instr=no", "--dump-line=no",
               f"--callgrind-out-file={work}/cg.out", sys.executable, __file__, "--child",
               str(module), str(weights), str(args.evals)]
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise SystemExit(f"error: the counted run failed:\n{result.stderr[-3000:]}")
        counts = {label: (total, calls) for label, total, calls in
                  (parse_dump(p) for p in work.glob("cg.out.*")) if label in ("before", "after")}
    if set(counts) != {"before", "after"}:
        raise SystemExit(f"error: dumps missing: {sorted(counts)}")
    n = args.evals
    print(f"\nper evaluation (mean of {n}, callgrind, x86, OPENBLAS_NUM_THREADS=1):\n")
    from app.core.expressions.network import BlendshapeNetwork

    macs = {"before": model_multiply_adds(), "after": BlendshapeNetwork().multiply_adds}
    print("| port | multiply-adds | x86 instructions | numpy calls |")
    print("|---|---:|---:|---:|")
    for label in ("before", "after"):
        total, calls = counts[label]
        print(f"| {label} | {macs[label] / 1e6:.1f} M | {total / n / 1e6:.2f} M | {calls / n:.0f} |")
    (tb, cb), (ta, ca) = counts["before"], counts["after"]
    print(f"\nafter/before: instructions {ta / tb:.2f}x, numpy calls {ca / cb:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
