"""dlbook.peft on chapter 10's mini LLaMA (dlbook.llm.Llama): every method starts at the base where
it should, prefix-tuning through the key/value cache (exact equivalence with real tokens, gradients,
decoding), LoRA merging, adapters on the LLaMA's names, AdaLoRA, P-tuning, and the errors."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from dlbook import peft
from dlbook.llm import decoding
from dlbook.llm.model import Llama, LlamaConfig


def _llama(seed: int = 0, n_kv_heads: int = 2) -> Llama:
    torch.manual_seed(seed)
    model = Llama(LlamaConfig(dim=16, n_layers=2, n_heads=4, n_kv_heads=n_kv_heads, vocab_size=40, max_seq_len=32))
    with torch.no_grad():                                            # larger weights than the init: outputs differ visibly
        for p in model.parameters():
            p.mul_(5)
    return model.eval()


def _ids(B: int = 3, T: int = 6, seed: int = 1) -> torch.Tensor:
    return torch.randint(0, 40, (B, T), generator=torch.Generator().manual_seed(seed))


def _randomise(model: nn.Module, names: tuple[str, ...], seed: int = 2) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for n, p in model.named_parameters():
            if n.rsplit(".", 1)[-1] in names:
                p.copy_(0.3 * torch.randn(p.shape, generator=g))


def test_lora_adalora_and_zero_init_adapters_start_at_the_base_llama():
    base, ids = _llama(), _ids()
    ref = base(ids)
    lora = copy.deepcopy(base)
    assert len(peft.apply_lora(lora, peft.LLAMA_TARGETS, r=2, alpha=4)) == 2 * 7
    ada = copy.deepcopy(base)
    peft.apply_adalora(ada, ["q_proj", "v_proj"], r=3)
    adapted = copy.deepcopy(base)
    names = peft.apply_adapters(adapted, ["o_proj", "down_proj"], bottleneck=4, init_std=0.0)
    assert names == ["layers.0.self_attn.o_proj", "layers.1.self_attn.o_proj", "layers.0.mlp.down_proj",
                     "layers.1.mlp.down_proj"]
    for model in (lora, ada, adapted):
        torch.testing.assert_close(model(ids), ref, rtol=0, atol=1e-5)
    # adapters train the RMSNorms as Houlsby trains the LayerNorms; nothing else of the base
    trainable = {n for n, p in adapted.named_parameters() if p.requires_grad}
    assert trainable and all(".adapter." in n or "layernorm" in n or n == "norm.weight" for n in trainable)
    assert "layers.0.input_layernorm.weight" in trainable and "embed_tokens.weight" not in trainable


def test_a_merged_lora_llama_equals_the_unmerged_one_and_so_does_a_quantised_base():
    model, ids = _llama(), _ids()
    peft.apply_lora(model, peft.LLAMA_TARGETS, r=2, alpha=4)
    _randomise(model, ("B",))
    out = model(ids)
    assert (out - _llama()(ids)).abs().max() > 1e-2                   # the update changes the output
    assert peft.merge_lora(model) == 14
    assert not any(isinstance(m, peft.LoRALinear) for m in model.modules())
    torch.testing.assert_close(model(ids), out, rtol=1e-4, atol=1e-4)
    qlora = _llama()
    assert len(peft.quantize_linears(qlora, bits=4, skip=["lm_head"])) == 14
    peft.apply_lora(qlora, ["q_proj", "v_proj"], r=2)
    _randomise(qlora, ("B",))
    out = qlora(ids)
    peft.merge_lora(qlora)
    torch.testing.assert_close(qlora(ids), out, rtol=1e-4, atol=1e-4)


def test_bitfit_says_the_llama_has_no_biases():
    with pytest.raises(ValueError, match="no bias.*LLaMA"):
        peft.apply_bitfit(_llama())


def test_a_llama_prefix_equals_real_tokens_in_front_of_the_sequence():
    # Li & Liang: a prefix is what P extra (virtual) tokens contribute as keys and values; with the
    # keys and values of real tokens z (RoPE'd at positions 0..P-1), the logits equal the base's on [z, x]
    for n_kv_heads in (4, 2, 1):                                     # multi-head, grouped-query, multi-query
        base, ids, z = _llama(n_kv_heads=n_kv_heads), _ids(), torch.tensor([3, 7, 11])
        init = peft.llama_prefix_from_tokens(base, z)
        assert init.shape == (2, 2, 3, n_kv_heads * 4)              # (L, 2, P, H_kv * D)
        model = peft.llama_prefix_tuning(base, 3, reparameterize=False, init=init)
        full = base(torch.cat([z.expand(3, 3), ids], dim=1))         # (B, P + T, V)
        torch.testing.assert_close(model(ids), full[:, 3:], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("reparameterize", [True, False])
def test_prefix_tuning_a_llama_trains_only_the_prefix_and_keeps_shapes(reparameterize):
    base, ids = _llama(), _ids()
    model = peft.prefix_tuning(base, 5, reparameterize=reparameterize, hidden=8)
    assert isinstance(model, peft.LlamaPrefixModel) and model.num_tokens == 5
    assert model.encoder().shape == (2, 2, 5, 8)                     # (L, 2, P, H_kv * D): 2 kv heads of 4
    logits = model(ids)
    assert logits.shape == (3, 6, 40)
    assert (logits - base(ids)).abs().max() > 1e-3                   # a random prefix changes the output
    logits.square().mean().backward()
    grads = {n: p.grad for n, p in model.named_parameters() if p.requires_grad}
    assert grads and all(n.startswith("encoder.") for n in grads)
    assert all(g is not None and g.abs().sum() > 0 for g in grads.values())
    assert all(p.grad is None for p in base.parameters())
    if not reparameterize:
        assert peft.count_trainable(model)[0] == 2 * 2 * 5 * 8


def test_greedy_decoding_a_prefixed_llama_with_its_cache_equals_decoding_without():
    model = peft.prefix_tuning(_llama(), 4, reparameterize=True)
    prompts = [[1, 2, 3], [4, 5, 6], [7, 8]]
    cached = decoding.complete(model, prompts, 5, greedy=True)
    assert cached == decoding.complete(model, prompts, 5, greedy=True, use_cache=False)
    assert [len(c) for c in cached] == [5, 5, 5]
    with torch.no_grad():                                            # a cache at start_pos 0 gets the prefix written
        cache = model.new_cache(2, 10)
        step = model(_ids(2, 3), cache)
        torch.testing.assert_close(step, model(_ids(2, 3)), rtol=1e-5, atol=1e-5)
        assert cache.length == 4 + 3 and cache.max_len == 4 + 10


def test_prompt_and_p_tuning_on_a_llama_insert_soft_tokens_in_front():
    base, ids = _llama(), _ids()
    base.requires_grad_(False)
    z = torch.tensor([5, 9])
    prompt = peft.SoftPrompt(2, 16, init=base.embed_tokens.weight[z])
    model = peft.PromptedModel(base, base.embed_tokens, prompt, slot_id=0, insert_at=0)
    torch.testing.assert_close(model(ids), base(torch.cat([z.expand(3, 2), ids], dim=1)), rtol=0, atol=1e-6)
    ptuned = peft.PromptedModel(base, base.embed_tokens, peft.PromptEncoder(2, 16, hidden=8), slot_id=0, insert_at=0)
    ptuned(ids).sum().backward()
    assert ptuned.prompt.inputs.grad is not None and base.embed_tokens.weight.grad is None
    prompts = [[1, 2], [3, 4, 5], [6, 7]]                            # decoding reads the wrapped Llama's cache
    assert callable(ptuned.new_cache) and not hasattr(peft.PromptedModel(nn.Sequential(base.embed_tokens),
                                                                         base.embed_tokens, prompt, 0), "new_cache")
    out = decoding.complete(ptuned, prompts, 4, greedy=True)
    assert out == decoding.complete(ptuned, prompts, 4, greedy=True, use_cache=False)
    assert [len(o) for o in out] == [4, 4, 4]
    inside = peft.PromptedModel(base, base.embed_tokens, prompt, slot_id=0, insert_at=1)  # after the first token
    torch.testing.assert_close(inside(ids), base(torch.cat([ids[:, :1], z.expand(3, 2), ids[:, 1:]], dim=1)),
                               rtol=0, atol=1e-6)
    out = decoding.complete(inside, prompts, 4, greedy=True)
    assert out == decoding.complete(inside, prompts, 4, greedy=True, use_cache=False)
    with torch.no_grad(), pytest.raises(ValueError, match="start_pos must be >= 0"):
        inside(ids[:, :1], inside.new_cache(3, 8), start_pos=-1)


def test_llama_prefix_errors_are_clear():
    base = _llama()
    with pytest.raises(ValueError, match=r"needs \(L, 2, P, H_kv \* D\)"):
        peft.LlamaPrefixModel(base, peft.PrefixEncoder(2, 3, 16))     # 16 = E, but H_kv * D = 8
    with pytest.raises(TypeError, match="dlbook.llm.Llama"):
        peft.LlamaPrefixModel(nn.Linear(2, 2), peft.PrefixEncoder(2, 3, 8))
    with pytest.raises(ValueError, match="init must have shape"):
        peft.llama_prefix_tuning(base, 3, reparameterize=False, init=torch.zeros(2, 2, 3, 16))
    with pytest.raises(ValueError, match="reparameterize=False"):
        peft.PrefixEncoder(2, 3, 8, reparameterize=True, init=torch.zeros(2, 2, 3, 8))
    with pytest.raises(ValueError, match="num_tokens"):
        peft.llama_prefix_tuning(base, 0)
    model = peft.llama_prefix_tuning(base, 3)
    with pytest.raises(RuntimeError, match="no_grad"):
        model(_ids(), model.new_cache(3))
    with torch.no_grad():
        with pytest.raises(ValueError, match="not the prefix"):
            model(_ids(), model.new_cache(3), start_pos=2)
        with pytest.raises(ValueError, match="new_cache"):
            model(_ids(), base.new_cache(3, 5))
    with pytest.raises(ValueError, match="needs a cache"):
        model(_ids(), start_pos=1)
    with pytest.raises(ValueError, match="without within"):
        peft.prefix_tuning(nn.Sequential(base), 3)
    with pytest.raises(ValueError, match="o_proj"):                 # chapter 5's default names list the LLaMA's
        peft.apply_adapters(_llama())
