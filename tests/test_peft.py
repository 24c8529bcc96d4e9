"""dlbook.peft: LoRA against its formula and Hugging Face peft, merging, counts, errors and freezing;
adapters, soft prompts, prefixes (shapes and equivalences), AdaLoRA's pieces, BitFit, QLoRA's base."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from dlbook import bert, peft
from dlbook.attention import MultiHeadAttention
from dlbook.distill import QuantLinear


def _lora(r: int = 4, alpha: float | None = 8.0, seed: int = 0, din: int = 12, dout: int = 7) -> peft.LoRALinear:
    torch.manual_seed(seed)
    return peft.LoRALinear(nn.Linear(din, dout), r, alpha)


def _randomise_B(layer: peft.LoRALinear, seed: int = 1) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        layer.B.copy_(torch.randn(layer.B.shape, generator=g))


def test_lora_output_equals_base_at_init_and_B_is_zero_A_is_not():
    layer = _lora()
    x = torch.randn(5, 3, 12)
    torch.testing.assert_close(layer(x), layer.base(x), rtol=0, atol=0)
    assert torch.count_nonzero(layer.B) == 0
    assert torch.count_nonzero(layer.A) == layer.A.numel()          # B and A both zero would never train
    assert layer.A.shape == (4, 12) and layer.B.shape == (7, 4)


def test_lora_forward_is_the_formula_with_alpha_over_r_applied_once():
    layer = _lora(r=4, alpha=10.0)
    _randomise_B(layer)
    assert layer.scaling == pytest.approx(2.5)
    x = torch.randn(6, 12)
    expected = x @ layer.base.weight.T + layer.base.bias + 2.5 * (x @ layer.A.T @ layer.B.T)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-6)
    assert _lora(r=4, alpha=None).scaling == 1.0


def test_merge_is_a_plain_linear_with_equal_output():
    layer = _lora(r=3, alpha=6.0)
    _randomise_B(layer)
    merged = layer.merge()
    assert type(merged) is nn.Linear
    x = torch.randn(9, 12)
    torch.testing.assert_close(merged(x), layer(x), rtol=0, atol=1e-6)
    # merging without the scaling would be off by (scaling - 1) B A x
    wrong = layer.base.weight + layer.B @ layer.A
    assert (x @ wrong.T + layer.base.bias - layer(x)).abs().max() > 1e-2


def test_trainable_count_is_r_times_in_plus_out_and_the_base_is_frozen():
    layer = _lora(r=5, din=12, dout=7)
    assert peft.count_trainable(layer) == (5 * (12 + 7), 12 * 7 + 7 + 5 * (12 + 7))
    assert not any(p.requires_grad for p in layer.base.parameters())
    layer(torch.randn(2, 12)).sum().backward()
    assert layer.base.weight.grad is None and layer.A.grad is not None and layer.B.grad is not None


@pytest.mark.parametrize("r", [0, -1, 2.5, True])
def test_bad_rank_is_refused(r):
    with pytest.raises(ValueError, match="rank r must be a positive int"):
        peft.LoRALinear(nn.Linear(4, 4), r)
    with pytest.raises(ValueError, match="rank r must be a positive int"):
        peft.apply_lora(nn.Sequential(nn.Linear(4, 4)), ["0"], r)


def test_apply_lora_errors_for_non_linear_targets_and_names_matching_nothing():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    with pytest.raises(TypeError, match="'1' is a ReLU, expected an nn.Linear"):
        peft.apply_lora(model, ["1"], 2)
    with pytest.raises(ValueError, match="'query' matches no submodule"):
        peft.apply_lora(model, ["query"], 2)
    with pytest.raises(TypeError, match="expected an nn.Linear"):
        peft.LoRALinear(nn.ReLU(), 2)


def _bert(seed: int = 0) -> bert.BertClassifier:
    torch.manual_seed(seed)
    return bert.BertClassifier(bert.mini_bert(40, hidden=16, num_layers=2, num_heads=2, intermediate=24).bert, 3).eval()


def _ids(seed: int = 0, B: int = 4, T: int = 7) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, 40, (B, T), generator=g)
    ids[:, 0] = 1
    ids[1, -2:] = 0                                                  # some padding
    return ids


def test_split_qkv_keeps_outputs_and_apply_lora_on_q_v_freezes_the_rest():
    clf = _bert()
    ids = _ids()
    ref = clf(ids)
    names = peft.split_qkv(clf.bert)
    assert len(names) == 2 and all(isinstance(clf.bert.get_submodule(n), peft.PeftAttention) for n in names)
    torch.testing.assert_close(clf(ids), ref, rtol=0, atol=1e-6)
    wrapped = peft.apply_lora(clf.bert, ["q", "v"], r=2, alpha=4)
    assert wrapped == ["layers.0.self_attn.q", "layers.1.self_attn.q", "layers.0.self_attn.v", "layers.1.self_attn.v"]
    torch.testing.assert_close(clf(ids), ref, rtol=0, atol=1e-6)
    trainable = {n for n, p in clf.named_parameters() if p.requires_grad}
    assert trainable == {f"bert.layers.{i}.self_attn.{m}.{ab}" for i in (0, 1) for m in "qv" for ab in "AB"} | {
        "head.weight", "head.bias"}
    assert peft.count_trainable(clf.bert)[0] == 4 * 2 * (16 + 16)
    # merge_lora puts plain Linear layers back with the same function
    for m in clf.modules():
        if isinstance(m, peft.LoRALinear):
            _randomise_B(m)
    adapted = clf(ids)
    assert peft.merge_lora(clf.bert) == 4
    assert not any(isinstance(m, peft.LoRALinear) for m in clf.modules())
    torch.testing.assert_close(clf(ids), adapted, rtol=0, atol=1e-5)


def test_peft_attention_equals_the_packed_attention_with_a_causal_mask():
    torch.manual_seed(0)
    mha = MultiHeadAttention(8, 2).eval()
    split = peft.PeftAttention.from_attention(mha)
    x = torch.randn(3, 5, 8)
    mask = torch.tril(torch.ones(5, 5, dtype=torch.bool))
    torch.testing.assert_close(split(x, attn_mask=mask)[0], mha(x, attn_mask=mask)[0], rtol=0, atol=1e-6)
    with pytest.raises(TypeError, match="MultiHeadAttention"):
        peft.PeftAttention.from_attention(split)


def test_adapter_is_identity_with_zero_up_init_and_near_identity_with_the_papers_init():
    x = torch.randn(4, 6, 16)
    torch.manual_seed(0)
    exact = peft.Adapter(16, 4, init_std=0.0)
    torch.testing.assert_close(exact(x), x, rtol=0, atol=0)
    near = peft.Adapter(16, 4)                                       # Houlsby: std 1e-2, near-identity
    rel = ((near(x) - x).norm() / x.norm()).item()
    assert 0 < rel < 0.01
    assert sum(p.numel() for p in near.parameters()) == 2 * 4 * 16 + 4 + 16
    with pytest.raises(ValueError, match="bottleneck"):
        peft.Adapter(16, 0)


def test_apply_adapters_freezes_the_base_and_trains_adapters_and_layernorms():
    clf = _bert()
    ids = _ids()
    ref = clf(ids)
    names = peft.apply_adapters(clf.bert, bottleneck=3, init_std=0.0)
    assert names == ["layers.0.self_attn.out_proj", "layers.1.self_attn.out_proj", "layers.0.linear2", "layers.1.linear2"]
    torch.testing.assert_close(clf(ids), ref, rtol=0, atol=1e-6)
    trainable = [n for n, p in clf.bert.named_parameters() if p.requires_grad]
    assert all(".adapter." in n or "norm" in n for n in trainable)
    assert sum(".adapter." in n for n in trainable) == 4 * 4


def test_bitfit_trains_only_biases_and_refuses_a_bias_free_model():
    clf = _bert()
    names = peft.apply_bitfit(clf.bert)
    assert names and all(n.endswith("bias") for n in names)
    assert "layers.0.self_attn.in_proj_bias" in names
    assert all(p.requires_grad == n.endswith("bias") for n, p in clf.bert.named_parameters())
    with pytest.raises(ValueError, match="no bias"):
        peft.apply_bitfit(nn.Linear(3, 3, bias=False))


def test_prefix_keys_and_values_have_the_documented_shapes_and_extend_attention():
    enc = peft.PrefixEncoder(num_layers=2, num_tokens=5, dim=16, reparameterize=True, hidden=8)
    assert enc().shape == (2, 2, 5, 16)
    deep = peft.PrefixEncoder(2, 5, 16, reparameterize=False)
    assert deep().shape == (2, 2, 5, 16) and peft.count_trainable(deep)[0] == 2 * 2 * 5 * 16
    clf = _bert()
    ids = _ids()
    model = peft.prefix_tuning(clf, 5, within=clf.bert)
    attn = clf.bert.layers[0].self_attn
    q = attn.project(torch.randn(4, 7, 16), 0)
    attn.prefix = (torch.zeros(5, 16), torch.zeros(5, 16))
    try:
        k = attn.project(torch.randn(4, 7, 16), 1)
        assert q.shape == (4, 2, 7, 8) and k.shape == (4, 2, 5 + 7, 8)  # (B, h, P + T, d)
        _, w = attn(torch.randn(4, 7, 16), key_mask=ids != 0)
        assert w.shape == (4, 2, 7, 12)
        assert torch.all(w[1, :, :, -2:] == 0)                       # padding still masked, after the prefix
    finally:
        attn.prefix = None
    out = model(ids)
    assert out.shape == (4, 3) and attn.prefix is None               # the prefix is removed after the call
    assert {n.split(".")[0] for n, p in model.named_parameters() if p.requires_grad} == {"encoder", "model"}
    assert not any(p.requires_grad for p in clf.bert.parameters())


def test_a_prefix_equals_attending_to_extra_tokens_whose_keys_and_values_it_holds():
    # Li & Liang: a prefix is what P extra (virtual) tokens would contribute as keys and values
    torch.manual_seed(0)
    mha = peft.PeftAttention.from_attention(MultiHeadAttention(8, 2)).eval()
    x, z = torch.randn(2, 4, 8), torch.randn(2, 3, 8)
    xz = torch.cat([z, x], dim=1)                                    # (B, P + T, E)
    ref = mha(x, xz, xz)[0]
    mha.prefix = (mha.k(z), mha.v(z))                                # (B, P, E) each
    torch.testing.assert_close(mha(x)[0], ref, rtol=0, atol=1e-6)
    mha.prefix = (torch.zeros(3, 7), torch.zeros(3, 7))
    with pytest.raises(ValueError, match="prefix must be"):
        mha(x)


def test_soft_prompt_is_inserted_after_cls_and_equals_feeding_the_embeddings_directly():
    clf = _bert()
    ids = _ids(B=3, T=6)
    tok = clf.bert.embeddings.token
    prompt = peft.SoftPrompt(4, 16, init=tok.weight[torch.tensor([5, 6, 7, 8])])
    model = peft.PromptedModel(clf, tok, prompt, slot_id=3)
    # with the prompt initialised to real tokens' embeddings, it equals inserting those tokens
    with_tokens = torch.cat([ids[:, :1], torch.tensor([[5, 6, 7, 8]]).expand(3, 4), ids[:, 1:]], dim=1)
    torch.testing.assert_close(model(ids), clf(with_tokens), rtol=0, atol=1e-6)
    assert clf(ids).shape == (3, 3)                                   # the hook is inactive outside the wrapper
    with pytest.raises(ValueError, match="init must have shape"):
        peft.SoftPrompt(4, 16, init=torch.zeros(3, 16))
    with pytest.raises(ValueError, match="num_tokens"):
        peft.SoftPrompt(0, 16)


@pytest.mark.parametrize("kind", ["lstm", "mlp"])
def test_prompt_encoder_gives_P_by_E_and_is_trainable(kind):
    enc = peft.PromptEncoder(5, 16, hidden=8, kind=kind)
    out = enc()
    assert out.shape == (5, 16)
    out.sum().backward()
    assert enc.inputs.grad is not None
    with pytest.raises(ValueError, match="kind"):
        peft.PromptEncoder(5, 16, kind="gru")


def test_svd_linear_starts_at_the_base_and_regulariser_is_zero_for_orthonormal_factors():
    torch.manual_seed(0)
    layer = peft.SVDLinear(nn.Linear(10, 6), r=3, alpha=6)
    x = torch.randn(4, 10)
    torch.testing.assert_close(layer(x), layer.base(x), rtol=0, atol=0)
    assert layer.rank == 0                                            # lambda starts at zero
    with torch.no_grad():
        layer.lam.copy_(torch.tensor([1.0, 2.0, 3.0]))
        layer.P.copy_(torch.linalg.qr(torch.randn(6, 3))[0])
        layer.Q.copy_(torch.linalg.qr(torch.randn(10, 3))[0].T)
    assert layer.orthogonality().item() == pytest.approx(0.0, abs=1e-10)
    expected = layer.base(x) + 2.0 * x @ (layer.P @ torch.diag(layer.lam) @ layer.Q).T
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-6)
    assert peft.count_trainable(layer)[0] == 3 * (10 + 6 + 1)


def test_rank_allocator_follows_the_cubic_budget_and_prunes_the_least_important_triplets():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 8), nn.Linear(8, 8))
    peft.apply_adalora(model, ["0", "1"], r=4)
    alloc = peft.RankAllocator(model, target_rank=1.5, total_steps=20, warmup=4, final=4, beta1=0.0, beta2=0.0)
    assert alloc.b0 == 8 and alloc.bT == 3
    assert [alloc.budget(t) for t in (0, 3, 4, 16, 19)] == [8, 8, 8, 3, 3]
    assert alloc.budget(8) == int(3 + 5 * (1 - 4 / 12) ** 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    x = torch.randn(32, 8)
    for _ in range(20):
        opt.zero_grad()
        # only the first layer's output matters: the allocator should give it the rank
        loss = ((model[0](x) - 2 * x) ** 2).mean() + 0.0 * model[1](x).sum()
        loss.backward()
        opt.step()
        alloc.step()
    ranks = peft.rank_pattern(model)
    assert sum(ranks.values()) <= 3 and ranks["0"] >= ranks["1"]
    assert alloc.budgets[:4] == [8] * 4 and alloc.budgets[-1] == 3
    with pytest.raises(ValueError, match="no SVDLinear"):
        peft.RankAllocator(nn.Linear(2, 2), 1, 10)


def test_qlora_base_is_quantised_frozen_and_lora_on_top_merges():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 4))
    x = torch.randn(5, 16)
    names = peft.quantize_linears(model, bits=4)
    assert names == ["0", "2"] and all(isinstance(model[i], QuantLinear) for i in (0, 2))
    before = model(x)
    peft.apply_lora(model, ["0", "2"], r=2)
    assert peft.count_trainable(model) == (2 * (16 + 16) + 2 * (16 + 4),) * 2   # the base holds buffers only
    torch.testing.assert_close(model(x), before, rtol=0, atol=0)
    for m in model.modules():
        if isinstance(m, peft.LoRALinear):
            _randomise_B(m)
    adapted = model(x)
    peft.merge_lora(model)
    torch.testing.assert_close(model(x), adapted, rtol=0, atol=1e-5)


def test_adam_state_bytes_is_two_float32_values_per_trainable_parameter():
    layer = _lora(r=2, din=10, dout=6)
    assert peft.adam_state_bytes(layer) == 2 * 4 * 2 * (10 + 6)
    opt = torch.optim.Adam([p for p in layer.parameters() if p.requires_grad])
    layer(torch.randn(3, 10)).sum().backward()
    opt.step()
    measured = sum(v.numel() * v.element_size() for s in opt.state.values() for k, v in s.items() if k != "step")
    assert measured == peft.adam_state_bytes(layer)


# ---- Hugging Face peft as a reference (optional extra: pip install -e ".[peft-reference]") ----

class _Plain(nn.Module):
    def __init__(self):
        super().__init__()
        self.q = nn.Linear(12, 12)
        self.v = nn.Linear(12, 12)
        self.out = nn.Linear(12, 3)

    def forward(self, x):
        return self.out(torch.tanh(self.q(x)) * self.v(x))


def test_hugging_face_peft_lora_and_ours_agree_with_copied_weights():
    hf = pytest.importorskip("peft", reason="Hugging Face peft is an optional extra (peft-reference)")
    torch.manual_seed(0)
    base = _Plain()
    theirs = hf.get_peft_model(copy.deepcopy(base), hf.LoraConfig(r=4, lora_alpha=10, target_modules=["q", "v"],
                                                                    lora_dropout=0.0))
    ours = copy.deepcopy(base)
    peft.apply_lora(ours, ["q", "v"], r=4, alpha=10)
    x = torch.randn(6, 12)
    torch.testing.assert_close(theirs(x), base(x), rtol=0, atol=0)     # both start at the base
    torch.testing.assert_close(ours(x), base(x), rtol=0, atol=0)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        for name in ("q", "v"):
            layer = getattr(theirs.base_model.model, name)
            assert layer.scaling["default"] == pytest.approx(10 / 4)
            A, B = torch.randn(4, 12, generator=g), torch.randn(12, 4, generator=g)
            layer.lora_A["default"].weight.copy_(A)
            layer.lora_B["default"].weight.copy_(B)
            getattr(ours, name).A.copy_(A)
            getattr(ours, name).B.copy_(B)
    torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-6)
    assert peft.count_trainable(ours)[0] == sum(p.numel() for p in theirs.parameters() if p.requires_grad)
    merged = theirs.merge_and_unload()
    peft.merge_lora(ours)
    for name in ("q", "v"):
        assert type(getattr(merged, name)) is nn.Linear
        torch.testing.assert_close(getattr(ours, name).weight, getattr(merged, name).weight, rtol=0, atol=1e-6)
    torch.testing.assert_close(ours(x), merged(x), rtol=0, atol=1e-6)


def test_first_half_topics_splices_two_sentences_and_labels_the_first():
    lang = bert.mini_bert_language()
    ids, y = peft.first_half_topics(lang, 50, seed=3)
    a, ya = lang.sentences(50, seed=3)
    b, _ = lang.sentences(50, seed=3 + 77_777)
    assert ids.shape == a.shape and torch.equal(y, ya)
    assert torch.equal(ids[:, :5], a[:, :5]) and torch.equal(ids[:, 5:9], b[:, 5:9]) and torch.equal(ids[:, 9:], a[:, 9:])
