"""Plain-data codec between the grader and a submission's kernel: JSON, and arrays as ``.npy``.

A value crosses the boundary as a tree of JSON objects ``{"k": kind, ...}``:

=========== ==================================================================
kind        fields
=========== ==================================================================
``none``    (nothing)
``bool``    ``v``: true or false
``int``     ``v``: an integer
``float``   ``v``: a number (``NaN`` and ``Infinity`` allowed)
``str``     ``v``: a string
``tensor``  ``npy``: base64 of ``numpy.save(..., allow_pickle=False)``; a torch tensor
``ndarray`` ``npy``: the same for a NumPy array
``list``    ``v``: a list of nodes (a tuple is ``tuple``)
``dict``    ``v``: a list of ``[key, node]`` pairs (keys as strings)
``raised``  ``types``: the names in the exception class's MRO; ``msg``: its message
``object``  ``type``: the qualified class name of anything else (a model, a generator, ...)
=========== ==================================================================

Nothing is ever pickled, in either direction: arrays are read back with
``numpy.load(..., allow_pickle=False)``, so decoding an answer runs no code of the submission.

This file has no dlbook import: its source is sent into the submission's kernel (where
:func:`run_probe` computes and prints an answer) and is imported by the grader.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from typing import Any

MAX_ITEMS = 100_000  # list or dict entries per node
MAX_DEPTH = 32
MAX_STR = 100_000


def _array_node(kind: str, arr: Any) -> dict:
    import numpy as np

    buf = io.BytesIO()
    np.save(buf, np.asarray(arr), allow_pickle=False)  # object arrays raise ValueError
    return {"k": kind, "npy": base64.b64encode(buf.getvalue()).decode("ascii")}


def encode(value: Any, depth: int = 0) -> dict:
    """Encode ``value`` as a plain-data node (see the module docstring)."""
    if depth > MAX_DEPTH:
        return {"k": "object", "type": "<nested too deep>"}
    if value is None:
        return {"k": "none"}
    if isinstance(value, bool):
        return {"k": "bool", "v": value}
    if isinstance(value, int):
        return {"k": "int", "v": int(value)}
    if isinstance(value, float):
        return {"k": "float", "v": float(value)}
    if isinstance(value, str):
        return {"k": "str", "v": str(value)[:MAX_STR]}
    torch = sys.modules.get("torch")
    np = sys.modules.get("numpy")
    try:
        if torch is not None and isinstance(value, torch.Tensor):
            t = value.detach().cpu()
            if t.dtype in (torch.bfloat16, torch.float16):
                t = t.float()
            if t.is_complex() or t.is_sparse:
                return {"k": "object", "type": "torch.Tensor (complex or sparse)"}
            return _array_node("tensor", t.numpy())
        if np is not None and isinstance(value, np.ndarray):
            return _array_node("ndarray", value)
        if np is not None and isinstance(value, np.generic):
            return encode(value.item(), depth + 1)
    except (ValueError, TypeError, RuntimeError):
        pass
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {"k": kind, "v": [encode(v, depth + 1) for v in list(value)[:MAX_ITEMS]]}
    if isinstance(value, dict):
        items = list(value.items())[:MAX_ITEMS]
        return {"k": "dict", "v": [[str(k), encode(v, depth + 1)] for k, v in items]}
    cls = type(value)
    return {"k": "object", "type": f"{getattr(cls, '__module__', '?')}.{getattr(cls, '__qualname__', '?')}"}


def load_array(node: dict) -> Any:
    """The array of a ``tensor``/``ndarray`` node, read without pickle."""
    import numpy as np

    raw = base64.b64decode(node["npy"].encode("ascii"), validate=True)
    arr = np.load(io.BytesIO(raw), allow_pickle=False)
    if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
        raise ValueError("not a plain numeric array")
    return arr


def decode(node: dict, torch_tensors: bool = True, depth: int = 0) -> Any:
    """Decode a node into Python values; tensors become torch tensors when ``torch_tensors``
    (in the kernel) and NumPy arrays otherwise (in the grader). Raises ``ValueError`` on
    anything malformed."""
    if depth > MAX_DEPTH or not isinstance(node, dict):
        raise ValueError("malformed node")
    kind = node.get("k")
    if kind == "none":
        return None
    if kind in ("bool", "int", "float", "str"):
        value = node.get("v")
        expected = {"bool": bool, "int": int, "float": (int, float), "str": str}[kind]
        if not isinstance(value, expected) or (kind != "bool" and isinstance(value, bool)):
            raise ValueError(f"malformed {kind} node")
        return float(value) if kind == "float" else value
    if kind in ("tensor", "ndarray"):
        arr = load_array(node)
        if kind == "tensor" and torch_tensors:
            import torch

            return torch.from_numpy(arr.copy())
        return arr
    if kind in ("list", "tuple"):
        items = node.get("v")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValueError("malformed list node")
        out = [decode(v, torch_tensors, depth + 1) for v in items]
        return tuple(out) if kind == "tuple" else out
    if kind == "dict":
        items = node.get("v")
        if not isinstance(items, list) or len(items) > MAX_ITEMS:
            raise ValueError("malformed dict node")
        return {str(k): decode(v, torch_tensors, depth + 1) for k, v in items}
    if kind == "raised":
        return Raised([str(t) for t in node.get("types", [])][:64], str(node.get("msg", ""))[:500])
    if kind == "object":
        return Opaque(str(node.get("type", "?"))[:200])
    raise ValueError(f"unknown kind {kind!r}")


class Raised:
    """An answer that is an exception: the names of its class's MRO and its message."""

    def __init__(self, types: list[str], msg: str = "") -> None:
        self.types, self.msg = types, msg

    def __repr__(self) -> str:
        return f"Raised({self.types[0] if self.types else '?'}: {self.msg[:60]!r})"


