"""dlbook.llm: RMSNorm, RoPE, the LLaMA model (against Hugging Face transformers where installed),
parameter counts of published configurations, the KV cache, the GPT baseline and the corpus."""

from __future__ import annotations

import math

import pytest
import torch

from dlbook.attention import scaled_dot_product_attention
from dlbook.llm import (
    KVCache,
    Llama,
    LlamaConfig,
    RMSNorm,
    apply_rope,
    corpus_documents,
    gpt_config_like,
    gpt_num_parameters,
    kv_cache_bytes_per_token,
    llama_ffn_hidden,
    llama_num_parameters,
    load_corpus,
    matched_gpt,
)


def n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- RMSNorm
def test_rmsnorm_matches_its_formula_and_has_no_bias():
    torch.manual_seed(0)
    norm = RMSNorm(8, eps=1e-5)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    x = torch.randn(3, 5, 8, dtype=torch.float64).float()
    expected = x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    torch.testing.assert_close(norm(x), expected)
    assert [n for n, _ in norm.named_parameters()] == ["weight"]
    # the rms of the output is 1 (unit weight) whatever the mean of the input
    unit = RMSNorm(64, eps=1e-6)
    y = unit(torch.randn(4, 64) * 3 + 5)
    torch.testing.assert_close(y.pow(2).mean(-1), torch.ones(4), rtol=1e-4, atol=1e-4)


def test_rmsnorm_eps_is_inside_the_square_root():
    norm = RMSNorm(4, eps=0.5)
    x = torch.zeros(1, 4)
    x[0, 0] = 1.0                                                  # mean square 0.25
    assert norm(x)[0, 0].item() == pytest.approx(1 / math.sqrt(0.25 + 0.5))


@pytest.mark.skipif(not hasattr(torch.nn, "RMSNorm"), reason="torch.nn.RMSNorm needs torch >= 2.4")
def test_rmsnorm_equals_torch_rmsnorm_and_loads_its_state_dict():
    torch.manual_seed(1)
    ref = torch.nn.RMSNorm(16, eps=1e-6)
    with torch.no_grad():
        ref.weight.normal_()
    ours = RMSNorm(16, eps=1e-6)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(2, 7, 16)
    torch.testing.assert_close(ours(x), ref(x))
    ref.load_state_dict(ours.state_dict())                          # and the other way round


def test_rmsnorm_bad_input():
    with pytest.raises(ValueError, match=r"expects \(\.\.\., 8\)"):
        RMSNorm(8)(torch.randn(2, 7))


# ---------------------------------------------------------------- RoPE
def test_rope_position_zero_is_identity_and_norm_is_kept():
    torch.manual_seed(2)
    x = torch.randn(2, 3, 5, 8)
    torch.testing.assert_close(apply_rope(x, torch.zeros(5, dtype=torch.long)), x)
    y = apply_rope(x, torch.arange(5))
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))    # a rotation
    assert not torch.allclose(y[:, :, 1:], x[:, :, 1:])


@pytest.mark.parametrize("interleaved", [False, True])
def test_rope_scores_depend_on_relative_position_only(interleaved):
    torch.manual_seed(3)
    q, k = torch.randn(1, 1, 1, 16, dtype=torch.float64), torch.randn(1, 1, 1, 16, dtype=torch.float64)

    def score(m: int, n: int) -> float:
        qm = apply_rope(q, torch.tensor([m]), interleaved=interleaved)
        kn = apply_rope(k, torch.tensor([n]), interleaved=interleaved)
        return float((qm * kn).sum())

    for m, n, shift in [(5, 2, 10), (0, 7, 3), (40, 40, 100)]:
        assert score(m, n) == pytest.approx(score(m + shift, n + shift), abs=1e-9)
    assert abs(score(5, 2) - score(5, 3)) > 1e-3


def test_rope_pair_layouts_differ_by_a_permutation():
    torch.manual_seed(4)
    D = 8
    x = torch.randn(1, 2, 6, D)
    perm = torch.cat([torch.arange(0, D, 2), torch.arange(1, D, 2)])  # interleaved -> half layout
    pos = torch.arange(6)
    torch.testing.assert_close(apply_rope(x, pos, interleaved=True)[..., perm], apply_rope(x[..., perm], pos))


