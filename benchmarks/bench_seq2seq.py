"""Transformer vs attention RNN on the date task: seconds per training epoch (chapter 5, notebook 3).

The notebook `chapters/05_transformer/03_transformer_vs_rnn.ipynb` compares the two models' exact
match, parameters and steps to 99%, but keeps wall-clock times out of its stored outputs (they change
from run to run). This script times one training step (forward, backward, Adam) of each model at the
notebook's sizes and batch sizes, alternating the two models, and prints the median seconds per
epoch (one pass over the training pairs) and their ratio.
"""

from __future__ import annotations

import statistics
import sys
import time

import torch

from dlbook import rnn, seqdata, transformer

# the notebook's sizes (keep in step with 03_transformer_vs_rnn.ipynb)
FORMATS = ["iso", "mon_day_year", "day_mon_year", "dd/mm/yy", "dd.mm.yyyy", "yyyy/mm/dd", "yyyymmdd", "zh_digits"]
BATCH = {"RNN + attention": 64, "Transformer": 64}


def make_models(src_vocab: int, tgt_vocab: int) -> dict[str, torch.nn.Module]:
    encoder = rnn.Encoder(src_vocab, 32, 64, bidirectional=True)
    decoder = rnn.Decoder(tgt_vocab, 16, 64, encoder.output_size, attention=True)
    cfg = transformer.TransformerConfig(d_model=32, num_heads=2, d_ff=64, num_layers=2, dropout=0.0, max_len=16)
    return {"RNN + attention": rnn.Seq2Seq(encoder, decoder),
            "Transformer": transformer.EncoderDecoder(src_vocab, tgt_vocab, cfg)}


def main(repeats: int = 15) -> int:
    torch.manual_seed(0)
    splits = seqdata.split_dates(fractions=(0.1, 0.1), seed=0)
    src_vocab, tgt_vocab = seqdata.date_vocabs()
    train = seqdata.date_tensors(seqdata.date_pairs(splits.train, FORMATS, seed=1), src_vocab, tgt_vocab)
    models = make_models(len(src_vocab), len(tgt_vocab))
    optimizers = {name: torch.optim.Adam(m.parameters(), lr=1e-3) for name, m in models.items()}

    def step(name: str, idx: torch.Tensor) -> float:
        start = time.perf_counter()
        logits = models[name](train.src[idx], train.src_mask[idx], train.tgt_in[idx])
        loss = rnn.sequence_cross_entropy(logits, train.tgt_out[idx])
        optimizers[name].zero_grad(set_to_none=True)
        loss.backward()
        optimizers[name].step()
        return time.perf_counter() - start

    g = torch.Generator().manual_seed(0)
    times: dict[str, list[float]] = {name: [] for name in models}
    for r in range(repeats + 2):                                    # two warm-up rounds
        for name in models:
            t = step(name, torch.randperm(len(train.src), generator=g)[:BATCH[name]])
            if r >= 2:
                times[name].append(t)
    n = len(train.src)
    per_epoch = {name: statistics.median(ts) * n / BATCH[name] for name, ts in times.items()}
    for name, m in models.items():
        print(f"{name:16s} {sum(p.numel() for p in m.parameters()):7,d} parameters, batch {BATCH[name]}: "
              f"{per_epoch[name]:6.2f} s per epoch of {n:,} pairs (median of {repeats} steps)")
    print(f"Transformer / RNN time per epoch: {per_epoch['Transformer'] / per_epoch['RNN + attention']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
