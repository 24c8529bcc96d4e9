"""dlbook.bert: masking statistics and determinism, the parameter formula against built models,
the model against dlbook.transformer's layers, the corpus, and the shipped weights' reproducibility."""

from __future__ import annotations

from pathlib import Path

import pytest
from shipped_weights import assert_tool_rebuilds
import torch

from dlbook.bert import (
    IGNORE_INDEX,
    MINI_BERT,
    WEIGHTS,
    BertClassifier,
    BertForPreTraining,
    BertModel,
    MaskedPairs,
    TopicLanguage,
    bert_config,
    bert_num_parameters,
    load_pretrained,
    mask_tokens,
    mini_bert_language,
    pretraining_loss,
)
from dlbook import bert
from dlbook.transformer import EncoderLayer, TransformerEncoder

ROOT = Path(__file__).resolve().parents[1]
V, MASK_ID, SPECIALS = 50, 3, (0, 1, 2)


def _batch(seed=0, B=400, T=100):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, V, (B, T), generator=g)
    ids[:, 0] = 1                                                    # [CLS]
    lengths = torch.randint(T // 2, T + 1, (B,), generator=g)
    ids[torch.arange(T)[None] >= lengths[:, None]] = 0              # padding
    return ids


def test_masking_statistics_over_a_large_batch():
    ids = _batch()
    inputs, labels = mask_tokens(ids, V, MASK_ID, SPECIALS, generator=torch.Generator().manual_seed(1))
    ordinary = ids >= 4
    selected = labels != IGNORE_INDEX
    n = int(ordinary.sum())
    rate = selected.sum().item() / n
    assert abs(rate - 0.15) < 4 * (0.15 * 0.85 / n) ** 0.5           # 15% of the ordinary tokens
    assert not selected[~ordinary].any()                             # never [CLS] nor padding
    assert torch.equal(labels[selected], ids[selected])
    assert torch.equal(inputs[~selected], ids[~selected])            # only selected positions change
    k = int(selected.sum())
    masked = (inputs[selected] == MASK_ID).sum().item() / k
    unchanged = (inputs[selected] == ids[selected]).sum().item() / k
    randomised = 1 - masked - unchanged
    tol = 4 * (0.25 / k) ** 0.5
    assert abs(masked - 0.8) < tol
    # a random replacement equals the original with probability 1/46, so "unchanged" is 0.1 + 0.1/46
    assert abs(unchanged - (0.1 + 0.1 / (V - 4))) < tol
    assert abs(randomised - (0.1 - 0.1 / (V - 4))) < tol
    replaced = inputs[selected][(inputs[selected] != MASK_ID) & (inputs[selected] != ids[selected])]
    assert replaced.min() >= 4                                       # random ids are never special


def test_masking_is_deterministic_under_a_generator():
    ids = _batch(B=20)
    a = mask_tokens(ids, V, MASK_ID, SPECIALS, generator=torch.Generator().manual_seed(5))
    b = mask_tokens(ids, V, MASK_ID, SPECIALS, generator=torch.Generator().manual_seed(5))
    c = mask_tokens(ids, V, MASK_ID, SPECIALS, generator=torch.Generator().manual_seed(6))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])