def test_rope_explicit_formula_and_batched_positions():
    torch.manual_seed(5)
    x = torch.randn(2, 1, 3, 4)
    pos = torch.tensor([[0, 1, 2], [7, 8, 9]])
    out = apply_rope(x, pos, base=100.0)
    # pair 0 is (x0, x2) rotated by p * 1, pair 1 is (x1, x3) rotated by p * 100^(-1/2)
    for b in range(2):
        for t in range(3):
            for i, theta in enumerate([1.0, 0.1]):
                a = pos[b, t].item() * theta
                x1, x2 = x[b, 0, t, i], x[b, 0, t, i + 2]
                torch.testing.assert_close(out[b, 0, t, i], x1 * math.cos(a) - x2 * math.sin(a))
                torch.testing.assert_close(out[b, 0, t, i + 2], x1 * math.sin(a) + x2 * math.cos(a))


def test_rope_bad_input():
    with pytest.raises(ValueError, match=r"\(B, H, T, D\)"):
        apply_rope(torch.randn(3, 4, 8), torch.arange(4))
    with pytest.raises(ValueError, match="positions must have shape"):
        apply_rope(torch.randn(1, 2, 4, 8), torch.arange(5))
    with pytest.raises(ValueError, match="even"):
        apply_rope(torch.randn(1, 2, 4, 7), torch.arange(4))
    with pytest.raises(TypeError, match="integers"):
        apply_rope(torch.randn(1, 2, 4, 8), torch.arange(4.0))


# ---------------------------------------------------------------- parameter and memory counts
PUBLISHED = {
    # name: (dim, n_layers, n_heads, n_kv_heads, vocab, ffn_hidden, exact count)
    # configs: LLaMA-1 params.json / Touvron et al. 2023a table 2; LLaMA-2 2023b table 1 and Meta's params.json
    "LLaMA-7B": (4096, 32, 32, 32, 32000, 11008, 6_738_415_616),
    "LLaMA-2-13B": (5120, 40, 40, 40, 32000, 13824, 13_015_864_320),
    "LLaMA-2-70B": (8192, 80, 64, 8, 32000, 28672, 68_976_648_192),
}


@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_parameter_counts(name):
    *cfg, count = PUBLISHED[name]
    assert llama_num_parameters(*cfg) == count
    dim, L, H, H_kv, V, F = cfg
    # the same count by summing the shapes of the weights (no weights are allocated)
    with torch.device("meta"):
        model = Llama(LlamaConfig(dim=dim, n_layers=L, n_heads=H, n_kv_heads=H_kv, vocab_size=V, ffn_hidden=F))
    assert n_params(model) == count


def test_published_counts_against_transformers_meta_model():
    transformers = pytest.importorskip("transformers")
    for name, (dim, L, H, H_kv, V, F, count) in PUBLISHED.items():
        cfg = transformers.LlamaConfig(vocab_size=V, hidden_size=dim, intermediate_size=F, num_hidden_layers=L,
                                       num_attention_heads=H, num_key_value_heads=H_kv, tie_word_embeddings=False)
        with torch.device("meta"):
            ref = transformers.LlamaForCausalLM(cfg)
        assert n_params(ref) == count, name


def test_ffn_hidden_rule_gives_the_published_widths():
    assert llama_ffn_hidden(4096) == 11008
    assert llama_ffn_hidden(5120) == 13824
    assert llama_ffn_hidden(8192, multiple_of=4096, ffn_dim_multiplier=1.3) == 28672


def test_tied_embeddings_are_counted_once():
    cfg = LlamaConfig(dim=32, n_layers=2, n_heads=4, vocab_size=50, tied_embeddings=True)
    model = Llama(cfg)
    assert model.lm_head.weight is model.embed_tokens.weight
    assert n_params(model) == cfg.num_parameters()
    untied = llama_num_parameters(32, 2, 4, 4, 50, cfg.ffn_hidden)
    assert untied - cfg.num_parameters() == 50 * 32


