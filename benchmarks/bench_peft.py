"""Time per training step of the PEFT methods of chapter 10 (notebook 06's table), as ratios to
full fine-tuning, measured side by side on this CPU.

Each method wraps a copy of the shipped mini BERT classifier as notebook 06 does (dlbook.peft);
one step = forward, backward and an AdamW step on a batch of 32 first-half-topic sentences. The
methods are timed in alternation (round-robin), and the medians are reported. Also: inference
time of a LoRA model before and after merging. Pass `--quick` for fewer repeats.
"""

from __future__ import annotations

import copy
import statistics
import sys
import time

import torch
from torch import nn

from dlbook import bert, peft

ALL = ["q", "k", "v", "out_proj", "linear1", "linear2"]


def build(method: str, pretrained: bert.BertForPreTraining, lang) -> nn.Module:
    clf = bert.BertClassifier(copy.deepcopy(pretrained.bert), 4)
    enc = clf.bert
    if method == "head only":
        enc.requires_grad_(False)
    elif method == "BitFit":
        peft.apply_bitfit(enc)
    elif method == "adapters":
        peft.apply_adapters(enc, bottleneck=8)
    elif method == "prompt-tuning":
        enc.requires_grad_(False)
        return peft.PromptedModel(clf, enc.embeddings.token, peft.SoftPrompt(8, 64), slot_id=lang.mask_id)
    elif method == "P-tuning":
        enc.requires_grad_(False)
        return peft.PromptedModel(clf, enc.embeddings.token, peft.PromptEncoder(8, 64, hidden=32), slot_id=lang.mask_id)
    elif method in ("prefix-tuning", "P-tuning v2"):
        return peft.prefix_tuning(clf, 8, reparameterize=method == "prefix-tuning", hidden=32, within=enc)
    elif method == "LoRA":
        peft.split_qkv(enc)
        peft.apply_lora(enc, ["q", "v"], r=4, alpha=8)
    elif method == "AdaLoRA":
        peft.split_qkv(enc)
        peft.apply_adalora(enc, ALL, r=4, alpha=8)
    return clf


def main(argv: list[str]) -> int:
    repeats = 5 if "--quick" in argv else 30
    torch.manual_seed(0)
    lang, pretrained = bert.mini_bert_language(), bert.load_pretrained()
    X, y = peft.first_half_topics(lang, 32, seed=0)
    methods = ["full fine-tuning", "head only", "BitFit", "adapters", "prefix-tuning", "prompt-tuning", "P-tuning",
               "P-tuning v2", "LoRA", "AdaLoRA"]
    models = {m: build(m, pretrained, lang).train() for m in methods}
    opts = {m: torch.optim.AdamW([p for p in mod.parameters() if p.requires_grad], lr=1e-3) for m, mod in models.items()}
    loss_fn = nn.CrossEntropyLoss()

    def step(m: str) -> None:
        opts[m].zero_grad(set_to_none=True)
        loss = loss_fn(models[m](X), y)
        if m == "AdaLoRA":
            loss = loss + 0.1 * peft.orthogonal_regularization(models[m])
        loss.backward()
        opts[m].step()

    times: dict[str, list[float]] = {m: [] for m in methods}
    for m in methods:                                                 # warm-up
        step(m)
    for _ in range(repeats):
        for m in methods:
            start = time.perf_counter()
            step(m)
            times[m].append(time.perf_counter() - start)
    med = {m: statistics.median(v) for m, v in times.items()}
    print(f"time per training step (batch 32, threads {torch.get_num_threads()}, medians of {repeats} alternating runs)")
    for m in methods:
        print(f"{m:17s} {med[m] * 1e3:7.2f} ms   {med[m] / med['full fine-tuning']:5.2f}x full fine-tuning")

    lora = models["LoRA"].eval()
    merged = copy.deepcopy(lora)
    peft.merge_lora(merged.bert)
    Xt, _ = peft.first_half_topics(lang, 256, seed=1)
    inf = {"LoRA unmerged": [], "LoRA merged": []}
    with torch.inference_mode():
        lora(Xt), merged(Xt)
        for _ in range(repeats):
            for name, mod in (("LoRA unmerged", lora), ("LoRA merged", merged)):
                start = time.perf_counter()
                mod(Xt)
                inf[name].append(time.perf_counter() - start)
    med_inf = {k: statistics.median(v) for k, v in inf.items()}
    print(f"inference on 256 sentences: unmerged {med_inf['LoRA unmerged'] * 1e3:.2f} ms, merged "
          f"{med_inf['LoRA merged'] * 1e3:.2f} ms, ratio {med_inf['LoRA unmerged'] / med_inf['LoRA merged']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