def test_masking_p_and_input_is_not_modified():
    ids = _batch(B=50)
    before = ids.clone()
    _, labels = mask_tokens(ids, V, MASK_ID, SPECIALS, p=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(ids, before)
    assert torch.equal(labels != IGNORE_INDEX, ids >= 4)             # p = 1 selects every ordinary token


@pytest.mark.parametrize("kwargs, err", [
    (dict(ids=torch.zeros(2, 3)), TypeError),
    (dict(ids=[1, 2]), TypeError),
    (dict(p=0.0), ValueError),
    (dict(p=1.5), ValueError),
    (dict(mask_id=V), ValueError),
    (dict(special_ids=(0, V + 1)), ValueError),
    (dict(ids=torch.tensor([[1, V]])), ValueError),
    (dict(ids=torch.tensor([[1, -1]])), ValueError),
])
def test_masking_errors(kwargs, err):
    args = dict(ids=torch.tensor([[1, 5, 6]]), vocab_size=V, mask_id=MASK_ID, special_ids=SPECIALS)
    args.update(kwargs)
    with pytest.raises(err):
        mask_tokens(**args)


def test_formula_standard_sizes():
    assert bert_num_parameters(30522, 768, 12, 3072) == 109_482_240
    assert bert_num_parameters(30522, 768, 12, 3072, pooler=False) == 108_891_648


def _count(m):
    return sum(p.numel() for p in m.parameters())


@pytest.mark.parametrize("V_, H, L, h, I, P, kw", [
    (100, 16, 1, 2, 64, 32, {}),
    (37, 32, 3, 4, 48, 20, dict(pooler=False)),
    (50, 24, 2, 3, 96, 16, dict(pre_norm=True)),
    (60, 32, 4, 4, 128, 16, dict(embedding_size=8, share_layers=True)),
    (60, 32, 2, 4, 128, 16, dict(embedding_size=8)),
])
def test_formula_equals_built_models(V_, H, L, h, I, P, kw):
    pre_norm = kw.pop("pre_norm", False)
    pooler = kw.get("pooler", True)
    cfg = bert_config(H, L, h, I, P, pre_norm=pre_norm)
    model = BertModel(V_, cfg, **kw)
    assert _count(model) == bert_num_parameters(V_, H, L, I, P, pre_norm=pre_norm, **kw)
    if pooler:
        for tied in (True, False):
            full = BertForPreTraining(BertModel(V_, cfg, **kw), tied=tied)
            assert _count(full) == bert_num_parameters(V_, H, L, I, P, pre_norm=pre_norm, mlm_head=True, tied=tied,
                                                       nsp_head=True, **kw)


def test_formula_errors():
    with pytest.raises(ValueError):
        bert_num_parameters(0, 768, 12)
    with pytest.raises(ValueError):
        bert_num_parameters(100, 16, 2, pooler=False, nsp_head=True)


@pytest.mark.parametrize("pre_norm", [False, True])
def test_layers_match_transformer_encoder_layers(pre_norm):
    torch.manual_seed(0)
    cfg = bert_config(16, 2, 4, 32, 12, dropout=0.0, pre_norm=pre_norm)
    model = BertModel(30, cfg).eval()
    ids = torch.randint(4, 30, (3, 7))
    ids[2, 5:] = 0
    out = model(ids)
    x = model.embeddings(ids)
    for layer, h in zip(model.layers, out.hidden_states[1:]):
        ref = EncoderLayer(cfg).eval()
        ref.load_state_dict(layer.state_dict())
        x = ref(x, ids != 0)
        if not (pre_norm and h is out.hidden_states[-1]):
            assert torch.allclose(x, h, atol=1e-5)
    assert torch.allclose(model.norm(x), out.last_hidden, atol=1e-5)
    assert len(out.attentions) == 2 and out.attentions[0].shape == (3, 4, 7, 7)
    assert torch.allclose(out.attentions[0].sum(-1), torch.ones(3, 4, 7))
    assert out.attentions[0][2, :, :, 5:].abs().max() == 0           # no attention to padding


def test_mlm_head_is_tied_and_shapes():
    model = BertForPreTraining(BertModel(30, bert_config(16, 1, 2, 32, 12)))
    mlm, nsp = model(torch.randint(4, 30, (2, 6)), torch.zeros(2, 6, dtype=torch.long))
    assert mlm.shape == (2, 6, 30) and nsp.shape == (2, 2)
    names = [n for n, _ in model.named_parameters()]
    assert "decoder.weight" not in names and "decoder_bias" in names
    untied = BertForPreTraining(BertModel(30, bert_config(16, 1, 2, 32, 12)), tied=False)
    assert untied.decoder.weight.data_ptr() != untied.bert.embeddings.token.weight.data_ptr()


def test_model_errors():
    model = BertModel(30, bert_config(16, 1, 2, 32, 8))
    with pytest.raises(ValueError):
        model(torch.zeros(2, 9, dtype=torch.long))                   # longer than max_len
    with pytest.raises(ValueError):
        model(torch.zeros(2, 4, dtype=torch.long), torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError):
        model(torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError):
        BertForPreTraining(BertModel(30, bert_config(16, 1, 2, 32, 8), pooler=False))


def test_classifier_freeze_trains_only_the_head():
    bert = BertModel(30, bert_config(16, 1, 2, 32, 12))
    clf = BertClassifier(bert, 3, freeze=True).train()
    assert not bert.training and clf.head.training
    trainable = [n for n, p in clf.named_parameters() if p.requires_grad]
    assert trainable == ["head.weight", "head.bias"]
    assert clf(torch.randint(4, 30, (5, 6))).shape == (5, 3)


def test_corpus_pairs_and_posterior():
    lang = TopicLanguage(num_words=20, num_topics=3, sentence_len=5, seed=1)
    assert torch.allclose(torch.from_numpy(lang.transition.sum(-1)), torch.ones(3, 20, dtype=torch.float64))
    p = lang.pairs(200, seed=2)
    assert p.ids.shape == (200, 13) and p.segments.shape == (200, 13)
    assert (p.ids[:, 0] == lang.cls_id).all() and (p.ids[:, 6] == lang.sep_id).all() and (p.ids[:, -1] == lang.sep_id).all()
    assert (p.segments[:, :7] == 0).all() and (p.segments[:, 7:] == 1).all()
    assert 0.35 < p.is_next.float().mean() < 0.65
    ids, topics = lang.sentences(500, seed=3)
    post = lang.posterior(ids)
    assert torch.allclose(post.sum(1), torch.ones(500, dtype=torch.float64))
    assert (post.argmax(1) == topics).double().mean() > 0.8          # the topic is recoverable
    assert lang.decode(lang.encode("[CLS] " + lang.words[0])) == "[CLS] " + lang.words[0]
    with pytest.raises(ValueError):
        lang.encode("notaword")
    with pytest.raises(ValueError):
        TopicLanguage(bigram_weight=2.0)


def test_masked_pairs_dynamic_vs_static():
    lang = TopicLanguage(num_words=20, sentence_len=4)
    pairs = lang.pairs(64, seed=0)
    for dynamic in (True, False):
        loader = MaskedPairs(pairs, lang, 64, shuffle=False, dynamic=dynamic, seed=0)
        (x1, s1), y1 = next(iter(loader))
        (x2, _), y2 = next(iter(loader))
        assert y1.shape == (64, 12) and torch.equal(y1[:, -1], pairs.is_next)
        assert torch.equal(x1, x2) != dynamic                        # new masks at every pass only if dynamic
    model = BertForPreTraining(BertModel(lang.vocab_size, bert_config(16, 1, 2, 32, 12)))
    assert pretraining_loss(model(x1, s1), y1).dim() == 0


def test_shipped_weights_load():
    assert WEIGHTS.exists() and WEIGHTS.stat().st_size < 1_000_000
    model = load_pretrained()
    lang = mini_bert_language(MINI_BERT["language_seed"])
    ids, _ = lang.sentences(4, seed=0)
    out = model.bert(ids)
    assert len(out.hidden_states) == MINI_BERT["num_layers"] + 1 and out.pooled.shape == (4, MINI_BERT["hidden"])


@pytest.mark.slow
def test_pretraining_reproduces_the_shipped_weights(tmp_path):
    """Re-runs tools/pretrain_mini_bert.py in the pinned environment (about 35 s of CPU).

    Bit for bit is a stored-output check: it holds under the pins and with the PyTorch version that
    made the file. With another version it skips, naming both (the notebook checks the quality).
    """
    assert_tool_rebuilds("pretrain_mini_bert.py", WEIGHTS, bert.MINI_BERT_TORCH, "the shipped mini-BERT weights",
                         tmp_path / "mini_bert.pt", timeout=600)


# --- BERT on the Transformer's own layers: the same computation, the same weights, the new API ---

def _old_bert_forward(model, ids, key_mask=None):
    # BertModel.forward with BertLayer.forward as they were before BERT reused EncoderLayer (096d3aa)
    if key_mask is None:
        key_mask = ids != model.pad_id
    x = model.embeddings(ids, None)
    hidden, attentions = [x], []
    for layer in model.layers:
        if layer.pre_norm:
            y = layer.norm1(x)
            a, w = layer.self_attn(y, y, y, key_mask)
            x = x + layer.dropout1(a)
            x = x + layer.dropout2(layer.ffn(layer.norm2(x)))
        else:
            a, w = layer.self_attn(x, x, x, key_mask)
            x = layer.norm1(x + layer.dropout1(a))
            x = layer.norm2(x + layer.dropout2(layer.ffn(x)))
        hidden.append(x)
        attentions.append(w)
    x = model.norm(x)
    if model.config.pre_norm:
        hidden[-1] = x
    pooled = torch.tanh(model.pooler(x[:, 0]))
    return x, pooled, hidden, attentions


@pytest.mark.parametrize("pre_norm", [False, True])
@pytest.mark.parametrize("train", [False, True])
def test_bert_on_encoder_layers_computes_bit_for_bit_what_it_did(pre_norm, train):
    """Same operations in the same order, dropout draws included: the stored notebook outputs rest on it."""
    torch.manual_seed(0)
    model = BertModel(30, bert.BertConfig(16, 2, 4, 32, 12, pre_norm=pre_norm)).train(train)
    assert isinstance(model, TransformerEncoder) and all(type(layer) is EncoderLayer for layer in model.layers)
    ids = torch.randint(4, 30, (3, 7))
    ids[2, 5:] = 0
    torch.manual_seed(1)
    new = model(ids)
    torch.manual_seed(1)
    old = _old_bert_forward(model, ids)
    assert torch.equal(new.last_hidden, old[0]) and torch.equal(new.pooled, old[1])
    assert all(torch.equal(a, b) for a, b in zip(new.hidden_states, old[2], strict=True))
    assert all(torch.equal(a, b) for a, b in zip(new.attentions, old[3], strict=True))
    new.attentions[0].sum().backward()                               # the weights keep their gradient
    assert model.layers[0].self_attn.in_proj_weight.grad is not None


def test_encoder_layer_returns_its_weights_on_request():
    torch.manual_seed(0)
    layer = EncoderLayer(bert_config(16, 1, 4, 32, 12, dropout=0.0)).eval()
    x, mask = torch.randn(2, 5, 16), torch.tensor([[True] * 5, [True] * 3 + [False] * 2])
    plain = layer(x, mask)
    out, w = layer(x, mask, need_weights=True)
    assert isinstance(plain, torch.Tensor) and torch.equal(plain, out)
    assert w.shape == (2, 4, 5, 5) and torch.allclose(w.sum(-1), torch.ones(2, 4, 5)) and w[1, :, :, 3:].abs().max() == 0


def test_shipped_weights_keep_their_module_names():
    """The stack's modules keep BERT's names (``layers.i``, ``norm``), so the shipped file loads as it is."""
    shipped = torch.load(WEIGHTS, map_location="cpu", weights_only=True)
    model = bert.mini_bert(mini_bert_language().vocab_size)
    assert list(model.state_dict()) == list(shipped)                 # the same names in the same order
    loaded = load_pretrained()
    assert all(torch.equal(loaded.state_dict()[k], v) for k, v in shipped.items())


def test_bert_config_is_validated_and_gives_the_transformer_config():
    assert bert.BertConfig(64, 2, 4, 128, 32).transformer_config() == bert_config(64, 2, 4, 128, 32)
    assert bert.BertConfig().transformer_config().d_ff == 3072      # BERT-base: 4 H
    assert bert.MINI_BERT_CONFIG == bert.BertConfig(hidden=64, num_layers=2, num_heads=4, intermediate=128, max_len=32)
    for bad, match in [(dict(hidden=0), "hidden"), (dict(num_layers=0), "num_layers"), (dict(dropout=1.5), "dropout"),
                       (dict(hidden=10, num_heads=4), "divisible"), (dict(intermediate=-1), "intermediate"),
                       (dict(norm_eps=0.0), "norm_eps"), (dict(num_heads=2.0), "num_heads")]:
        with pytest.raises(ValueError, match=match):
            bert.BertConfig(**bad)
    with pytest.raises(TypeError, match="pre_norm"):
        bert.BertConfig(pre_norm="yes")
    with pytest.raises(TypeError, match="BertConfig or a TransformerConfig"):
        BertModel(30, {"hidden": 16})
    for bad, match in [(dict(epochs=0), "epochs"), (dict(lr=0.0), "lr"), (dict(weight_decay=-1.0), "weight_decay"),
                       (dict(seed=-1), "seed"), (dict(batch_size=2.5), "batch_size")]:
        with pytest.raises(ValueError, match=match):
            bert.PretrainingRecipe(**bad)


def test_the_mini_bert_summary_is_what_it_was():
    # printed by 05_transformer/06; the same keys and values as the old mixed dict
    assert bert.MINI_BERT == dict(hidden=64, num_layers=2, num_heads=4, intermediate=128, max_len=32, dropout=0.1,
                                  num_pairs=8192, epochs=4, batch_size=64, lr=3e-3, warmup_steps=100, weight_decay=0.01,
                                  language_seed=0, seed=0)
    assert list(bert.MINI_BERT) == ["hidden", "num_layers", "num_heads", "intermediate", "max_len", "dropout", "num_pairs",
                                    "epochs", "batch_size", "lr", "warmup_steps", "weight_decay", "language_seed", "seed"]


def _equal_states(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_deprecated_bert_layer_warns_and_still_works():
    cfg = bert_config(16, 1, 4, 32, 12, dropout=0.0)
    with pytest.warns(FutureWarning, match="BertLayer is deprecated"):
        old = bert.BertLayer(cfg).eval()
    new = EncoderLayer(cfg).eval()
    new.load_state_dict(old.state_dict())
    x = torch.randn(2, 5, 16)
    out, w = old(x, torch.ones(2, 5, dtype=torch.bool))
    ref, ref_w = new(x, torch.ones(2, 5, dtype=torch.bool), need_weights=True)
    assert torch.equal(out, ref) and torch.equal(w, ref_w)


def test_deprecated_mini_bert_sizes_warn_and_build_the_same_model():
    V = mini_bert_language().vocab_size
    new = bert.mini_bert(V, bert.BertConfig(32, 1, 2, 64, 24, 0.0, True), seed=3)
    with pytest.warns(FutureWarning, match="mini_bert with sizes"):
        positional = bert.mini_bert(V, 32, 1, 2, 64, 24, 0.0, True, 3)   # the old 9 positional arguments
    with pytest.warns(FutureWarning, match="mini_bert with sizes"):
        keywords = bert.mini_bert(V, hidden=32, num_layers=1, num_heads=2, intermediate=64, max_len=24, dropout=0.0,
                                  pre_norm=True, seed=3)
    assert _equal_states(new.state_dict(), positional.state_dict()) and _equal_states(new.state_dict(), keywords.state_dict())
    with pytest.raises(TypeError, match="unexpected keyword"):
        bert.mini_bert(V, hiden=32)


def test_deprecated_flat_pretrain_arguments_warn_and_train_the_same_model():
    sizes = dict(hidden=16, num_layers=1, num_heads=2, intermediate=32, max_len=24, dropout=0.1)
    recipe = dict(num_pairs=64, epochs=1, batch_size=32, val_pairs=32, seed=5)
    new, hist = bert.pretrain(config=bert.BertConfig(**sizes), recipe=bert.PretrainingRecipe(**recipe))
    with pytest.warns(FutureWarning, match="pretrain with sizes/recipe"):
        old, old_hist = bert.pretrain(**sizes, **recipe)
    assert _equal_states(new.state_dict(), old.state_dict()) and hist["val_loss"] == old_hist["val_loss"]
    with pytest.raises(TypeError, match="not both"):
        bert.pretrain(hidden=16, recipe=bert.PretrainingRecipe())
    with pytest.raises(TypeError, match="recipe must be a PretrainingRecipe"):
        bert.pretrain(recipe=dict(epochs=1))