def test_count_errors():
    with pytest.raises(ValueError, match="n_kv_heads"):
        llama_num_parameters(64, 2, 4, 3, 100, 128)
    with pytest.raises(ValueError, match="dim must be a positive int"):
        llama_num_parameters(0, 2, 4, 4, 100, 128)


def test_kv_cache_bytes_per_token():
    # LLaMA-2 70B in float16: 2 * 80 layers * 8 heads * 128 * 2 bytes; 8x more without GQA
    assert kv_cache_bytes_per_token(80, 8, 128) == 327_680
    assert kv_cache_bytes_per_token(80, 64, 128) == 8 * 327_680
    assert kv_cache_bytes_per_token(32, 32, 128) == 2 ** 19            # LLaMA-7B: 0.5 MiB per token
    cfg = LlamaConfig(dim=64, n_layers=3, n_heads=8, n_kv_heads=2, vocab_size=10, max_seq_len=20)
    cache = Llama(cfg).new_cache(batch_size=4)
    assert cache.nbytes == 4 * 20 * cfg.kv_cache_bytes_per_token(bytes_per_value=4)  # float32
    with pytest.raises(ValueError, match="head_dim"):
        kv_cache_bytes_per_token(2, 2, 0)


# ---------------------------------------------------------------- the model
def tiny(**kw) -> LlamaConfig:
    base = dict(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, vocab_size=61, ffn_hidden=48, max_seq_len=24)
    base.update(kw)
    return LlamaConfig(**base)


def test_parameter_names_have_no_biases_and_count_matches():
    cfg = tiny()
    model = Llama(cfg)
    assert not [n for n, _ in model.named_parameters() if n.endswith("bias")]
    assert n_params(model) == cfg.num_parameters()
    assert model.layers[0].self_attn.k_proj.weight.shape == (2 * 8, 32)  # n_kv_heads * head_dim


@pytest.mark.parametrize("fused", [False, True])
def test_causal_and_cache_equals_full_forward(fused):
    torch.manual_seed(6)
    model = Llama(tiny(fused=fused)).eval()
    ids = torch.randint(0, 61, (3, 12))
    full = model(ids)
    changed = ids.clone()
    changed[:, 8:] = (changed[:, 8:] + 1) % 61
    torch.testing.assert_close(model(changed)[:, :8], full[:, :8])  # the past does not see the future
    cache = model.new_cache(batch_size=3)
    steps = [model(ids[:, :5], cache)] + [model(ids[:, t:t + 1], cache) for t in range(5, 12)]
    assert cache.length == 12
    torch.testing.assert_close(torch.cat(steps, dim=1), full, rtol=1e-5, atol=1e-5)
    # rewinding: re-feeding positions 8.. overwrites them
    again = model(ids[:, 8:], cache, start_pos=8)
    torch.testing.assert_close(again, full[:, 8:], rtol=1e-5, atol=1e-5)


def test_fused_and_written_out_attention_agree_and_gqa_equals_repeated_heads():
    torch.manual_seed(7)
    explicit = Llama(tiny()).eval()
    fused = Llama(tiny(fused=True)).eval()
    fused.load_state_dict(explicit.state_dict())
    ids = torch.randint(0, 61, (2, 10))
    torch.testing.assert_close(fused(ids), explicit(ids), rtol=1e-5, atol=1e-5)
    # GQA with 2 key/value heads = MHA whose 4 key/value heads repeat them (h -> h // 2)
    mha = Llama(tiny(n_kv_heads=4)).eval()
    sd = explicit.state_dict()
    for i in range(2):
        for w in ("k_proj", "v_proj"):
            key = f"layers.{i}.self_attn.{w}.weight"
            sd[key] = sd[key].view(2, 8, 32).repeat_interleave(2, dim=0).reshape(32, 32)
    mha.load_state_dict(sd)
    torch.testing.assert_close(mha(ids), explicit(ids), rtol=1e-5, atol=1e-5)


