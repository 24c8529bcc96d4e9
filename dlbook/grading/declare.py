"""Hidden tests as declarations: the calls to make in the submission, and how to judge them.

A hidden test cell of a master (``# HIDDEN`` in otter's assign format) holds one or more
:func:`probe` declarations instead of assertions. The grader runs each declaration's code in the
submission's kernel, on inputs it draws at grading time from a seed the notebook cannot know,
gets the answer back as plain data (:mod:`dlbook.grading.codec`) and judges it in its own
process: against the master's answer for the same inputs (computed in a separate kernel), with
the tolerances declared here, or with a declared ``check`` function. Nothing the submission
defines or patches (``np.allclose``, ``torch.testing``, ``dlbook.accuracy``, ...) takes part in
the verdict. See ``exercises/README.md`` (section *Authoring hidden tests*) for worked examples.
"""

from __future__ import annotations

import doctest
import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

from . import codec

__all__ = ["Probe", "Draw", "DeclarationError", "probe", "accuracy", "digits_inputs", "accuracy_at_least",
           "numel", "size_at_most", "parse_declarations", "judge"]


class DeclarationError(ValueError):
    """A master's hidden test is not a valid declaration (for instance, still in the old form)."""


@dataclass
class Probe:
    """One call into the submission; see :func:`probe` for the meaning of the fields."""

    code: str
    inputs: Callable[[Draw], dict[str, Any]] | None = None
    atol: float = 1e-6
    rtol: float = 1e-5
    loose: bool = False
    raises: str | None = None
    check: Callable[[Any, Any, dict[str, Any]], bool] | None = None
    unchanged: tuple[str, ...] = ()
    private: tuple[str, ...] = ()
    redraw: tuple[str, ...] = ()

    @property
    def needs_reference(self) -> bool:
        return self.check is None and self.raises is None


@dataclass
class Draw:
    """The random source handed to a probe's ``inputs`` function.

    Attributes:
        seed: an integer drawn by the grader for this probe (new for every batch).
        torch: a ``torch.Generator`` seeded with it (``torch.randn(3, generator=r.torch)``).
        np: a ``numpy.random.Generator`` seeded with it.
    """

    seed: int
    torch: Any = field(repr=False, default=None)
    np: Any = field(repr=False, default=None)

    @classmethod
    def for_probe(cls, batch_seed: int, probe_id: str) -> Draw:
        import numpy as np
        import torch

        digest = hashlib.sha256(f"{batch_seed}:{probe_id}".encode()).digest()
        seed = int.from_bytes(digest[:7], "big")
        return cls(seed, torch.Generator().manual_seed(seed), np.random.default_rng(seed))


_COLLECTING: list[list[Probe]] = []


