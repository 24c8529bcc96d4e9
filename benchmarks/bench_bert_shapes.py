"""BERT-base vs TinyBERT-4 inference speed on this CPU (chapter 5's fact check on "TinyBERT is 9x faster").

Builds both shapes with `dlbook.bert.BertModel` (random weights: speed does not depend on them):
BERT-base (L=12, H=768, I=3072, 12 heads) and TinyBERT-4 (L=4, H=312, I=1200, 12 heads), both with
BERT's 30,522-token vocabulary. Times one inference forward pass (no gradient, eval mode) on a batch
of token ids, alternating the two models, and prints the medians and their ratio. Pass `--quick` for
a smaller batch.
"""

from __future__ import annotations

import statistics
import sys
import time

import torch

from dlbook import bert

SHAPES = {"BERT-base": dict(hidden=768, num_layers=12, num_heads=12, intermediate=3072),
          "TinyBERT-4": dict(hidden=312, num_layers=4, num_heads=12, intermediate=1200)}


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    batch, length, repeats = (1, 64, 3) if quick else (1, 128, 7)
    torch.manual_seed(0)
    models = {k: bert.BertModel(30522, bert.bert_config(**s, dropout=0.0)).eval() for k, s in SHAPES.items()}
    ids = torch.randint(4, 30522, (batch, length))
    for name, m in models.items():
        print(f"{name:11s} {sum(p.numel() for p in m.parameters()):>12,} parameters")
    times = {k: [] for k in models}
    with torch.inference_mode():
        for k, m in models.items():                                   # warm-up
            m(ids)
        for _ in range(repeats):
            for k, m in models.items():
                start = time.perf_counter()
                m(ids)
                times[k].append(time.perf_counter() - start)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"inference on ({batch}, {length}) token ids, threads {torch.get_num_threads()}, medians of {repeats} alternating runs")
    for k, v in med.items():
        print(f"{k:11s} {v * 1e3:8.1f} ms")
    print(f"speed ratio BERT-base / TinyBERT-4: {med['BERT-base'] / med['TinyBERT-4']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
