"""What the tools that make the package's shipped weights share (tools/pretrain_mini_bert.py,
train_digit_judge.py, train_digit_dcgan.py, train_digit_diffusion.py, fine_tune_readers.py).

Each of them trains with a recipe the package records and writes state dicts into the package, in
the pinned numeric environment, so that a unit test can run it again and compare bit for bit
(tests/shipped_weights.py). This module holds the part they have in common: the ``--out`` option,
the refusal to run outside the pinned environment, the note when the PyTorch version differs from
the one the package declares, and the saving.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbook.runtime import expected_numeric_environment, numeric_environment  # noqa: E402

__all__ = ["detached_state", "run"]


def detached_state(module: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    """``module``'s state dict as plain contiguous tensors, each name prefixed with ``prefix``."""
    return {f"{prefix}{k}": v.detach().clone().contiguous() for k, v in module.state_dict().items()}


def run(
    argv: list[str] | None,
    description: str,
    default_out: Path,
    made_with: str,
    make: Callable[[argparse.Namespace], tuple[dict[str, torch.Tensor], str]],
    add_arguments: Callable[[argparse.ArgumentParser], None] | None = None,
    validate: Callable[[argparse.ArgumentParser, argparse.Namespace], None] | None = None,
) -> int:
    """Parse ``argv``, check the environment, call ``make(args)`` and save what it returns.

    Args:
        argv: the command line (None: ``sys.argv[1:]``).
        description: the tool's one-line description (its docstring's first line).
        default_out: the package's weights file, where ``--out`` points by default.
        made_with: the PyTorch version the package declares for that file.
        make: trains and returns ``(state dict to save, one line saying how good it is)``.
        add_arguments: adds the tool's own options to the parser.
        validate: checks the parsed options, calling ``parser.error`` on a bad combination.

    Returns:
        The exit status: 0 when the file is written, 2 outside the pinned environment.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", type=Path, default=default_out, help="where to write the state dict")
    if add_arguments is not None:
        add_arguments(parser)
    args = parser.parse_args(argv)
    if validate is not None:
        validate(parser, args)
    if numeric_environment() != expected_numeric_environment():
        print(f"not in the pinned numeric environment (see the docstring): {numeric_environment()}", file=sys.stderr)
        return 2
    here = torch.__version__.split("+")[0]
    if here != made_with and args.out.resolve() == Path(default_out).resolve():
        print(f"note: the package declares its file as made with torch {made_with}, this is torch {here}: "
              "update that version in the package after re-making it", file=sys.stderr)
    state, summary = make(args)
    torch.save(state, args.out)
    print(f"{summary}{'; ' if summary else ''}wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0