def probe(
    code: str,
    inputs: Callable[[Draw], dict[str, Any]] | None = None,
    *,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    loose: bool = False,
    raises: str | None = None,
    check: Callable[[Any, Any, dict[str, Any]], bool] | None = None,
    unchanged: tuple[str, ...] | list[str] = (),
    private: tuple[str, ...] | list[str] = (),
    redraw: tuple[str, ...] | list[str] = (),
) -> Probe:
    """Declare one call into the submission (inside a master's ``# HIDDEN`` test cell).

    Args:
        code: Python run in the submission's kernel, in the notebook's namespace plus the
            inputs: an expression (``"mse(a, b)"``; its value is the answer) or statements that
            set ``answer``. Keep the judging out of it: it runs where the student's code runs.
        inputs: ``inputs(r) -> {name: value}`` with ``r`` a :class:`Draw`; runs in the grader.
            Values: tensors, arrays, numbers, strings, lists, tuples, dicts of those.
        atol, rtol: tolerances of the default verdict, ``numpy.allclose``-style.
        loose: compare numbers, arrays and tensors by value only (a float may answer a 0-d
            tensor, a list a tensor); by default the kind must match the master's
            (tensor, array, number, string, sequence; int and float count as one kind).
        check: ``check(answer, reference, inputs) -> bool`` run in the grader instead of the
            comparison with the master; tensors arrive as NumPy arrays, an exception as
            :class:`~dlbook.grading.codec.Raised`. Used for train-to-a-threshold questions.
        unchanged: input names that must hold the same values after the call (no in-place
            changes). Checked twice: the values the kernel reports after the call must equal
            those sent, and the same call, made a second time on the same objects, must again
            give the master's answer (an in-place change that alters the answer shows in the
            returned values themselves; see ``codec.run_probe``).
        redraw: with ``unchanged``, input names drawn afresh for that second call (the
            ``unchanged`` ones stay the very objects of the first call). Then the second answer
            cannot be copied from the first: a kernel that changed ``w0`` in place and rewrote
            its report would have to compute the step from the original ``w0`` on new data,
            which is the work itself. Name only inputs whose new draw fits the kept ones
            (same shapes), e.g. ``unchanged=("w0", "b0"), redraw=("X", "y", "lr")``.
        raises: the test passes when the code raises this exception class (or a subclass).
            A test case made only of ``raises`` probes scores only when every other case of
            its question passes (the grader enforces it: raising alone earns nothing).
        private: input names kept in the grader (labels for ``check``): not sent to the kernel.

    Returns:
        The :class:`Probe`, also recorded for the test case being declared.
    """
    if not isinstance(code, str) or not code.strip():
        raise DeclarationError(f"probe code must be a non-empty str, got {code!r}")
    if inputs is not None and not callable(inputs):
        raise DeclarationError(f"probe inputs must be a function inputs(r) -> dict, got {type(inputs).__name__}")
    if check is not None and not callable(check):
        raise DeclarationError(f"probe check must be a function check(answer, reference, inputs), got {check!r}")
    if redraw and not unchanged:
        raise DeclarationError("probe redraw= names inputs for the repeated call, which only unchanged= makes")
    if set(redraw) & set(unchanged):
        raise DeclarationError(f"probe redraw= and unchanged= share {sorted(set(redraw) & set(unchanged))}")
    p = Probe(code, inputs, float(atol), float(rtol), bool(loose), raises, check, tuple(unchanged), tuple(private),
              tuple(redraw))
    if _COLLECTING:
        _COLLECTING[-1].append(p)
    return p


def accuracy(scores: Any, labels: Any) -> float:
    """Share of rows whose largest score (or whose label, for 1-D integer answers) is the label.

    The grader's own accuracy, computed in its process from the submission's plain-data answer.

    Args:
        scores: ``(N, C)`` class scores or ``(N,)`` predicted labels (array or nested lists).
        labels: ``(N,)`` true labels.

    Returns:
        A float in [0, 1]; 0.0 when the answer has the wrong shape or is not numeric.
    """
    import numpy as np

    y = np.asarray(labels).reshape(-1)
    try:
        s = np.asarray(scores, dtype=np.float64)
    except (TypeError, ValueError):
        return 0.0
    if s.ndim == 2 and s.shape[0] == len(y) and s.shape[1] > 0:
        pred = s.argmax(axis=1)  # (N, C) -> (N,)
    elif s.ndim == 1 and s.shape[0] == len(y):
        pred = s
    else:
        return 0.0
    if not np.all(np.isfinite(s)):
        return 0.0
    return float((pred == y).mean()) if len(y) else 0.0


