"""Pre-train the course's mini BERT and write its weights into the package (dlbook/bert/mini_bert.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_bert.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/pretrain_mini_bert.py [--out PATH]

(the variables are ``dlbook.runtime.REPRODUCIBLE_ENV``). After re-making the file, set
``dlbook.bert.MINI_BERT_TORCH`` to the PyTorch version that made it.

The recipe is ``dlbook.bert.pretrain(config=MINI_BERT_CONFIG, recipe=MINI_BERT_RECIPE)``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from dlbook.runtime import expected_numeric_environment, numeric_environment  # noqa: E402
from dlbook.bert import MINI_BERT_CONFIG, MINI_BERT_RECIPE, MINI_BERT_TORCH, WEIGHTS, pretrain  # noqa: E402
from dlbook.bert.pretrain import state_for_saving  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS, help="where to write the state dict")
    args = parser.parse_args(argv)
    if numeric_environment() != expected_numeric_environment():
        print(f"not in the pinned numeric environment (see the docstring): {numeric_environment()}", file=sys.stderr)
        return 2
    if torch.__version__.split("+")[0] != MINI_BERT_TORCH and args.out == WEIGHTS:
        print(f"note: the shipped weights are declared as made with torch {MINI_BERT_TORCH}, this is "
              f"{torch.__version__}: update dlbook.bert.MINI_BERT_TORCH", file=sys.stderr)
    model, history = pretrain(config=MINI_BERT_CONFIG, recipe=MINI_BERT_RECIPE)
    torch.save(state_for_saving(model), args.out)
    print(f"val masked-token accuracy {history.last('val_mlm_acc'):.3f}, NSP accuracy {history.last('val_nsp_acc'):.3f}; "
          f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
