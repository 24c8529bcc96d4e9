"""Pre-train the course's mini BERT and write its weights into the package (dlbook/bert/mini_bert.pt).

Run in the pinned numeric environment, so that the result is bit-for-bit reproducible
(tests/test_bert.py re-runs this recipe and compares with the shipped file):

    env $(make -s print-repro-env) DLBOOK_PROGRESS=0 .venv/bin/python tools/pretrain_mini_bert.py [--out PATH]

(the variables are ``dlbook.runtime.REPRODUCIBLE_ENV``). After re-making the file, set
``dlbook.bert.MINI_BERT_TORCH`` to the PyTorch version that made it.

The recipe is ``dlbook.bert.pretrain(config=MINI_BERT_CONFIG, recipe=MINI_BERT_RECIPE)``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from weights_tool import run  # noqa: E402

from dlbook.bert import MINI_BERT_CONFIG, MINI_BERT_RECIPE, MINI_BERT_TORCH, WEIGHTS, pretrain  # noqa: E402
from dlbook.bert.pretrain import state_for_saving  # noqa: E402


def make(args) -> tuple[dict, str]:
    model, history = pretrain(config=MINI_BERT_CONFIG, recipe=MINI_BERT_RECIPE)
    return state_for_saving(model), (f"val masked-token accuracy {history.last('val_mlm_acc'):.3f}, "
                                     f"NSP accuracy {history.last('val_nsp_acc'):.3f}")


def main(argv: list[str] | None = None) -> int:
    return run(argv, __doc__.splitlines()[0], WEIGHTS, MINI_BERT_TORCH, make)


if __name__ == "__main__":
    raise SystemExit(main())