def digits_inputs(flatten: bool = False, size: int = 8) -> Callable[[Draw], dict[str, Any]]:
    """Inputs for a train-to-a-threshold question on the digits: ``X`` (sent), ``y`` and ``split``.

    The validation and test images (``dlbook.data.load_digits``) in an order drawn from the
    grader's seed, so an answer must be computed row by row. Declare ``y`` and ``split``
    private: the labels stay in the grader.

    Args:
        flatten, size: as for ``load_digits``: ``X`` is ``(N, size*size)`` or ``(N, 1, size, size)``.
    """

    def inputs(r: Draw) -> dict[str, Any]:
        import torch

        from dlbook import data

        s = data.load_digits(size=size, flatten=flatten)
        X = torch.cat([s.val.tensors[0], s.test.tensors[0]])  # (N, ...) with N = n_val + n_test
        y = torch.cat([s.val.tensors[1], s.test.tensors[1]])  # (N,)
        split = torch.cat([torch.zeros(len(s.val), dtype=torch.int64), torch.ones(len(s.test), dtype=torch.int64)])
        perm = torch.randperm(len(y), generator=r.torch)
        return {"X": X[perm], "y": y[perm].numpy(), "split": split[perm].numpy()}

    return inputs


def accuracy_at_least(val: float, test: float) -> Callable[[Any, Any, dict[str, Any]], bool]:
    """A ``check`` for :func:`digits_inputs`: the answer's ``(N, C)`` scores reach ``val`` accuracy
    on the validation rows and ``test`` on the test rows (computed by :func:`accuracy`)."""
    import numpy as np

    def check(answer: Any, reference: Any, inputs: dict[str, Any]) -> bool:
        try:
            scores = np.asarray(answer, dtype=np.float64)
        except (TypeError, ValueError):
            return False
        y, split = inputs["y"], inputs["split"]
        if scores.ndim != 2 or scores.shape[0] != len(y):
            return False
        on_val, on_test = split == 0, split == 1
        return accuracy(scores[on_val], y[on_val]) >= val and accuracy(scores[on_test], y[on_test]) >= test

    return check


def numel(answer: Any) -> int:
    """Number of values in an answer: every element of every array, every number, in nested
    lists, tuples and dicts (a string or ``None`` counts 0). Computed in the grader."""
    import numpy as np

    if isinstance(answer, dict):
        return sum(numel(v) for v in answer.values())
    if isinstance(answer, (list, tuple)):
        return sum(numel(v) for v in answer)
    if isinstance(answer, np.ndarray):
        return int(answer.size)
    if isinstance(answer, (bool, int, float)):
        return 1
    if isinstance(answer, (str, type(None))):
        return 0
    raise TypeError(f"expected tensors, arrays, numbers or containers of them, got {type(answer).__name__}")


def size_at_most(limit: int, at_least: int = 1) -> Callable[[Any, Any, dict[str, Any]], bool]:
    """A ``check`` for a size budget, counted by the grader from the returned tensors.

    Declare the model's whole state as the answer, e.g.
    ``probe("student.state_dict()", check=size_at_most(1000))``: parameters *and* buffers come
    back as arrays and :func:`numel` counts them here, so a model that hides weights in buffers
    is counted in full, and nothing the kernel computes (``numel()``, ``parameters()``) is
    trusted. What the kernel does not return (a tensor held outside the module) is not counted:
    pair it with an accuracy probe in an ``all_or_nothing`` question.

    Args:
        limit: the largest number of values allowed.
        at_least: the smallest (default 1: an empty answer fails).
    """
    if not isinstance(limit, int) or limit < 1:
        raise DeclarationError(f"size_at_most: limit must be a positive int, got {limit!r}")

    def check(answer: Any, reference: Any, inputs: dict[str, Any]) -> bool:
        return at_least <= numel(answer) <= limit

    return check


# Names a declaration cell can use without importing them.
def _namespace() -> dict[str, Any]:
    return {"probe": probe, "accuracy": accuracy, "digits_inputs": digits_inputs, "size_at_most": size_at_most,
            "accuracy_at_least": accuracy_at_least, "numel": numel, "__name__": "dlbook_hidden_test"}


def case_source(body: str) -> str:
    """The Python source of an otter test case body (doctest ``>>>`` lines)."""
    parser = doctest.DocTestParser()
    examples = [e for e in parser.parse(body) if isinstance(e, doctest.Example)]
    return "".join(e.source for e in examples)


