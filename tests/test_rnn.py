import pytest
import torch
from torch import nn

import dlbook
from dlbook import rnn, seqdata

PAIRS = [(rnn.RNNCell, nn.RNNCell), (rnn.LSTMCell, nn.LSTMCell), (rnn.GRUCell, nn.GRUCell)]


@pytest.mark.parametrize("mine_cls, torch_cls", PAIRS, ids=["rnn", "lstm", "gru"])
@pytest.mark.parametrize("bias", [True, False])
def test_cells_load_torch_weights_and_agree(mine_cls, torch_cls, bias):
    torch.manual_seed(0)
    ref = torch_cls(5, 7, bias=bias).double()
    mine = mine_cls(5, 7, bias=bias).double()
    assert [(k, v.shape) for k, v in mine.state_dict().items()] == [(k, v.shape) for k, v in ref.state_dict().items()]
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(3, 5, dtype=torch.double, requires_grad=True)
    state = (torch.randn(3, 7, dtype=torch.double), torch.randn(3, 7, dtype=torch.double)) if torch_cls is nn.LSTMCell \
        else torch.randn(3, 7, dtype=torch.double)
    out_m, out_r = mine(x, state), ref(x, state)
    outs_m = out_m if isinstance(out_m, tuple) else (out_m,)
    outs_r = out_r if isinstance(out_r, tuple) else (out_r,)
    for a, b in zip(outs_m, outs_r):
        assert torch.allclose(a, b, atol=1e-6)
    # gradients too
    gm = torch.autograd.grad(sum(o.sum() for o in outs_m), [x, mine.weight_hh])
    gr = torch.autograd.grad(sum(o.sum() for o in outs_r), [x, ref.weight_hh])
    for a, b in zip(gm, gr):
        assert torch.allclose(a, b, atol=1e-6)
    # zero state by default and unbatched inputs, as torch
    for a, b in zip(*(o if isinstance(o, tuple) else (o,) for o in (mine(x[0]), ref(x[0])))):
        assert a.shape == (7,) and torch.allclose(a, b, atol=1e-6)


def test_relu_rnn_cell_and_parameter_counts():
    ref, mine = nn.RNNCell(4, 6, nonlinearity="relu"), rnn.RNNCell(4, 6, nonlinearity="relu")
    mine.load_state_dict(ref.state_dict())
    x = torch.randn(2, 4)
    assert torch.allclose(mine(x), ref(x), atol=1e-6)
    count = lambda m: sum(p.numel() for p in m.parameters())
    base = count(rnn.RNNCell(4, 6))
    assert base == 6 * (4 + 6 + 2)
    assert count(rnn.LSTMCell(4, 6)) == 4 * base and count(rnn.GRUCell(4, 6)) == 3 * base


def test_cells_reject_bad_shapes():
    cell = rnn.LSTMCell(3, 4)
    with pytest.raises(ValueError, match=r"input \(B, 3\)"):
        cell(torch.randn(2, 5))
    with pytest.raises(ValueError, match=r"h must have shape \(2, 4\), got \(2, 3\)"):
        cell(torch.randn(2, 3), (torch.zeros(2, 3), torch.zeros(2, 4)))
    with pytest.raises(TypeError, match="pair"):
        cell(torch.randn(2, 3), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="hidden state must have shape"):
        rnn.GRUCell(3, 4)(torch.randn(2, 3), torch.zeros(1, 4))
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn.RNNCell(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
def test_unroll_matches_torch_layers(kind):
    torch.manual_seed(1)
    layer = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}[kind](3, 5, batch_first=True).double()
    cell = {"rnn": rnn.RNNCell, "lstm": rnn.LSTMCell, "gru": rnn.GRUCell}[kind](3, 5).double()
    cell.load_state_dict({k.removesuffix("_l0"): v for k, v in layer.state_dict().items()})
    x = torch.randn(2, 6, 3, dtype=torch.double)
    out, state = rnn.unroll(cell, x)
    ref_out, ref_state = layer(x)
    assert out.shape == (2, 6, 5) and torch.allclose(out, ref_out, atol=1e-6)
    h = state[0] if kind == "lstm" else state
    assert torch.allclose(h, (ref_state[0] if kind == "lstm" else ref_state)[0], atol=1e-6)


def test_unroll_with_mask_keeps_the_last_real_state():
    torch.manual_seed(2)
    cell = rnn.GRUCell(3, 4)
    x = torch.randn(2, 5, 3)
    mask = seqdata.length_mask([5, 2])
    _, state = rnn.unroll(cell, x, mask=mask)
    _, short = rnn.unroll(cell, x[1:, :2])
    assert torch.allclose(state[1], short[0], atol=1e-6)
    with pytest.raises(ValueError, match=r"mask must have shape \(2, 5\)"):
        rnn.unroll(cell, x, mask=mask[:, :3])


def test_bahdanau_attention_formula_and_mask():
    torch.manual_seed(3)
    att = rnn.BahdanauAttention(4, 6, 5)
    q, k = torch.randn(2, 4), torch.randn(2, 7, 6)
    mask = seqdata.length_mask([7, 3])
    context, w = att(q, k, mask)
    assert w.shape == (2, 7) and context.shape == (2, 6)
    assert torch.allclose(w.sum(1), torch.ones(2)) and (w[1, 3:] == 0).all()
    # the formula for the second example, by hand: v^T tanh(W_q q + W_k k_s + b) over its 3 real keys
    scores = torch.stack([att.v.weight[0] @ torch.tanh(att.W_q.weight @ q[1] + att.W_k.weight @ k[1, s] + att.W_k.bias)
                          for s in range(3)])
    assert torch.allclose(w[1, :3], torch.softmax(scores, 0), atol=1e-6)
    assert torch.allclose(context[1], w[1, :3] @ k[1, :3], atol=1e-6)
    with pytest.raises(ValueError, match="query must have shape"):
        att(torch.randn(2, 5), k, mask)
    with pytest.raises(ValueError, match="mask must have shape"):
        att(q, k, mask[:, :4])