def test_uses_chapter_5_attention(monkeypatch):
    import dlbook.llm.model as m

    calls = []

    def spy(*args, **kwargs):
        calls.append(1)
        return scaled_dot_product_attention(*args, **kwargs)

    monkeypatch.setattr(m, "scaled_dot_product_attention", spy)
    Llama(tiny())(torch.zeros(1, 3, dtype=torch.long))
    assert len(calls) == 2                                         # one per layer


def test_model_bad_input():
    model = Llama(tiny())
    with pytest.raises(ValueError, match=r"integer ids \(B, T\)"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"integer ids"):
        model(torch.zeros(1, 5))
    cache = model.new_cache(batch_size=1, max_len=6)
    with pytest.raises(ValueError, match="holds 1 sequences of 6 positions"):
        model(torch.zeros(1, 7, dtype=torch.long), cache)
    with pytest.raises(ValueError, match="gap"):
        model(torch.zeros(1, 2, dtype=torch.long), cache, start_pos=3)
    with pytest.raises(ValueError, match="needs a cache"):
        model(torch.zeros(1, 2, dtype=torch.long), start_pos=3)
    with pytest.raises(ValueError, match="n_kv_heads"):
        LlamaConfig(dim=32, n_heads=4, n_kv_heads=3)
    with pytest.raises(ValueError, match="divisible by n_heads"):
        LlamaConfig(dim=30, n_heads=4)
    with pytest.raises(ValueError, match="even head size"):
        LlamaConfig(dim=12, n_heads=4)