def parse_declarations(body: str, where: str) -> list[Probe]:
    """The probes a hidden test case declares.

    Args:
        body: the case's code, as otter writes it (doctest format) or plain Python.
        where: ``"<exercise> <question> hidden test <i>"``, for error messages.

    Raises:
        DeclarationError: if the case declares no probe, fails to run in the grader (an
            old-form test that calls the student's functions fails with ``NameError``), or
            contains ``assert`` statements next to its probes.
    """
    source = case_source(body) if ">>>" in body else body
    hint = ("hidden tests are declarations now: probe(code, inputs, ...) calls that the grader "
            "runs in the submission and judges outside it; see exercises/README.md, "
            "'Authoring hidden tests'")
    _COLLECTING.append([])
    try:
        exec(compile(source, where, "exec"), _namespace())  # the master's own test code
    except Exception as err:
        raise DeclarationError(f"{where} is in the old form or broken ({type(err).__name__}: {err}); {hint}") from err
    finally:
        probes = _COLLECTING.pop()
    if not probes:
        raise DeclarationError(f"{where} declares no probe (old form?); {hint}")
    if any(line.startswith("assert ") for line in source.splitlines()):
        raise DeclarationError(f"{where} mixes assert statements with probes: a top-level assert runs "
                               f"once in the grader, not on the answer; {hint}")
    return probes


# --------------------------------------------------------------------------------------------
# Verdicts: computed in the grader, from plain data only
# --------------------------------------------------------------------------------------------

_NUMBER = {"int", "float"}
_SEQ = {"list", "tuple"}
_ARRAYISH = {"tensor", "ndarray", "int", "float", "bool", "list", "tuple"}


def _group(kind: str) -> str:
    return "number" if kind in _NUMBER else "sequence" if kind in _SEQ else kind


def _as_array(node: dict):
    import numpy as np

    value = codec.decode(node, torch_tensors=False)
    arr = np.asarray(value)
    if arr.dtype.hasobject:
        raise ValueError("not numeric")
    return arr


def same(answer: dict, ref: dict, atol: float, rtol: float, loose: bool, depth: int = 0) -> bool:
    """Whether the answer node matches the reference node (the default verdict)."""
    import numpy as np

    if depth > codec.MAX_DEPTH or not isinstance(answer, dict) or not isinstance(ref, dict):
        return False
    ka, kr = answer.get("k"), ref.get("k")
    if kr == "raised":
        return ka == "raised" and bool(ref.get("types")) and ref["types"][0] in answer.get("types", [])
    if ka == "raised" or kr == "object" or ka == "object":
        return False
    if loose and ka in _ARRAYISH and kr in _ARRAYISH and kr not in _SEQ | {"bool"}:
        try:
            a, r = _as_array(answer), _as_array(ref)
        except (ValueError, TypeError):
            return False
        return _close(a, r, atol, rtol)
    if _group(ka) != _group(kr):
        return False
    if kr == "none":
        return True
    if kr in ("bool", "str"):
        return answer.get("v") == ref.get("v")
    if kr == "int" and ka == "int":
        return answer.get("v") == ref.get("v")
    if kr in _NUMBER:
        a, r = answer.get("v"), ref.get("v")
        if isinstance(a, bool) or not isinstance(a, (int, float)):
            return False
        return _close(np.asarray(float(a)), np.asarray(float(r)), atol, rtol)
    if kr in ("tensor", "ndarray"):
        try:
            a, r = codec.load_array(answer), codec.load_array(ref)
        except (ValueError, TypeError, KeyError):
            return False
        return _close(a, r, atol, rtol)
    if kr in _SEQ:
        va, vr = answer.get("v"), ref.get("v")
        return (isinstance(va, list) and len(va) == len(vr)
                and all(same(x, y, atol, rtol, loose, depth + 1) for x, y in zip(va, vr)))
    if kr == "dict":
        try:
            da, dr = dict((str(k), v) for k, v in answer.get("v")), dict((str(k), v) for k, v in ref.get("v"))
        except (TypeError, ValueError):
            return False
        return da.keys() == dr.keys() and all(same(da[k], dr[k], atol, rtol, loose, depth + 1) for k in dr)
    return False


