"""bench/blendshapes.py's counting: a callgrind dump -> label, instructions, numpy calls.

The counted run needs valgrind; what reads its dumps is plain Python, checked here on a
dump written as callgrind writes them (names given at their first use, then referred to
by number; a call's object named only when it differs from the caller's)."""
from __future__ import annotations

from bench.blendshapes import parse_dump

NUMPY = "/venv/lib/python3.11/site-packages/numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so"
DUMP = f"""# callgrind format
version: 1
creator: callgrind-3.19.0
part: 4

desc: Trigger: Client Request: after

positions: line
events: Ir
summary: 45022155

ob=(6) /usr/lib/libpython3.11.so.1.0
fn=(1) _PyEval_EvalFrameDefault
cob=(31) {NUMPY}
cfn=(2) ufunc_generic_vectorcall
calls=19 0
0 900
cob=(31)
cfn=(3) array_dealloc
calls=100 0
0 50
fn=(4) PyNumber_MatrixMultiply
cob=(31)
cfn=(5) array_matrix_multiply
calls=38 0
0 1000
fn=(6) object_vacall
cob=(31)
cfn=(2)
calls=96 0
0 10
fn=(7) PyNumber_Add
cob=(31)
cfn=(8) array_add
calls=27 0
0 10
cob=(9) /usr/lib/libc.so.6
cfn=(10) memset
calls=5 0
0 10

ob=(31)
fn=(11) PyArray_TransferNDimToStrided
cfn=(12) _contig_to_contig
calls=800 0
0 77
cob=(6)
cfn=(13) PyObject_CallFunctionObjArgs
calls=3 0
0 5
"""


def test_numpy_calls_are_the_interpreters_calls_into_numpy(tmp_path):
    path = tmp_path / "cg.out.4"
    path.write_text(DUMP)
    label, instructions, calls = parse_dump(path)
    assert label == "after" and instructions == 45022155
    # ufunc 19 + matmul 38 + add 27; not: deallocations, the ufunc an operator calls back
    # through libpython (object_vacall), libc, numpy's calls inside itself or back out
    assert calls == 19 + 38 + 27


def test_a_python_named_extension_is_not_the_interpreter(tmp_path):
    """numpy's own module has "cpython" in its name: its calls are not the interpreter's."""
    path = tmp_path / "cg.out.1"
    path.write_text(f"desc: Trigger: Client Request: before\nsummary: 5\nob=(1) {NUMPY}\n"
                    "fn=(1) PyArray_NewFromDescr_int\ncfn=(2) PyArray_UpdateFlags\ncalls=9 0\n0 5\n")
    assert parse_dump(path) == ("before", 5, 0)