class Opaque:
    """An answer that is not plain data (a model, a generator, ...): only its class name."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"Opaque({self.type_name})"


def run_probe(g: dict, payload: str, marker: str) -> None:
    """Kernel side: evaluate one probe in the notebook's namespace ``g`` and print the answer.

    ``payload`` is JSON: ``{"code": str, "inputs": {name: node}, "after": [names]}``. The code is
    an expression (its value is the answer) or statements that set ``answer``. The answer, and
    the values of the ``after`` names once it ran (to check inputs were not changed in place),
    are printed on one line after ``marker``. An exception becomes a ``raised`` answer.

    When ``after`` names inputs, the code then runs a second time on the same objects (with the
    inputs in ``again``, ``{name: node}``, drawn afresh for it in place of the first ones) and
    its answer is sent as ``again``: a call that changed its inputs in place answers the second
    time from changed inputs, so the grader (which compares ``again`` with the master's) sees
    it from the returned values, without trusting the reported ``after`` values alone.
    """
    spec = json.loads(payload)
    inputs = {name: decode(node) for name, node in spec["inputs"].items()}
    ns = dict(g)
    ns.update(inputs)

    def evaluate() -> dict:
        try:
            try:
                code = compile(spec["code"], "<hidden test>", "eval")
            except SyntaxError:
                exec(compile(spec["code"], "<hidden test>", "exec"), ns)
                value = ns["answer"]
            else:
                value = eval(code, ns)
            return encode(value)
        except (Exception, SystemExit) as err:  # the student's code raised: that is the answer
            return {"k": "raised", "types": [c.__name__ for c in type(err).__mro__], "msg": str(err)[:500]}

    answer = evaluate()
    names = list(spec.get("after", []))
    reply = {"answer": answer, "after": {name: encode(ns.get(name)) for name in names}}
    if names:
        ns.update({name: decode(node) for name, node in spec.get("again", {}).items() if name not in names})
        reply["again"] = evaluate()
    sys.stdout.write(marker + " " + json.dumps(reply) + "\n")
    sys.stdout.flush()