def _close(a, r, atol: float, rtol: float) -> bool:
    import numpy as np

    if a.shape != r.shape:
        return False
    if a.dtype.kind not in "biuf" or r.dtype.kind not in "biuf":
        return False
    if r.dtype.kind in "biu" and a.dtype.kind in "biu":
        return bool(np.array_equal(a, r))
    a64, r64 = a.astype(np.float64), r.astype(np.float64)
    if not np.array_equal(np.isnan(a64), np.isnan(r64)):
        return False
    mask = ~np.isnan(r64)
    # not np.allclose: a verdict must not depend on anything a notebook could reach
    diff = np.abs(a64[mask] - r64[mask])
    return bool(np.all(diff <= atol + rtol * np.abs(r64[mask])))


def judge(p: Probe, answer: dict | None, reference: dict | None, inputs: dict[str, Any],
          sent: dict[str, dict], inputs_again: dict[str, Any] | None = None) -> tuple[bool, str]:
    """The verdict on one probe: ``(passed, why)``; runs in the grader.

    Args:
        p: the declaration.
        answer: the submission's reply ``{"answer": node, "after": {name: node}}`` or None.
        reference: the master's reply for the same inputs (None when ``p`` has a ``check``).
        inputs: the inputs as drawn (private ones included), for ``check``.
        sent: the encoded inputs sent to the kernel, for ``unchanged``.
        inputs_again: the inputs of the repeated call (``redraw``), for ``check``; default ``inputs``.
    """
    if not isinstance(answer, dict) or not isinstance(answer.get("answer"), dict):
        return False, "no answer"
    node = answer["answer"]
    after = answer.get("after") if isinstance(answer.get("after"), dict) else {}
    for name in p.unchanged:
        if name not in after or not _identical(after[name], sent[name]):
            return False, f"{name} was changed in place"
    ok, why = _verdict(p, node, reference, "answer", inputs)
    if not ok or not p.unchanged:
        return ok, why
    # In-place check from the returned values: the same call, made again on the same objects
    # (codec.run_probe), must still give the master's answer to that second call.
    again = answer.get("again")
    if not isinstance(again, dict):
        return False, "no answer to the repeated call"
    ok, why = _verdict(p, again, reference, "again", inputs_again if inputs_again is not None else inputs)
    return ok, "" if ok else f"a second call on the same inputs: {why} (inputs changed in place?)"


def _verdict(p: Probe, node: dict, reference: dict | None, key: str, inputs: dict[str, Any]) -> tuple[bool, str]:
    if p.raises is not None:
        ok = node.get("k") == "raised" and p.raises in node.get("types", [])
        return ok, "" if ok else f"expected {p.raises}"
    ref_node = None
    if isinstance(reference, dict):
        ref_node = reference.get(key) if isinstance(reference.get(key), dict) else reference.get("answer")
    if p.check is not None:
        try:
            value = codec.decode(node, torch_tensors=False)
            ref = codec.decode(ref_node, torch_tensors=False) if ref_node is not None else None
            ok = bool(p.check(value, ref, inputs))
        except Exception as err:  # a malformed answer, or the check failed on it
            return False, f"check failed: {type(err).__name__}: {str(err)[:100]}"
        return ok, "" if ok else "check returned False"
    if ref_node is None:
        return False, "no reference answer"
    ok = same(node, ref_node, p.atol, p.rtol, p.loose)
    return ok, "" if ok else "differs from the reference"


def _identical(a: dict, b: dict) -> bool:
    return same(a, b, 0.0, 0.0, False)