@pytest.mark.parametrize("n_kv_heads", [4, 2, 1])
def test_equals_transformers_llama(n_kv_heads):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(8)
    cfg = tiny(n_kv_heads=n_kv_heads, norm_eps=1e-5, rope_base=500.0)
    hf_cfg = transformers.LlamaConfig(
        vocab_size=cfg.vocab_size, hidden_size=cfg.dim, intermediate_size=cfg.ffn_hidden,
        num_hidden_layers=cfg.n_layers, num_attention_heads=cfg.n_heads, num_key_value_heads=cfg.n_kv_heads,
        rms_norm_eps=cfg.norm_eps, rope_theta=cfg.rope_base, max_position_embeddings=cfg.max_seq_len,
        tie_word_embeddings=False, attention_bias=False, mlp_bias=False, attn_implementation="eager")
    ref = transformers.LlamaForCausalLM(hf_cfg).eval()
    with torch.no_grad():                                          # logits of size ~1, norm weights not 1
        for name, p in ref.named_parameters():
            p.uniform_(0.5, 1.5) if "norm" in name else p.normal_(std=0.25)
    ours = Llama(cfg).eval().load_hf_state_dict(ref.state_dict())
    ids = torch.randint(0, cfg.vocab_size, (2, 16))
    with torch.no_grad():
        expected = ref(input_ids=ids).logits
        assert expected.std() > 0.5
        torch.testing.assert_close(ours(ids), expected, rtol=1e-5, atol=1e-5)
        cache = ours.new_cache(batch_size=2)
        steps = [ours(ids[:, :9], cache)] + [ours(ids[:, t:t + 1], cache) for t in range(9, 16)]
    torch.testing.assert_close(torch.cat(steps, dim=1), expected, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------- GPT baseline
def test_gpt_baseline_has_equal_parameter_count():
    for cfg in (tiny(), tiny(dim=64, n_heads=4, n_kv_heads=4, vocab_size=512, n_layers=3, ffn_hidden=None)):
        gpt = matched_gpt(cfg)
        assert n_params(gpt) == gpt_num_parameters(cfg.vocab_size, gpt.config)
        assert abs(n_params(gpt) - cfg.num_parameters()) <= cfg.n_layers * (2 * cfg.dim + 1) / 2
        assert gpt.config.d_model == cfg.dim and gpt.config.num_layers == cfg.n_layers
        ids = torch.randint(0, cfg.vocab_size, (2, cfg.max_seq_len))
        assert gpt(ids).shape == Llama(cfg)(ids).shape
    sinus = gpt_config_like(tiny(), positions="sinusoidal")
    assert gpt_num_parameters(61, sinus) == pytest.approx(tiny().num_parameters(), abs=2 * (2 * 32 + 1))
    with pytest.raises(ValueError, match="untied"):
        gpt_config_like(tiny(tied_embeddings=True))


# ---------------------------------------------------------------- corpus
def test_corpus_splits_and_languages():
    en, zh = load_corpus("en"), load_corpus("zh")
    assert 300_000 < len(en.encode()) < 2_000_000
    assert sum("\u4e00" <= ch <= "\u9fff" for ch in zh) > 1000
    train, val = corpus_documents("all", "train"), corpus_documents("all", "val")
    assert {d["source"] for d in train}.isdisjoint({d["source"] for d in val})
    assert len(train) + len(val) == len(corpus_documents("all"))
    assert 0.05 < len(val) / (len(train) + len(val)) < 0.15
    with pytest.raises(ValueError, match="language"):
        load_corpus("fr")
    with pytest.raises(ValueError, match="split"):
        load_corpus("en", "test")


def test_kvcache_update_returns_the_filled_prefix():
    cache = KVCache(n_layers=1, batch_size=1, n_kv_heads=1, head_dim=2, max_len=5)
    k = torch.ones(1, 1, 3, 2)
    kk, vv = cache.update(0, k, 2 * k, start_pos=0)
    assert kk.shape == (1, 1, 3, 2) and torch.equal(vv, 2 * k)
    kk, _ = cache.update(0, 3 * torch.ones(1, 1, 1, 2), torch.zeros(1, 1, 1, 2), start_pos=3)
    assert kk.shape == (1, 1, 4, 2) and kk[0, 0, 3, 0].item() == 3.0


def test_corpus_is_reproduced_by_its_tool(tmp_path):
    """The shipped corpus is exactly what tools/make_llm_corpus.py makes from its recorded commit."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    shipped = root / "dlbook" / "llm" / "data" / "corpus.json"
    commit = json.loads(shipped.read_text(encoding="utf-8"))["commit"]
    found = subprocess.run(["git", "-C", str(root), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if found.returncode != 0:
        pytest.skip(f"commit {commit[:10]} is not in this clone (shallow?)")
    out = tmp_path / "corpus.json"
    subprocess.run([sys.executable, str(root / "tools" / "make_llm_corpus.py"), "--commit", commit, "--out", str(out)],
                   check=True, capture_output=True, cwd=root)
    assert out.read_bytes() == shipped.read_bytes()


# --- the shipped date-rewriting mini LLaMAs (notebook 10_llm/07) ---

def test_date_llamas_load_and_answer_in_iso():
    from datetime import date

    from dlbook.llm import date_llamas as dl
    from dlbook.llm.decoding import complete

    models = dl.load_date_llamas()
    assert list(models) == list(dl.DATE_LLAMA_RECIPE["dims"])
    prompt, answer = dl.date_instructions([date(2026, 11, 22)], seed=0)[0]
    for dim, model in models.items():
        assert model.config.dim == dim and not model.training
        out = dl.decode_bytes(complete(model, [dl.encode_bytes(prompt)], 12, greedy=True, eos_id=dl.EOS_ID)[0])
        assert len(out) == len(answer) and out[4] == out[7] == "-"       # an ISO-shaped answer


def test_load_date_llamas_names_the_tool_when_the_file_is_missing(tmp_path):
    from dlbook.llm import date_llamas as dl

    with pytest.raises(FileNotFoundError, match="train_date_llamas.py"):
        dl.load_date_llamas(tmp_path / "nothing.pt")


@pytest.mark.slow
def test_training_reproduces_the_shipped_date_llamas(tmp_path):
    """Re-runs tools/train_date_llamas.py for the smallest width in the pinned environment (about
    18 s of CPU; the other width runs the same function). Skips on another PyTorch version."""
    from shipped_weights import assert_tool_rebuilds

    from dlbook.llm import date_llamas as dl

    dim = min(dl.DATE_LLAMA_RECIPE["dims"])
    assert_tool_rebuilds("train_date_llamas.py", dl.DATE_LLAMA_WEIGHTS, dl.DATE_LLAMA_TORCH, "the shipped date LLaMAs",
                         tmp_path / "date_llamas.pt", timeout=600, args=("--dims", str(dim)), prefix=f"dim{dim}.")