def _tiny_seq2seq(attention=True):
    sv, tv = seqdata.date_vocabs()
    enc = rnn.Encoder(len(sv), 8, 10)
    return rnn.Seq2Seq(enc, rnn.Decoder(len(tv), 6, 12, enc.output_size, attention=attention)), sv, tv


def test_encoder_ignores_padding():
    torch.manual_seed(4)
    model, sv, _ = _tiny_seq2seq()
    src, mask = sv.encode_batch(["22 Nov 2026", "1.1.2000"])
    out, final = model.encoder(src, mask)
    out1, final1 = model.encoder(src[1:, :8], mask[1:, :8])
    assert out.shape == (2, src.shape[1], 20) and final.shape == (2, 20)
    assert torch.allclose(out[1, :8], out1[0], atol=1e-6) and torch.allclose(final[1], final1[0], atol=1e-6)
    assert (out[1, 8:] == 0).all()
    with pytest.raises(ValueError, match="mask must be boolean"):
        model.encoder(src, mask.long())


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_teacher_forcing_and_greedy_decoding_agree(attention):
    torch.manual_seed(5)
    model, sv, tv = _tiny_seq2seq(attention)
    model.eval()
    src, mask = sv.encode_batch(["22 Nov 2026", "二〇二六年十一月二十二日", "20261122"])
    ids, weights = model.greedy_decode(src, mask, max_len=6)
    assert ids.shape == (3, 6)
    if attention:
        assert weights.shape == (3, 6, src.shape[1])
        assert torch.allclose(weights.sum(-1), torch.ones(3, 6)) and (weights[2, :, 8:] == 0).all()
    else:
        assert weights is None
    # feeding the greedy output back as the teacher-forced input gives the same argmaxes
    tgt_in = torch.cat([torch.full((3, 1), tv.bos_id), ids[:, :-1]], dim=1)
    logits = model(src, mask, tgt_in)
    assert logits.shape == (3, 6, len(tv))
    first_eos = [(r == tv.eos_id).nonzero()[0, 0].item() if (r == tv.eos_id).any() else 6 for r in ids]
    for b, stop in enumerate(first_eos):
        assert torch.equal(logits[b, : stop + 1].argmax(-1), ids[b, : stop + 1])


def test_sequence_losses_skip_ignored_labels():
    logits = torch.randn(2, 3, 5)
    labels = torch.tensor([[1, 2, -100], [0, -100, -100]])
    manual = -(torch.log_softmax(logits[0, 0], 0)[1] + torch.log_softmax(logits[0, 1], 0)[2]
               + torch.log_softmax(logits[1, 0], 0)[0]) / 3
    assert torch.allclose(rnn.sequence_cross_entropy(logits, labels), manual)
    perfect = torch.nn.functional.one_hot(labels.clamp(min=0), 5).float()
    assert rnn.exact_match(perfect, labels) == 1 and rnn.token_accuracy(perfect, labels) == 1
    perfect[1, 0] = torch.tensor([0, 1.0, 0, 0, 0])
    assert rnn.exact_match(perfect, labels) == 0.5 and rnn.token_accuracy(perfect, labels) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match=r"logits \(B, T, V\)"):
        rnn.sequence_cross_entropy(logits[0], labels)


def test_char_lm_and_generation():
    torch.manual_seed(6)
    for cell in ("rnn", "lstm", "gru"):
        lm = rnn.CharLM(10, 4, 8, cell=cell)
        assert lm(torch.randint(0, 10, (2, 7))).shape == (2, 7, 10)
    prefix = torch.tensor([1, 2, 3])
    a = rnn.generate(lm, prefix, 12, greedy=True)
    assert a.shape == (12,) and torch.equal(a, rnn.generate(lm, prefix, 12, greedy=True))
    # the generated continuation is what step-by-step argmax over the full text gives
    full = torch.cat([prefix, a])
    assert torch.equal(lm(full[None, :-1])[0, 2:].argmax(-1), a)
    g1, g2 = torch.Generator().manual_seed(0), torch.Generator().manual_seed(0)
    assert torch.equal(rnn.generate(lm, prefix, 20, generator=g1), rnn.generate(lm, prefix, 20, generator=g2))
    with pytest.raises(ValueError, match="temperature"):
        rnn.generate(lm, prefix, 3, temperature=0)
    with pytest.raises(ValueError, match="cell must be"):
        rnn.CharLM(10, cell="transformer")


def test_fit_trains_a_seq2seq_on_tuple_batches():
    torch.manual_seed(7)
    model, sv, tv = _tiny_seq2seq()
    s = seqdata.split_dates(seed=0)
    data = seqdata.date_tensors(seqdata.date_pairs(s.train[:256], formats=["iso"]), sv, tv)
    loader = seqdata.date_loader(data, batch_size=64, shuffle=True)
    assert len(loader) == 4
    (x, y), = [next(iter(loader))]
    assert len(x) == 3 and x[0].shape[0] == y.shape[0] == 64
    hist = dlbook.fit(model, rnn.sequence_cross_entropy, torch.optim.Adam(model.parameters(), 1e-2), loader,
                      val_loader=loader, epochs=3, metrics={"tok": rnn.token_accuracy}, progress=False)
    assert hist["train_loss"][-1] < hist["train_loss"][0] and "val_tok" in hist
