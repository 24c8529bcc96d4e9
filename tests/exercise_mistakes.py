"""The classic mistakes the public tests of the graded exercises catch, as data.

``MISTAKES[exercise][question]`` lists ``(name, code, hint)``: ``code`` is a learner's answer with
that one mistake (a whole definition, run after the master's solution cells, so it replaces the
reference); ``hint`` must appear in the first error message ``grader.check(question)`` shows.
``tests/test_exercises.py::test_public_tests_catch_the_classic_mistakes`` also checks that the
hidden tests score each of them zero. ``exercises/README.md`` ("Mistakes the public tests catch")
lists them for instructors (``python tests/exercise_mistakes.py`` prints that table). The
train-to-a-threshold questions are not here: their public test says how far the model is from the bar, and
``tests/test_exercises.py`` checks the shortcuts they must reject (ex05 q4: attention that is not used;
ex07 q7: a student trained without the teacher) by themselves.
"""

from __future__ import annotations

MISTAKES: dict[str, dict[str, list[tuple[str, str, str]]]] = {
    "ex00_introduction": {
        "q1": [
            ("sums instead of averaging", """
def mse(y_pred, y_true):
    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: {tuple(y_pred.shape)} vs {tuple(y_true.shape)}")
    return ((y_pred - y_true) ** 2).sum()
""", "average over the elements (.mean()), don't sum"),
            ("lets (n, 1) and (n,) broadcast", """
def mse(y_pred, y_true):
    return ((y_pred - y_true) ** 2).mean()
""", "raise a ValueError when the shapes differ"),
            ("returns a Python float", """
def mse(y_pred, y_true):
    if y_pred.shape != y_true.shape:
        raise ValueError(f"shapes differ: {tuple(y_pred.shape)} vs {tuple(y_true.shape)}")
    return ((y_pred - y_true) ** 2).mean().item()
""", "keep the result a tensor (no .item() or float())"),
        ],
        "q2": [
            ("changes w in place", """
def gd_step(w, b, X, y, lr):
    b = torch.as_tensor(b, dtype=w.dtype)
    residual = X @ w + b - y
    n = X.shape[0]
    w -= lr * 2.0 / n * (X.T @ residual)
    return w, b - lr * 2.0 / n * residual.sum()
""", "gd_step changed w in place"),
            ("sums the gradient instead of averaging it", """
def gd_step(w, b, X, y, lr):
    b = torch.as_tensor(b, dtype=w.dtype)
    residual = X @ w + b - y
    return w - lr * 2.0 * (X.T @ residual), b - lr * 2.0 * residual.sum()
""", "its gradient has the factor 2/n"),
            ("forgets the bias in the prediction", """
def gd_step(w, b, X, y, lr):
    b = torch.as_tensor(b, dtype=w.dtype)
    residual = X @ w - y
    n = X.shape[0]
    return w - lr * 2.0 / n * (X.T @ residual), b - lr * 2.0 / n * residual.sum()
""", "the residual is X @ w + b - y"),
        ],
        "q3": [
            ("one step only", "w_two_steps = 0.6", "take a second step"),
            ("derivative without the factor 2", "w_two_steps = 0.57", "the derivative of (w - 3)^2 is 2(w - 3)"),
            ("steps up the gradient", "w_two_steps = -1.32", "step against the gradient"),
        ],
    },
    "ex01_neurons": {
        "q1": [
            ("no max-subtraction (overflows)", """
def softmax(z, dim=-1):
    e = z.exp()
    return e / e.sum(dim=dim, keepdim=True)
""", "subtract the maximum first"),
            ("divides by the sum of the whole tensor", """
def softmax(z, dim=-1):
    e = (z - z.amax(dim=dim, keepdim=True)).exp()
    return e / e.sum()
""", "not by the sum of the whole tensor"),
            ("drops keepdim", """
def softmax(z, dim=-1):
    e = (z - z.amax(dim=dim)).exp()
    return e / e.sum(dim=dim)
""", "keep the reduced dimension"),
            ("ignores dim", """
def softmax(z, dim=-1):
    e = (z - z.amax(dim=-1, keepdim=True)).exp()
    return e / e.sum(dim=-1, keepdim=True)
""", "use the dim argument"),
        ],
        "q2": [
            ("sums instead of averaging", """
def cross_entropy(logits, targets):
    m = logits.amax(dim=1, keepdim=True)
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, targets.reshape(-1, 1)).sum()
""", "your loss is 8x too large for a batch of 8: average over the batch"),
            ("no log-sum-exp shift (overflows)", """
def cross_entropy(logits, targets):
    log_probs = logits - logits.exp().sum(dim=1, keepdim=True).log()
    return -log_probs.gather(1, targets.reshape(-1, 1)).mean()
""", "subtract the row maximum m before exp"),
            ("indexes log_probs[:, targets]", """
def cross_entropy(logits, targets):
    m = logits.amax(dim=1, keepdim=True)
    log_probs = logits - m - (logits - m).exp().sum(dim=1, keepdim=True).log()
    return -log_probs[:, targets].mean()
""", "pick one log-probability per row"),
        ],
        "q3": [
            ("changes w in place", """
def perceptron_update(w, b, x, y, lr=1.0):
    y_hat = 1.0 if float(w @ x + b) >= 0 else 0.0
    delta = lr * (float(y) - y_hat)
    w += delta * x
    return w, float(b) + delta
""", "perceptron_update changed w in place"),
            ("predicts 1 only for w.x + b > 0", """
def perceptron_update(w, b, x, y, lr=1.0):
    y_hat = 1.0 if float(w @ x + b) > 0 else 0.0
    delta = lr * (float(y) - y_hat)
    return w + delta * x, float(b) + delta
""", "the rule is >= 0"),
            ("forgets the bias", """
def perceptron_update(w, b, x, y, lr=1.0):
    y_hat = 1.0 if float(w @ x + b) >= 0 else 0.0
    delta = lr * (float(y) - y_hat)
    return w + delta * x, float(b)
""", "update the bias too"),
        ],
        "q4": [
            ("counts the weights only", "n_params = 3392", "counts the weights only"),
            ("leaves out the last layer", "n_params = 3136", "leaves out a layer"),
            ("leaves out the middle layer", "n_params = 2410", "leaves out the middle Linear(32, 32)"),
            ("one bias per layer", "n_params = 3395", "not one per layer"),
        ],
    },
    "ex02_backprop": {
        "q1": [
            ("output minus target", """
def output_term(y_hat, y):
    return y_hat * (1.0 - y_hat) * (y_hat - y)
""", "g has the wrong sign"),
            ("no sigmoid derivative", """
def output_term(y_hat, y):
    return y - y_hat
""", "multiply by the sigmoid's derivative y_hat (1 - y_hat)"),
            ("sigmoid derivative at the target", """
def output_term(y_hat, y):
    return y * (1.0 - y) * (y - y_hat)
""", "not y (1 - y)"),
        ],
        "q2": [
            ("wrong transpose, g @ W", """
def hidden_term(b, W, g):
    return b * (1.0 - b) * (g @ W)
""", "the sum over j is g @ W.T"),
            ("W @ g: one example only", """
def hidden_term(b, W, g):
    return b * (1.0 - b) * (W @ g)
""", "hidden_term failed on a batch"),
            ("no sigmoid derivative", """
def hidden_term(b, W, g):
    return g @ W.T
""", "multiply by the sigmoid's derivative b_h (1 - b_h)"),
        ],
        "q3": [
            ("changes the inputs in place", """
def bp_step(x, y, V, gamma, W, theta, lr):
    b, y_hat = forward(x, V, gamma, W, theta)
    g = output_term(y_hat, y)
    e = hidden_term(b, W, g)
    W += lr * np.outer(b, g)
    theta -= lr * g
    V += lr * np.outer(x, e)
    gamma -= lr * e
    return V, gamma, W, theta
""", "bp_step changed its inputs in place"),
            ("np.outer(g, b): transposed weight step", """
def bp_step(x, y, V, gamma, W, theta, lr):
    b, y_hat = forward(x, V, gamma, W, theta)
    g = output_term(y_hat, y)
    e = hidden_term(b, W, g)
    return V + lr * np.outer(x, e), gamma - lr * e, W + lr * np.outer(g, b), theta - lr * g
""", "is np.outer(b, g), shape (q, l)"),
            ("e_h from the updated W", """
def bp_step(x, y, V, gamma, W, theta, lr):
    b, y_hat = forward(x, V, gamma, W, theta)
    g = output_term(y_hat, y)
    W_new = W + lr * np.outer(b, g)
    e = hidden_term(b, W_new, g)
    return V + lr * np.outer(x, e), gamma - lr * e, W_new, theta - lr * g
""", "compute e_h with the old W"),
        ],
        "q4": [
            ("no bias correction", """
def adam_step(p, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    return p - lr * m / (v.sqrt() + eps), m, v
""", "correct the bias"),
            ("divides by v_hat, not its square root", """
def adam_step(p, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (v_hat + eps), m, v
""", "divide by the square root of v_hat"),
            ("updates m and v in place", """
def adam_step(p, grad, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m.mul_(beta1).add_((1 - beta1) * grad)
    v.mul_(beta2).add_((1 - beta2) * grad * grad)
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return p - lr * m_hat / (v_hat.sqrt() + eps), m, v
""", "adam_step changed p, m or v in place"),
        ],
        "q5": [
            ("no bias correction", "p_after_first_step = 2.0316", "skips the bias correction"),
            ("a plain gradient step", "p_after_first_step = 2.4", "2.4 is a plain gradient step"),
            ("steps with the gradient", "p_after_first_step = 1.99", "the gradient is negative, so the step increases p"),
        ],
    },
    "ex03_cnn": {
        "q1": [
            ("true division", """
def conv_output_size(n, k, s=1, p=0, d=1):
    out = (n + 2 * p - d * (k - 1) - 1) / s + 1
    if out < 1:
        raise ValueError("the kernel does not fit")
    return out
""", "use floor division //"),
            ("pads one side only", """
def conv_output_size(n, k, s=1, p=0, d=1):
    out = (n + p - d * (k - 1) - 1) // s + 1
    if out < 1:
        raise ValueError("the kernel does not fit")
    return out
""", "padding is added on both sides, n + 2p"),
            ("ignores dilation", """
def conv_output_size(n, k, s=1, p=0, d=1):
    out = (n + 2 * p - k) // s + 1
    if out < 1:
        raise ValueError("the kernel does not fit")
    return out
""", "spans d(k - 1) + 1 pixels"),
            ("no ValueError when the kernel does not fit", """
def conv_output_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1
""", "raise a ValueError"),
        ],
        "q2": [
            ("one output position too few per side", """
def conv2d_loops(x, w, b=None, stride=1, padding=0):
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = (h - kh) // stride, (wd - kw) // stride
    out = x.new_zeros(n, c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = torch.einsum("nchw,ochw->no", patch, w)
    return out if b is None else out + b.reshape(1, -1, 1, 1)
""", "(off by one)"),
            ("flips the kernel", """
def conv2d_loops(x, w, b=None, stride=1, padding=0):
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = x.new_zeros(n, c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = torch.einsum("nchw,ochw->no", patch, w.flip(-2, -1))
    return out if b is None else out + b.reshape(1, -1, 1, 1)
""", "the kernel was flipped"),
            ("forgets the bias", """
def conv2d_loops(x, w, b=None, stride=1, padding=0):
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = x.new_zeros(n, c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i * stride : i * stride + kh, j * stride : j * stride + kw]
            out[:, :, i, j] = torch.einsum("nchw,ochw->no", patch, w)
    return out
""", "the bias is missing or misplaced"),
            ("windows not moved by the stride", """
def conv2d_loops(x, w, b=None, stride=1, padding=0):
    if padding:
        x = F.pad(x, (padding, padding, padding, padding))
    n, c_in, h, wd = x.shape
    c_out, _, kh, kw = w.shape
    h_out, w_out = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = x.new_zeros(n, c_out, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            patch = x[:, :, i : i + kh, j : j + kw]
            out[:, :, i, j] = torch.einsum("nchw,ochw->no", patch, w)
    return out if b is None else out + b.reshape(1, -1, 1, 1)
""", "starts at (i * s, j * s)"),
        ],
        "q3": [
            ("stride defaults to 1", """
def max_pool2d(x, k, stride=None):
    stride = stride or 1
    n, c, h, w = x.shape
    h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    out = x.new_empty(n, c, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k].amax(dim=(2, 3))
    return out
""", "stride defaults to k"),
            ("keeps the windows that do not fit", """
def max_pool2d(x, k, stride=None):
    stride = stride or k
    n, c, h, w = x.shape
    h_out, w_out = (h - k + stride - 1) // stride + 1, (w - k + stride - 1) // stride + 1
    out = x.new_empty(n, c, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k].amax(dim=(2, 3))
    return out
""", "drop the windows that do not fit"),
            ("takes the maximum across channels too", """
def max_pool2d(x, k, stride=None):
    stride = stride or k
    n, c, h, w = x.shape
    h_out, w_out = (h - k) // stride + 1, (w - k) // stride + 1
    out = x.new_empty(n, c, h_out, w_out)
    for i in range(h_out):
        for j in range(w_out):
            out[:, :, i, j] = x[:, :, i * stride : i * stride + k, j * stride : j * stride + k].amax(dim=(1, 2, 3))[:, None]
    return out
""", "each channel is pooled on its own"),
        ],
        "q4": [
            ("counts the weights only", "lenet5_params = 61470", "counts the weights only"),
            ("one 5x5 kernel per C3 map", "lenet5_params = 59706", "connects every output map to all 6 input maps"),
            ("weights in the pooling layers", "lenet5_params = 61750", "here 2x2 pooling has no parameters"),
            ("leaves out the last layer", "lenet5_params = 60856", "leaves out the last layer, 84 -> 10"),
        ],
    },
    "ex04_rnn": {
        "q1": [
            ("gates split in the wrong order", """
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, o, g = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c
""", "split the gates in torch's order input, forget, candidate g, output"),
            ("forgets the bias b_hh", """
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = x @ W_ih.T + b_ih + h @ W_hh.T
    i, f, g, o = gates.chunk(4, dim=1)
    c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c
""", "only one of the biases was added"),
            ("h' from the old cell state", """
def lstm_step(x, h, c, W_ih, W_hh, b_ih, b_hh):
    gates = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh
    i, f, g, o = gates.chunk(4, dim=1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    return torch.sigmoid(o) * torch.tanh(c), c_new
""", "with the new cell state c'"),
        ],
        "q2": [
            ("clips each tensor by its own norm", """
def clip_by_global_norm(grads, max_norm):
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    return [g * min(1.0, max_norm / g.norm().item()) if g.norm() > 0 else g.clone() for g in grads], norm
""", "scale every tensor by the same factor"),
            ("scales in place", """
def clip_by_global_norm(grads, max_norm):
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g.mul_(scale) for g in grads], norm
""", "changed the gradients in place"),
            ("scales up when the norm is below max_norm", """
def clip_by_global_norm(grads, max_norm):
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    return [g * (max_norm / norm) for g in grads], norm
""", "below max_norm nothing changes"),
            ("returns the norm after clipping", """
def clip_by_global_norm(grads, max_norm):
    norm = torch.sqrt(sum((g.double() ** 2).sum() for g in grads)).item()
    scale = min(1.0, max_norm / norm) if norm > 0 else 1.0
    return [g * scale for g in grads], norm * scale
""", "return the global norm before clipping"),
        ],
        "q3": [
            ("one bias per gate", "gru_params = 10944", "two bias vectors per layer"),
            ("second layer reads the inputs", "gru_params = 9600", "it reads the first layer's 32 hidden units"),
            ("four gate blocks, as an LSTM", "gru_params = 14848", "a GRU has 3 (reset, update, candidate)"),
        ],
        "q4": [
            ("masks with 0 instead of -inf", """
def attention_weights(query, keys, mask, W_q, W_k, b_k, v):
    scores = torch.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T + b_k) @ v
    return torch.softmax(scores.masked_fill(~mask, 0.0), dim=1)
""", "fill their scores with -inf before the softmax"),
            ("masks the weights after the softmax", """
def attention_weights(query, keys, mask, W_q, W_k, b_k, v):
    scores = torch.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T + b_k) @ v
    return torch.softmax(scores, dim=1) * mask
""", "not the weights after it"),
            ("softmax over the batch", """
def attention_weights(query, keys, mask, W_q, W_k, b_k, v):
    scores = torch.tanh((query @ W_q.T)[:, None, :] + keys @ W_k.T + b_k) @ v
    return torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=0)
""", "take the softmax over the positions (dim=1)"),
        ],
        "q5": [
            ("keeps decoding after <eos>", """
def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch = state.shape[0] if isinstance(state, torch.Tensor) else len(state[0])
    prev, out = torch.full((batch,), bos_id, dtype=torch.long), []
    for _ in range(max_len):
        logits, state = step(prev, state)
        prev = logits.argmax(dim=1)
        out.append(prev)
    return torch.stack(out, dim=1)
""", "every later position must hold eos_id"),
            ("never feeds back the argmax", """
def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch = state.shape[0] if isinstance(state, torch.Tensor) else len(state[0])
    bos = torch.full((batch,), bos_id, dtype=torch.long)
    done = torch.zeros(batch, dtype=torch.bool)
    out = []
    for _ in range(max_len):
        logits, state = step(bos, state)
        token = logits.argmax(dim=1).masked_fill(done, eos_id)
        done |= token == eos_id
        out.append(token)
    return torch.stack(out, dim=1)
""", "feed back the argmax"),
            ("returns bos_id as the first token", """
def greedy_decode(step, state, bos_id, eos_id, max_len):
    batch = state.shape[0] if isinstance(state, torch.Tensor) else len(state[0])
    prev = torch.full((batch,), bos_id, dtype=torch.long)
    done = torch.zeros(batch, dtype=torch.bool)
    out = [prev]
    for _ in range(max_len):
        logits, state = step(prev, state)
        prev = logits.argmax(dim=1).masked_fill(done, eos_id)
        done |= prev == eos_id
        out.append(prev)
    return torch.stack(out, dim=1)
""", "without bos_id"),
        ],
    },
    "ex05_transformer": {
        "q1": [
            ("no 1/sqrt(d) scaling", """
def masked_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
""", "divide the scores by sqrt(d)"),
            ("masks with 0 instead of -inf", """
def masked_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, 0.0)
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
""", "fill its score with -inf before the softmax"),
            ("True = blocked (inverted mask)", """
def masked_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ v, weights
""", "True = may attend"),
            ("softmax over the queries", """
def masked_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-2)
    return weights @ v, weights
""", "take the softmax over the keys (dim=-1)"),
        ],
        "q2": [
            ("sin and cos in halves, not interleaved", """
def sinusoidal_pe(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    freq = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    return torch.cat([torch.sin(pos * freq), torch.cos(pos * freq)], dim=1).float()
""", "interleave sin and cos"),
            ("exponent i / d_model instead of 2i / d_model", """
def sinusoidal_pe(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    freq = 10000.0 ** (-torch.arange(0, d_model // 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(pos * freq)
    pe[:, 1::2] = torch.cos(pos * freq)
    return pe.float()
""", "not 10000^(i / d_model)"),
            ("a frequency per column", """
def sinusoidal_pe(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    freq = 10000.0 ** (-torch.arange(d_model, dtype=torch.float64) / d_model)
    angle = pos * freq
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle[:, 0::2])
    pe[:, 1::2] = torch.cos(angle[:, 1::2])
    return pe.float()
""", "columns 2i and 2i + 1 share one frequency"),
            ("cos in the even columns", """
def sinusoidal_pe(max_len, d_model):
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]
    freq = 10000.0 ** (-torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    pe = torch.zeros(max_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.cos(pos * freq)
    pe[:, 1::2] = torch.sin(pos * freq)
    return pe.float()
""", "position 0 is (sin 0, cos 0, ...)"),
        ],
        "q3": [
            ("no biases", "encoder_layer_params = 4 * 512 * 512 + 2 * 512 * 2048 + 2 * 2 * 512", "you left out the biases"),
            ("no LayerNorms", "encoder_layer_params = 4 * 512 * 512 + 4 * 512 + 2 * 512 * 2048 + 2048 + 512", "you left out the two LayerNorms"),
            ("no output projection", "encoder_layer_params = 3 * 512 * 512 + 3 * 512 + 2 * 512 * 2048 + 2048 + 512 + 2 * 2 * 512",
             "you left out the output projection"),
            ("one FFN layer", "encoder_layer_params = 4 * 512 * 512 + 4 * 512 + 512 * 2048 + 2048 + 2 * 2 * 512", "the FFN has two linear layers"),
        ],
        "q5": [
            ("selects special tokens", """
def mlm_mask(ids, u, r, random_ids, mask_id, special_ids, p=0.15):
    selected = u < p
    inputs = ids.clone()
    inputs[selected & (r < 0.8)] = mask_id
    swap = selected & (r >= 0.8) & (r < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, torch.where(selected, ids, torch.full_like(ids, -100))
""", "special ids (0, 1, 2 here) are never selected"),
            ("labels from the corrupted inputs", """
def mlm_mask(ids, u, r, random_ids, mask_id, special_ids, p=0.15):
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    selected = (u < p) & ~special
    inputs = ids.clone()
    inputs[selected & (r < 0.8)] = mask_id
    swap = selected & (r >= 0.8) & (r < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, torch.where(selected, inputs, torch.full_like(ids, -100))
""", "not the corrupted input"),
            ("labels everywhere", """
def mlm_mask(ids, u, r, random_ids, mask_id, special_ids, p=0.15):
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    selected = (u < p) & ~special
    inputs = ids.clone()
    inputs[selected & (r < 0.8)] = mask_id
    swap = selected & (r >= 0.8) & (r < 0.9)
    inputs[swap] = random_ids[swap]
    return inputs, torch.where(special, torch.full_like(ids, -100), ids)
""", "positions that are not selected (u >= p) get label -100"),
            ("corrupts ids in place", """
def mlm_mask(ids, u, r, random_ids, mask_id, special_ids, p=0.15):
    special = torch.zeros_like(ids, dtype=torch.bool)
    for s in special_ids:
        special |= ids == s
    selected = (u < p) & ~special
    labels = torch.where(selected, ids, torch.full_like(ids, -100))
    ids[selected & (r < 0.8)] = mask_id
    swap = selected & (r >= 0.8) & (r < 0.9)
    ids[swap] = random_ids[swap]
    return ids, labels
""", "mlm_mask changed ids in place"),
        ],
        "q6": [
            ("no embedding LayerNorm", """
def bert_params(vocab_size, hidden, num_layers, intermediate, max_position=512, type_vocab_size=2, pooler=True):
    H, I = hidden, intermediate
    layer = 4 * (H * H + H) + (H * I + I + I * H + H) + 4 * H
    return (vocab_size + max_position + type_vocab_size) * H + num_layers * layer + (H * H + H if pooler else 0)
""", "you left out the LayerNorm of the embeddings"),
            ("token embeddings only", """
def bert_params(vocab_size, hidden, num_layers, intermediate, max_position=512, type_vocab_size=2, pooler=True):
    H, I = hidden, intermediate
    layer = 4 * (H * H + H) + (H * I + I + I * H + H) + 4 * H
    return vocab_size * H + 2 * H + num_layers * layer + (H * H + H if pooler else 0)
""", "you left out the position and segment (token type) embeddings"),
            ("one LayerNorm per layer", """
def bert_params(vocab_size, hidden, num_layers, intermediate, max_position=512, type_vocab_size=2, pooler=True):
    H, I = hidden, intermediate
    layer = 4 * (H * H + H) + (H * I + I + I * H + H) + 2 * H
    return (vocab_size + max_position + type_vocab_size) * H + 2 * H + num_layers * layer + (H * H + H if pooler else 0)
""", "each layer has two LayerNorms"),
            ("ignores pooler=False", """
def bert_params(vocab_size, hidden, num_layers, intermediate, max_position=512, type_vocab_size=2, pooler=True):
    H, I = hidden, intermediate
    layer = 4 * (H * H + H) + (H * I + I + I * H + H) + 4 * H
    return (vocab_size + max_position + type_vocab_size) * H + 2 * H + num_layers * layer + H * H + H
""", "without the pooler"),
        ],
        "q7": [
            ("splits heads with reshape(B, h, T, d)", """
def multi_head_self_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads):
    B, T, E = x.shape
    d = E // num_heads
    q, k, v = (x @ in_proj_weight.T + in_proj_bias).chunk(3, dim=-1)
    out, weights = masked_attention(*(t.reshape(B, num_heads, T, d) for t in (q, k, v)))
    out = out.transpose(1, 2).reshape(B, T, E)
    return out @ out_proj_weight.T + out_proj_bias, weights
""", "split the heads with .reshape(B, T, h, d).transpose(1, 2)"),
            ("merges heads with a bare reshape", """
def multi_head_self_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads):
    B, T, E = x.shape
    d = E // num_heads
    q, k, v = (x @ in_proj_weight.T + in_proj_bias).chunk(3, dim=-1)
    out, weights = masked_attention(*(t.reshape(B, T, num_heads, d).transpose(1, 2) for t in (q, k, v)))
    out = out.reshape(B, T, E)
    return out @ out_proj_weight.T + out_proj_bias, weights
""", "merge the heads with .transpose(1, 2).reshape(B, T, E)"),
            ("scales by sqrt(E)", """
def multi_head_self_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads):
    B, T, E = x.shape
    d = E // num_heads
    q, k, v = (t.reshape(B, T, num_heads, d).transpose(1, 2) for t in (x @ in_proj_weight.T + in_proj_bias).chunk(3, dim=-1))
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(E), dim=-1)
    out = (weights @ v).transpose(1, 2).reshape(B, T, E)
    return out @ out_proj_weight.T + out_proj_bias, weights
""", "scale by sqrt(d), the size of one head"),
            ("forgets the output projection", """
def multi_head_self_attention(x, in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias, num_heads):
    B, T, E = x.shape
    d = E // num_heads
    q, k, v = (x @ in_proj_weight.T + in_proj_bias).chunk(3, dim=-1)
    out, weights = masked_attention(*(t.reshape(B, T, num_heads, d).transpose(1, 2) for t in (q, k, v)))
    return out.transpose(1, 2).reshape(B, T, E), weights
""", "then apply out_proj"),
        ],
    },
    "ex06_gan": {
        "q1": [
            ("logs of sigmoids (not finite at +-100)", """
def d_loss(real_logits, fake_logits):
    return -(torch.sigmoid(real_logits).log().mean() + (1 - torch.sigmoid(fake_logits)).log().mean())
""", "use log sigma(a) = -softplus(-a)"),
            ("sums instead of averaging", """
def d_loss(real_logits, fake_logits):
    return F.softplus(-real_logits).sum() + F.softplus(fake_logits).sum()
""", "average over the batch (.mean()), don't sum"),
            ("saturating loss with the wrong sign", """
def g_loss_saturating(fake_logits):
    return F.softplus(fake_logits).mean()
""", "not its negative"),
            ("swaps the real and fake terms", """
def d_loss(real_logits, fake_logits):
    return F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()
""", "you swapped the terms"),
            ("non-saturating loss from log(1 - D)", """
def g_loss_non_saturating(fake_logits):
    return F.softplus(fake_logits).mean()
""", "not -mean log(1 - D(G(z)))"),
        ],
        "q2": [
            ("p_g on top", "d_star_at_0 = 0.3775406687981454", "not p_g / (p_data + p_g)"),
            ("the ratio p_data / p_g", "d_star_at_0 = 1.6487212707001282", "not the ratio p_data / p_g"),
            ("the equilibrium value 1/2", "d_star_at_0 = 0.5", "D* = 1/2 only where p_g = p_data"),
            ("drops the 1/2 in the exponent", "d_star_at_0 = 0.7310585786300049", "drops the 1/2 of the Gaussian exponent"),
        ],
        "q3": [
            ("clips before the step", """
def critic_update(critic, optimizer, real, fake, c=0.01):
    loss = critic(fake).mean() - critic(real).mean()
    optimizer.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
    optimizer.step()
    return loss.item()
""", "clip after optimizer.step()"),
            ("real minus fake", """
def critic_update(critic, optimizer, real, fake, c=0.01):
    loss = critic(real).mean() - critic(fake).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
    return loss.item()
""", "mean critic(fake) - mean critic(real)"),
            ("returns the loss tensor", """
def critic_update(critic, optimizer, real, fake, c=0.01):
    loss = critic(fake).mean() - critic(real).mean()
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        for p in critic.parameters():
            p.clamp_(-c, c)
    return loss.detach()
""", "return loss.item()"),
        ],
        "q4": [
            ("n * s instead of (n - 1) * s", """
def conv_transpose_size(n, k, s=1, p=0, output_padding=0):
    return n * s - 2 * p + k + output_padding
""", "(n - 1) * s"),
            ("removes the padding once", """
def conv_transpose_size(n, k, s=1, p=0, output_padding=0):
    return (n - 1) * s - p + k + output_padding
""", "padding is removed from both sides, - 2p"),
            ("forgets output_padding", """
def conv_transpose_size(n, k, s=1, p=0, output_padding=0):
    return (n - 1) * s - 2 * p + k
""", "add output_padding"),
        ],
        "q5": [
            ("counts samples within 1 std", """
def modes_covered(samples, centers, std):
    nearest_dist, nearest = torch.cdist(samples, centers).min(dim=1)
    counts = torch.bincount(nearest[nearest_dist <= std], minlength=len(centers))
    return int((counts >= 0.01 * len(samples)).sum())
""", "a sample counts within 3 std of its centre"),
            ("returns a tensor", """
def modes_covered(samples, centers, std):
    nearest_dist, nearest = torch.cdist(samples, centers).min(dim=1)
    counts = torch.bincount(nearest[nearest_dist <= 3 * std], minlength=len(centers))
    return (counts >= 0.01 * len(samples)).sum()
""", "convert the count with int(...)"),
            ("no 3 std cut", """
def modes_covered(samples, centers, std):
    nearest = torch.cdist(samples, centers).argmin(dim=1)
    counts = torch.bincount(nearest, minlength=len(centers))
    return int((counts >= 0.01 * len(samples)).sum())
""", "only samples within 3 std of their nearest centre count"),
            ("any sample covers a mode", """
def modes_covered(samples, centers, std):
    nearest_dist, nearest = torch.cdist(samples, centers).min(dim=1)
    counts = torch.bincount(nearest[nearest_dist <= 3 * std], minlength=len(centers))
    return int((counts > 0).sum())
""", "a mode is covered with at least 1% of all the samples"),
        ],
    },
    "ex07_distillation": {
        "q1": [
            ("multiplies the logits by T", """
def softmax_t(z, T):
    if T <= 0:
        raise ValueError(f"T must be > 0, got {T}")
    s = z * T
    e = (s - s.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
""", "divide the logits by T, softmax(z / T)"),
            ("normalises over the first dimension", """
def softmax_t(z, T):
    if T <= 0:
        raise ValueError(f"T must be > 0, got {T}")
    s = z / T
    e = (s - s.max(dim=0, keepdim=True).values).exp()
    return e / e.sum(dim=0, keepdim=True)
""", "take the softmax along the last dimension"),
            ("no max-subtraction (overflows)", """
def softmax_t(z, T):
    if T <= 0:
        raise ValueError(f"T must be > 0, got {T}")
    e = (z / T).exp()
    return e / e.sum(dim=-1, keepdim=True)
""", "subtract the maximum first"),
            ("accepts T = 0", """
def softmax_t(z, T):
    if T < 0:
        raise ValueError(f"T must be > 0, got {T}")
    s = z / T
    e = (s - s.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
""", "raise a ValueError when T <= 0"),
            ("no ValueError at all", """
def softmax_t(z, T):
    s = z / T
    e = (s - s.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)
""", "raise a ValueError when T <= 0"),
        ],
        "q2": [
            ("forgets T^2", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()
    return alpha * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)
""", "multiply the KL term by T^2"),
            ("multiplies by T, not T^2", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()
    return alpha * T * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)
""", "the factor is T^2, not T"),
            ("KL(student || teacher)", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    kl = (log_p_s.exp() * (log_p_s - log_p_t)).sum(-1).mean()
    return alpha * T**2 * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)
""", "the soft term is KL(teacher || student)"),
            ("F.kl_div with reduction='mean'", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    kl = F.kl_div(log_p_s, log_p_t, log_target=True, reduction="mean")
    return alpha * T**2 * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)
""", "sum it over the classes"),
            ("cross-entropy on the softened logits", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits.detach() / T, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()
    return alpha * T**2 * kl + (1 - alpha) * F.cross_entropy(student_logits / T, targets)
""", "the cross-entropy term uses the student's logits at T = 1"),
            ("no detach of the teacher", """
def kd_loss(student_logits, teacher_logits, targets, T, alpha):
    log_p_s = F.log_softmax(student_logits / T, dim=-1)
    log_p_t = F.log_softmax(teacher_logits / T, dim=-1)
    kl = (log_p_t.exp() * (log_p_t - log_p_s)).sum(-1).mean()
    return alpha * T**2 * kl + (1 - alpha) * F.cross_entropy(student_logits, targets)
""", "detach them"),
        ],
        "q3": [
            ("int() truncates the count", """
def prune_by_magnitude(w, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    k = int(sparsity * w.numel())
    out = w.clone()
    out.view(-1)[w.abs().flatten().argsort()[:k]] = 0
    return out
""", "int() truncates"),
            ("prunes the smallest signed values", """
def prune_by_magnitude(w, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    k = round(sparsity * w.numel())
    out = w.clone()
    out.view(-1)[w.flatten().argsort()[:k]] = 0
    return out
""", "prune the smallest absolute values"),
            ("prunes w in place", """
def prune_by_magnitude(w, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    k = round(sparsity * w.numel())
    w.view(-1)[w.abs().flatten().argsort()[:k]] = 0
    return w
""", "changed w in place"),
            ("no ValueError for sparsity 1", """
def prune_by_magnitude(w, sparsity):
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    k = round(sparsity * w.numel())
    out = w.clone()
    out.view(-1)[w.abs().flatten().argsort()[:k]] = 0
    return out
""", "raise a ValueError if sparsity is outside [0, 1)"),
        ],
        "q4": [
            ("casts without rounding", """
def quantize_int8(w, per_channel):
    amax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()
    s = amax / 127
    return torch.clamp(w / s, -127, 127).to(torch.int8), s
""", "round(w / s) before the cast"),
            ("scales by max|w| / 128", """
def quantize_int8(w, per_channel):
    amax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()
    s = amax / 128
    return torch.clamp(torch.round(w / s), -127, 127).to(torch.int8), s
""", "s = max|w| / 127"),
            ("one scale per column", """
def quantize_int8(w, per_channel):
    amax = w.abs().amax(dim=0, keepdim=True) if per_channel else w.abs().max()
    s = amax / 127
    return torch.clamp(torch.round(w / s), -127, 127).to(torch.int8), s
""", "one scale per row (output channel)"),
            ("returns float codes", """
def quantize_int8(w, per_channel):
    amax = w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()
    s = amax / 127
    return torch.clamp(torch.round(w / s), -127, 127), s
""", "q should be torch.int8 codes"),
        ],
        "q5": [
            ("drops the singular values", """
def low_rank_factors(W, r):
    if not 1 <= r <= min(W.shape):
        raise ValueError(f"r must be in 1..{min(W.shape)}, got {r}")
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)
    return U[:, :r], Vh[:r]
""", "A @ B lost the singular values"),
            ("keeps the smallest singular values", """
def low_rank_factors(W, r):
    if not 1 <= r <= min(W.shape):
        raise ValueError(f"r must be in 1..{min(W.shape)}, got {r}")
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)
    return U[:, -r:] * S[-r:], Vh[-r:]
""", "keep the r largest"),
            ("B from the rows of Vh.T", """
def low_rank_factors(W, r):
    if not 1 <= r <= min(W.shape):
        raise ValueError(f"r must be in 1..{min(W.shape)}, got {r}")
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)
    return U[:, :r] * S[:r], Vh.T[:r]
""", "the first r rows of Vh (Vh[:r]), not of Vh.T"),
            ("no ValueError for r = 0", """
def low_rank_factors(W, r):
    if r > min(W.shape):
        raise ValueError(f"r must be in 1..{min(W.shape)}, got {r}")
    U, S, Vh = torch.linalg.svd(W, full_matrices=False)
    return U[:, :r] * S[:r], Vh[:r]
""", "raise a ValueError unless 1 <= r <= min(out, in)"),
        ],
        "q6": [
            ("forgets the scales", "int8_layer_bytes = 128 * 256 + 128 * 4", "you left out the scales"),
            ("one scale for the tensor", "int8_layer_bytes = 128 * 256 + 4 + 128 * 4", "per channel there is one float32 scale per row"),
            ("int8 bias", "int8_layer_bytes = 128 * 256 + 128 * 4 + 128", "the bias stays float32"),
            ("bits, not bytes", "int8_layer_bytes = 8 * (128 * 256 + 128 * 4 + 128 * 4)", "that is bits: give bytes"),
        ],
    },
    "ex08_meta_learning": {
        "q1": [
            ("takes the first n_way classes", """
def sample_episode_indices(labels, n_way, k_shot, n_query, generator=None):
    pool = labels.unique()
    if n_way > len(pool):
        raise ValueError(f"{n_way} ways need {n_way} classes, only {len(pool)} available")
    classes = pool[:n_way]
    support, query = [], []
    for c in classes.tolist():
        members = (labels == c).nonzero().flatten()
        if len(members) < k_shot + n_query:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than {k_shot + n_query}")
        picked = members[torch.randperm(len(members), generator=generator)[: k_shot + n_query]]
        support.append(picked[:k_shot])
        query.append(picked[k_shot:])
    return torch.cat(support), torch.cat(query), classes
""", "draw the classes at random"),
            ("draws support and query separately", """
def sample_episode_indices(labels, n_way, k_shot, n_query, generator=None):
    pool = labels.unique()
    if n_way > len(pool):
        raise ValueError(f"{n_way} ways need {n_way} classes, only {len(pool)} available")
    classes = pool[torch.randperm(len(pool), generator=generator)[:n_way]]
    support, query = [], []
    for c in classes.tolist():
        members = (labels == c).nonzero().flatten()
        if len(members) < k_shot + n_query:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than {k_shot + n_query}")
        support.append(members[torch.randperm(len(members), generator=generator)[:k_shot]])
        query.append(members[torch.randperm(len(members), generator=generator)[:n_query]])
    return torch.cat(support), torch.cat(query), classes
""", "support and query share an example"),
            ("no ValueError for too many ways", """
def sample_episode_indices(labels, n_way, k_shot, n_query, generator=None):
    pool = labels.unique()
    classes = pool[torch.randperm(len(pool), generator=generator)[:n_way]]
    support, query = [], []
    for c in classes.tolist():
        members = (labels == c).nonzero().flatten()
        if len(members) < k_shot + n_query:
            raise ValueError(f"class {c} has {len(members)} examples, fewer than {k_shot + n_query}")
        picked = members[torch.randperm(len(members), generator=generator)[: k_shot + n_query]]
        support.append(picked[:k_shot])
        query.append(picked[k_shot:])
    return torch.cat(support), torch.cat(query), classes
""", "raise a ValueError when n_way exceeds the number of classes"),
        ],
        "q2": [
            ("no create_graph", """
def inner_step(model, params, x, y, lr):
    loss = F.mse_loss(functional_call(model, params, (x,)), y)
    grads = torch.autograd.grad(loss, list(params.values()))
    return {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
""", "pass create_graph=True"),
            ("sums the squared errors", """
def inner_step(model, params, x, y, lr):
    loss = F.mse_loss(functional_call(model, params, (x,)), y, reduction="sum")
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return {name: p - lr * g for (name, p), g in zip(params.items(), grads)}
""", "take the mean squared error (F.mse_loss), not the sum"),
            ("steps up the gradient", """
def inner_step(model, params, x, y, lr):
    loss = F.mse_loss(functional_call(model, params, (x,)), y)
    grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
    return {name: p + lr * g for (name, p), g in zip(params.items(), grads)}
""", "step against it, theta - lr * grad"),
        ],
        "q3": [
            ("query gradient at the original weights", """
def first_order_meta_grad(model, params, tasks, inner_lr):
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    for xs, ys, xq, yq in tasks:
        qloss = F.mse_loss(functional_call(model, params, (xq,)), yq)
        for name, g in zip(params, torch.autograd.grad(qloss, list(params.values()))):
            total[name] += g / len(tasks)
    return total
""", "take it at the adapted weights"),
            ("second-order gradient (adapted weights not detached)", """
def first_order_meta_grad(model, params, tasks, inner_lr):
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    for xs, ys, xq, yq in tasks:
        loss = F.mse_loss(functional_call(model, params, (xs,)), ys)
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=True)
        adapted = {name: p - inner_lr * g for (name, p), g in zip(params.items(), grads)}
        qloss = F.mse_loss(functional_call(model, adapted, (xq,)), yq)
        for name, g in zip(params, torch.autograd.grad(qloss, list(params.values()))):
            total[name] += g / len(tasks)
    return total
""", "detach the adapted weights"),
            ("sums over the tasks", """
def first_order_meta_grad(model, params, tasks, inner_lr):
    total = {name: torch.zeros_like(p) for name, p in params.items()}
    for xs, ys, xq, yq in tasks:
        loss = F.mse_loss(functional_call(model, params, (xs,)), ys)
        grads = torch.autograd.grad(loss, list(params.values()))
        adapted = {name: (p - inner_lr * g).detach().requires_grad_(True) for (name, p), g in zip(params.items(), grads)}
        qloss = F.mse_loss(functional_call(model, adapted, (xq,)), yq)
        for name, g in zip(adapted, torch.autograd.grad(qloss, list(adapted.values()))):
            total[name] += g
    return total
""", "average over the tasks, don't sum"),
        ],
        "q4": [
            ("prototypes as sums", """
def prototypes(emb, labels, n_way):
    return torch.stack([emb[labels == c].sum(0) for c in range(n_way)])
""", "not sums"),
            ("assumes sorted labels", """
def prototypes(emb, labels, n_way):
    return emb.reshape(n_way, -1, emb.shape[1]).mean(1)
""", "whatever their order"),
            ("distance, not squared", """
def protonet_logits(query, protos):
    return -((query[:, None, :] - protos[None, :, :]) ** 2).sum(-1).sqrt()
""", "not the distance"),
            ("plus the squared distance", """
def protonet_logits(query, protos):
    return ((query[:, None, :] - protos[None, :, :]) ** 2).sum(-1)
""", "the logits are minus the squared distances"),
        ],
        "q5": [
            ("the zero predictor's error", "best_fixed_mse = 4.252", "4.25 is the error of predicting 0"),
            ("the chapter's phase range", "best_fixed_mse = 3.006", "3.006 is the chapter's answer for phase ~ U[0, pi]"),
            ("E[A^2] in place of E[A]^2", "best_fixed_mse = 0.8054", "the best f uses the mean amplitude"),
        ],
    },
    "ex09_diffusion": {
        "q1": [
            ("beta_t instead of alpha_bar_t", """
def q_sample(x0, t, noise, betas):
    a = betas[t].to(x0.dtype)[:, None]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
""", "you used beta_t where alpha_bar_t goes"),
            ("alpha_t instead of alpha_bar_t (no cumulative product)", """
def q_sample(x0, t, noise, betas):
    a = (1 - betas)[t].to(x0.dtype)[:, None]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
""", "the cumulative product of the alphas up to t"),
            ("off by one in t (1-based index)", """
def q_sample(x0, t, noise, betas):
    a = torch.cumprod(1 - betas, 0)[t - 1].to(x0.dtype)[:, None]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise
""", "off by one in t: t is 0-based"),
            ("no square roots", """
def q_sample(x0, t, noise, betas):
    a = torch.cumprod(1 - betas, 0)[t].to(x0.dtype)[:, None]
    return a * x0 + (1 - a) * noise
""", "the coefficients are square roots"),
        ],
        "q2": [
            ("alpha_t instead of alpha_bar_t in the coefficients", """
def posterior_mean_variance(x0, x_t, t, betas):
    alphas = 1 - betas
    prev = torch.cat([torch.ones(1, dtype=alphas.dtype), alphas[:-1]])
    a, ap, b = alphas[t][:, None], prev[t][:, None], betas[t][:, None]
    mean = ap.sqrt() * b / (1 - a) * x0 + a.sqrt() * (1 - ap) / (1 - a) * x_t
    return mean, (1 - ap) / (1 - a) * b
""", "not the one-step alpha_t and alpha_{t-1}"),
            ("coefficients of x0 and x_t swapped", """
def posterior_mean_variance(x0, x_t, t, betas):
    ab = torch.cumprod(1 - betas, 0)
    abp = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    a, b, ab, abp = (1 - betas)[t][:, None], betas[t][:, None], ab[t][:, None], abp[t][:, None]
    mean = abp.sqrt() * b / (1 - ab) * x_t + a.sqrt() * (1 - abp) / (1 - ab) * x0
    return mean, (1 - abp) / (1 - ab) * b
""", "the coefficients of x0 and x_t are swapped"),
            ("alpha_t instead of sqrt(alpha_t)", """
def posterior_mean_variance(x0, x_t, t, betas):
    ab = torch.cumprod(1 - betas, 0)
    abp = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    a, b, ab, abp = (1 - betas)[t][:, None], betas[t][:, None], ab[t][:, None], abp[t][:, None]
    mean = abp.sqrt() * b / (1 - ab) * x0 + a * (1 - abp) / (1 - ab) * x_t
    return mean, (1 - abp) / (1 - ab) * b
""", "the coefficient of x_t has sqrt(alpha_t), not alpha_t"),
            ("alpha_bar[t - 1] wraps around at t = 0", """
def posterior_mean_variance(x0, x_t, t, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    a, b, ab, abp = (1 - betas)[t][:, None], betas[t][:, None], ab_all[t][:, None], ab_all[t - 1][:, None]
    mean = abp.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - abp) / (1 - ab) * x_t
    return mean, (1 - abp) / (1 - ab) * b
""", "at t = 0, alpha_bar_{t-1} is 1 (the clean data)"),
            ("variance beta_t instead of beta-tilde_t", """
def posterior_mean_variance(x0, x_t, t, betas):
    ab = torch.cumprod(1 - betas, 0)
    abp = torch.cat([torch.ones(1, dtype=ab.dtype), ab[:-1]])
    a, b, ab, abp = (1 - betas)[t][:, None], betas[t][:, None], ab[t][:, None], abp[t][:, None]
    mean = abp.sqrt() * b / (1 - ab) * x0 + a.sqrt() * (1 - abp) / (1 - ab) * x_t
    return mean, b
""", "the posterior variance is beta-tilde_t"),
        ],
        "q3": [
            ("eps taken for the predicted x0", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = math.sqrt(abp) * beta / (1 - ab) * eps + math.sqrt(1 - beta) * (1 - abp) / (1 - ab) * x_t
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "eps is the predicted noise, not the predicted x0"),
            ("beta_t / (1 - alpha_bar_t) without the square root", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / (1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "you left out the square root of 1 - alpha_bar_t"),
            ("divides by sqrt(alpha_bar_t) instead of sqrt(alpha_t)", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "divide by sqrt(alpha_t), the one-step alpha"),
            ("noise scaled by the variance, not the standard deviation", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + var * noise if t > 0 else mean
""", "scale the noise by the standard deviation sigma_t"),
            ("off by one in t (1-based index)", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[(t - 1)].item(), ab_all[(t - 1)].item()
    abp = ab_all[(t - 1) - 1].item() if (t - 1) > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "off by one in t: t is 0-based"),
            ("sigma_t^2 = beta_t by default", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "the default variance='posterior' is beta-tilde_t"),
            ("ignores variance='beta'", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + math.sqrt(var) * noise if t > 0 else mean
""", "variance='beta' means sigma_t^2 = beta_t"),
            ("adds noise at t = 0", """
def ddpm_step(eps, x_t, t, noise, betas, variance="posterior"):
    ab_all = torch.cumprod(1 - betas, 0)
    beta, ab = betas[t].item(), ab_all[t].item()
    abp = ab_all[t - 1].item() if t > 0 else 1.0
    var = beta if variance == "beta" else (1 - abp) / (1 - ab) * beta
    mean = (x_t - beta / math.sqrt(1 - ab) * eps) / math.sqrt(1 - beta)
    return mean + math.sqrt(var) * noise
""", "no noise at the last step"),
        ],
        "q4": [
            ("sign error in x0_hat", """
def ddim_step(eps, x_t, t, t_prev, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    ab, abp = ab_all[t].item(), ab_all[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t + math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return math.sqrt(abp) * x0 + math.sqrt(1 - abp) * eps
""", "sign error in x0_hat"),
            ("sign error in the update", """
def ddim_step(eps, x_t, t, t_prev, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    ab, abp = ab_all[t].item(), ab_all[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return math.sqrt(abp) * x0 - math.sqrt(1 - abp) * eps
""", "sign error in the update"),
            ("steps to t - 1, ignoring t_prev", """
def ddim_step(eps, x_t, t, t_prev, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    ab, abp = ab_all[t].item(), ab_all[t - 1].item() if t >= 1 else 1.0
    x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return math.sqrt(abp) * x0 + math.sqrt(1 - abp) * eps
""", "go to step t_prev, not t - 1"),
            ("no square roots", """
def ddim_step(eps, x_t, t, t_prev, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    ab, abp = ab_all[t].item(), ab_all[t_prev].item() if t_prev >= 0 else 1.0
    x0 = (x_t - (1 - ab) * eps) / ab
    return abp * x0 + (1 - abp) * eps
""", "the coefficients are square roots"),
            ("t_prev = -1 read as the last step", """
def ddim_step(eps, x_t, t, t_prev, betas):
    ab_all = torch.cumprod(1 - betas, 0)
    ab, abp = ab_all[t].item(), ab_all[t_prev].item()
    x0 = (x_t - math.sqrt(1 - ab) * eps) / math.sqrt(ab)
    return math.sqrt(abp) * x0 + math.sqrt(1 - abp) * eps
""", "t_prev = -1 means the clean data"),
        ],
        "q5": [
            ("the 0-based index", "t_half = 259", "count the steps from 1, as in the paper"),
            ("sqrt(alpha_bar_t) below 1/2", "t_half = 369", "the signal's variance is alpha_bar_t itself"),
            ("1 - sum of betas below 1/2", "t_half = 220", "take the product of the (1 - beta_s)"),
        ],
    },
    "ex10_llm": {
        "q1": [
            ("new ids from 257", """
def bpe_train(text, k):
    ids, merges = list(text.encode("utf-8")), []
    for _ in range(k):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=counts.get)
        merges.append(best)
        new_id, out, j = 256 + len(merges), [], 0  # counted after the append: 257 for the first merge
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                out.append(new_id)
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out
    return merges
""", "merge i (from 0) gets 256 + i"),
            ("merges overlapping occurrences", """
def bpe_train(text, k):
    ids, merges = list(text.encode("utf-8")), []
    for i in range(k):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=counts.get)
        merges.append(best)
        ids = [256 + i if (a, b) == best else a for a, b in zip(ids, ids[1:] + [None])]
    return merges
""", "merge without overlap"),
            ("ties to the largest pair", """
def bpe_train(text, k):
    ids, merges = list(text.encode("utf-8")), []
    for i in range(k):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=lambda p: (counts[p], p))
        merges.append(best)
        out, j = [], 0
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                out.append(256 + i)
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out
    return merges
""", "ties go to the pair that occurs first in the sequence, not to the largest pair"),
            ("ties to the smallest pair", """
def bpe_train(text, k):
    ids, merges = list(text.encode("utf-8")), []
    for i in range(k):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        out, j = [], 0
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                out.append(256 + i)
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out
    return merges
""", "ties go to the pair that occurs first in the sequence, not to the smallest pair"),
            ("characters instead of UTF-8 bytes", """
def bpe_train(text, k):
    ids, merges = [ord(c) for c in text], []
    for i in range(k):
        counts = {}
        for pair in zip(ids, ids[1:]):
            counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = max(counts, key=counts.get)
        merges.append(best)
        out, j = [], 0
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                out.append(256 + i)
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out
    return merges
""", "work on the UTF-8 bytes (text.encode('utf-8'))"),
            ("encodes by the text's most frequent pair", """
def bpe_encode(text, merges):
    ids = list(text.encode("utf-8"))
    rank = {tuple(p): i for i, p in enumerate(merges)}
    while True:
        counts = {}
        for pair in zip(ids, ids[1:]):
            if pair in rank:
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            return ids
        best = max(counts, key=counts.get)
        out, j = [], 0
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                out.append(256 + rank[best])
                j += 2
            else:
                out.append(ids[j])
                j += 1
        ids = out
""", "apply the merges in the order they were learned"),
        ],
        "q2": [
            ("eps outside the square root", """
def rms_norm(x, weight, eps):
    return x / (x.pow(2).mean(dim=-1, keepdim=True).sqrt() + eps) * weight
""", "eps goes inside the square root"),
            ("mean of |x| instead of x^2", """
def rms_norm(x, weight, eps):
    return x / (x.abs().mean(dim=-1, keepdim=True) + eps) * weight
""", "average the squares x^2 (the root mean square), not |x|"),
            ("forgets the weight", """
def rms_norm(x, weight, eps):
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
""", "multiply by the weight (the learned gain)"),
            ("normalises over the first dimension", """
def rms_norm(x, weight, eps):
    return x / torch.sqrt(x.pow(2).mean(dim=0, keepdim=True) + eps) * weight
""", "normalise each vector over the last dimension (dim=-1"),
            ("subtracts the mean (LayerNorm)", """
def rms_norm(x, weight, eps):
    x = x - x.mean(dim=-1, keepdim=True)
    return x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight
""", "RMSNorm subtracts no mean (that is LayerNorm)"),
        ],
        "q3": [
            ("interleaved pairs", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions.double()[:, None] * base ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)  # (T, D/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).flatten(-2)
""", "the interleaved layout"),
            ("rotates by -theta", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions.double()[:, None] * base ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos + x2 * sin, -x1 * sin + x2 * cos], dim=-1)
""", "you rotated by -θ"),
            ("cos and sin swapped (position 0 not the identity)", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions.double()[:, None] * base ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * sin - x2 * cos, x1 * cos + x2 * sin], dim=-1)
""", "position 0 is not the identity"),
            ("frequency base^(-i/D)", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions.double()[:, None] * base ** (-torch.arange(d // 2, dtype=torch.float64) / d)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
""", "not base^(-i/D)"),
            ("ignores the base argument", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    angles = positions.double()[:, None] * 10000.0 ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
""", "use the base argument"),
            ("positions 0..T-1 instead of the positions given", """
def apply_rope(x, positions, base=10000.0):
    d = x.shape[-1]
    t = torch.arange(x.shape[-2], dtype=torch.float64)
    angles = t[:, None] * base ** (-2 * torch.arange(d // 2, dtype=torch.float64) / d)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
""", "rotate by the positions given"),
        ],
        "q4": [
            ("untied embeddings counted once", """
def llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden, tied_embeddings=False):
    hd = dim // n_heads
    block = 2 * dim * n_heads * hd + 2 * dim * n_kv_heads * hd + 3 * dim * ffn_hidden + 2 * dim
    return vocab_size * dim + n_layers * block + dim
""", "count vocab_size x dim twice"),
            ("tied embeddings counted twice", """
def llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden, tied_embeddings=False):
    hd = dim // n_heads
    block = 2 * dim * n_heads * hd + 2 * dim * n_kv_heads * hd + 3 * dim * ffn_hidden + 2 * dim
    return 2 * vocab_size * dim + n_layers * block + dim
""", "count vocab_size x dim once"),
            ("SwiGLU with two matrices", """
def llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden, tied_embeddings=False):
    hd = dim // n_heads
    block = 2 * dim * n_heads * hd + 2 * dim * n_kv_heads * hd + 2 * dim * ffn_hidden + 2 * dim
    return vocab_size * dim * (1 if tied_embeddings else 2) + n_layers * block + dim
""", "SwiGLU has three matrices per block"),
            ("forgets the RMSNorm weights", """
def llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden, tied_embeddings=False):
    hd = dim // n_heads
    block = 2 * dim * n_heads * hd + 2 * dim * n_kv_heads * hd + 3 * dim * ffn_hidden
    return vocab_size * dim * (1 if tied_embeddings else 2) + n_layers * block
""", "you left out RMSNorm weights"),
            ("k and v with all the heads (no GQA)", """
def llama_num_parameters(dim, n_layers, n_heads, n_kv_heads, vocab_size, ffn_hidden, tied_embeddings=False):
    block = 4 * dim * dim + 3 * dim * ffn_hidden + 2 * dim
    return vocab_size * dim * (1 if tied_embeddings else 2) + n_layers * block + dim
""", "wk and wv map dim to n_kv_heads * head_dim"),
        ],
        "q5": [
            ("loss on the prompt too", """
def sft_loss(logits, input_ids, prompt_lengths):
    V = logits.shape[-1]
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), input_ids[:, 1:].reshape(-1))
""", "give their targets the label -100"),
            ("no shift", """
def sft_loss(logits, input_ids, prompt_lengths):
    B, T, V = logits.shape
    labels = input_ids.clone()
    labels[torch.arange(T)[None, :] < prompt_lengths[:, None]] = -100
    return F.cross_entropy(logits.reshape(-1, V), labels.reshape(-1), ignore_index=-100)
""", "compare logits[:, :-1] with input_ids[:, 1:]"),
            ("mean over every position", """
def sft_loss(logits, input_ids, prompt_lengths):
    B, T, V = logits.shape
    keep = torch.arange(1, T)[None, :] >= prompt_lengths[:, None]  # (B, T - 1)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, V), input_ids[:, 1:].reshape(-1), reduction="none")
    return (ce.reshape(B, T - 1) * keep).sum() / keep.numel()
""", "average over the response tokens only"),
            ("masks the first response token", """
def sft_loss(logits, input_ids, prompt_lengths):
    B, T, V = logits.shape
    labels = input_ids[:, 1:].clone()
    labels[torch.arange(1, T)[None, :] <= prompt_lengths[:, None]] = -100
    return F.cross_entropy(logits[:, :-1].reshape(-1, V), labels.reshape(-1), ignore_index=-100)
""", "the first response token, at position prompt_lengths[b], is a target"),
            ("mean per sequence, then over the batch", """
def sft_loss(logits, input_ids, prompt_lengths):
    B, T, V = logits.shape
    keep = (torch.arange(1, T)[None, :] >= prompt_lengths[:, None]).float()  # (B, T - 1)
    ce = F.cross_entropy(logits[:, :-1].reshape(-1, V), input_ids[:, 1:].reshape(-1), reduction="none")
    return ((ce.reshape(B, T - 1) * keep).sum(1) / keep.sum(1)).mean()
""", "take one mean over all of the batch's response tokens"),
        ],
        "q6": [
            ("B and A both random at init", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.randn(base.out_features, r) / r ** 0.5)
        self.scaling = alpha / r
    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features)
        merged.weight.data = self.base.weight.data + self.scaling * self.lora_B.data @ self.lora_A.data
        merged.bias.data = self.base.bias.data.clone()
        return merged
""", "lora_B starts at zero"),
            ("alpha applied twice", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.alpha, self.scaling = alpha, alpha / r
    def forward(self, x):
        return self.base(x) + self.alpha * (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features)
        merged.weight.data = self.base.weight.data + self.alpha * self.scaling * self.lora_B.data @ self.lora_A.data
        merged.bias.data = self.base.bias.data.clone()
        return merged
""", "you applied alpha twice"),
            ("alpha not divided by r", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha
    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features)
        merged.weight.data = self.base.weight.data + self.scaling * self.lora_B.data @ self.lora_A.data
        merged.bias.data = self.base.bias.data.clone()
        return merged
""", "scaling = alpha / r"),
            ("merge without the scaling", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r
    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features)
        merged.weight.data = self.base.weight.data + self.lora_B.data @ self.lora_A.data
        merged.bias.data = self.base.bias.data.clone()
        return merged
""", "merge without the scaling"),
            ("base not frozen", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r
    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        merged = nn.Linear(self.base.in_features, self.base.out_features)
        merged.weight.data = self.base.weight.data + self.scaling * self.lora_B.data @ self.lora_A.data
        merged.bias.data = self.base.bias.data.clone()
        return merged
""", "freeze the base"),
            ("merge adds into the base weight in place", """
class LoRALinear(nn.Module):
    def __init__(self, base, r, alpha):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.lora_A = nn.Parameter(torch.randn(r, base.in_features) / base.in_features ** 0.5)
        self.lora_B = nn.Parameter(torch.zeros(base.out_features, r))
        self.scaling = alpha / r
    def forward(self, x):
        return self.base(x) + (x @ self.lora_A.T @ self.lora_B.T) * self.scaling
    def merge(self):
        self.base.weight.data += self.scaling * self.lora_B.data @ self.lora_A.data
        return self.base
""", "merge changed the LoRA layer"),
        ],
        "q8": [
            ("keys and values swapped", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.reshape(P, n_layers, 2, n_heads, E // n_heads).permute(1, 2, 3, 0, 4)
    shape = (batch_size, n_heads, P, E // n_heads)
    return [(kv[l, 1].expand(shape), kv[l, 0].expand(shape)) for l in range(n_layers)]
""", "keys and values are swapped"),
            ("reads the layout as (key/value, layer)", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.reshape(P, 2, n_layers, n_heads, E // n_heads).permute(2, 1, 3, 0, 4)
    shape = (batch_size, n_heads, P, E // n_heads)
    return [(kv[l, 0].expand(shape), kv[l, 1].expand(shape)) for l in range(n_layers)]
""", "reshape it to (P, L, 2, E), not (P, 2, L, E)"),
            ("splits heads with a plain reshape", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.reshape(P, n_layers, 2, E).permute(1, 2, 0, 3)
    shape = (batch_size, n_heads, P, E // n_heads)
    return [(kv[l, 0].reshape(n_heads, P, E // n_heads).expand(shape), kv[l, 1].reshape(n_heads, P, E // n_heads).expand(shape))
            for l in range(n_layers)]
""", "a plain reshape to (H, P, d) mixes the positions"),
            ("no batch axis", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.reshape(P, n_layers, 2, n_heads, E // n_heads).permute(1, 2, 3, 0, 4)
    return [(kv[l, 0], kv[l, 1]) for l in range(n_layers)]
""", "expand the prefix over the batch"),
            ("heads after the positions", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.reshape(P, n_layers, 2, n_heads, E // n_heads).permute(1, 2, 0, 3, 4)
    shape = (batch_size, P, n_heads, E // n_heads)
    return [(kv[l, 0].expand(shape), kv[l, 1].expand(shape)) for l in range(n_layers)]
""", "move the head axis before the positions"),
            ("detached from the graph", """
def prefix_kv(out, n_layers, n_heads, batch_size):
    P, E = out.shape[0], out.shape[1] // (2 * n_layers)
    kv = out.detach().reshape(P, n_layers, 2, n_heads, E // n_heads).permute(1, 2, 3, 0, 4)
    shape = (batch_size, n_heads, P, E // n_heads)
    return [(kv[l, 0].expand(shape), kv[l, 1].expand(shape)) for l in range(n_layers)]
""", "keep the prefix in the autograd graph"),
        ],
    },
    "ex12_distributed": {
        "q1": [
            ("forgets the all-gather", """
def ring_allreduce(tensors):
    n = len(tensors)
    shape = tensors[0].shape
    flat = [t.reshape(-1).clone() for t in tensors]
    chunks = [list(f.tensor_split(n)) for f in flat]
    sent = [0] * n
    for step in range(n - 1):
        outgoing = [(r, (r - step) % n, chunks[r][(r - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += data.numel()
    return [f.reshape(shape) for f in flat], sent
""", "add the all-gather"),
            ("all-gather adds instead of copying (double counts)", """
def ring_allreduce(tensors):
    n = len(tensors)
    shape = tensors[0].shape
    flat = [t.reshape(-1).clone() for t in tensors]
    chunks = [list(f.tensor_split(n)) for f in flat]
    sent = [0] * n
    for step in range(n - 1):
        outgoing = [(r, (r - step) % n, chunks[r][(r - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += data.numel()
    for step in range(n - 1):
        outgoing = [(r, (r + 1 - step) % n, chunks[r][(r + 1 - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += data.numel()
    return [f.reshape(shape) for f in flat], sent
""", "the receiver replaces (copies) its chunk by the one received, it does not add it"),
            ("counts the whole tensor per step", """
def ring_allreduce(tensors):
    n = len(tensors)
    shape = tensors[0].shape
    flat = [t.reshape(-1).clone() for t in tensors]
    chunks = [list(f.tensor_split(n)) for f in flat]
    sent = [0] * n
    for step in range(n - 1):
        outgoing = [(r, (r - step) % n, chunks[r][(r - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += tensors[r].numel()
    for step in range(n - 1):
        outgoing = [(r, (r + 1 - step) % n, chunks[r][(r + 1 - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c].copy_(data)
            sent[r] += tensors[r].numel()
    return [f.reshape(shape) for f in flat], sent
""", "not the whole tensor"),
            ("changes the input tensors in place", """
def ring_allreduce(tensors):
    n = len(tensors)
    shape = tensors[0].shape
    flat = [t.reshape(-1) for t in tensors]
    chunks = [list(f.tensor_split(n)) for f in flat]
    sent = [0] * n
    for step in range(n - 1):
        outgoing = [(r, (r - step) % n, chunks[r][(r - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c] += data
            sent[r] += data.numel()
    for step in range(n - 1):
        outgoing = [(r, (r + 1 - step) % n, chunks[r][(r + 1 - step) % n].clone()) for r in range(n)]
        for r, c, data in outgoing:
            chunks[(r + 1) % n][c].copy_(data)
            sent[r] += data.numel()
    return [f.reshape(shape) for f in flat], sent
""", "leave them unchanged"),
        ],
        "q2": [
            ("stage 2 shards the weights", """
def zero_memory_per_gpu(n_params, world_size, stage):
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3, got {stage!r}")
    weights = 2 / (world_size if stage >= 2 else 1)
    grads = 2 / (world_size if stage >= 2 else 1)
    optimizer = 12 / (world_size if stage >= 1 else 1)
    return float(n_params * (weights + grads + optimizer))
""", "stage 2 shards the optimizer state and the gradients, not the weights"),
            ("stage 1 shards the gradients too", """
def zero_memory_per_gpu(n_params, world_size, stage):
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3, got {stage!r}")
    weights = 2 / (world_size if stage >= 3 else 1)
    grads = 2 / (world_size if stage >= 1 else 1)
    optimizer = 12 / (world_size if stage >= 1 else 1)
    return float(n_params * (weights + grads + optimizer))
""", "stage 1 shards only the optimizer state"),
            ("Adam state of 8 bytes (no fp32 master weights)", """
def zero_memory_per_gpu(n_params, world_size, stage):
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3, got {stage!r}")
    weights = 2 / (world_size if stage >= 3 else 1)
    grads = 2 / (world_size if stage >= 2 else 1)
    optimizer = 8 / (world_size if stage >= 1 else 1)
    return float(n_params * (weights + grads + optimizer))
""", "the optimizer state is 12 bytes per parameter"),
            ("stage 0 divides by N", """
def zero_memory_per_gpu(n_params, world_size, stage):
    if stage not in (0, 1, 2, 3):
        raise ValueError(f"stage must be 0, 1, 2 or 3, got {stage!r}")
    weights = 2 / (world_size if stage >= 0 else 1)
    grads = 2 / (world_size if stage >= 0 else 1)
    optimizer = 12 / (world_size if stage >= 0 else 1)
    return float(n_params * (weights + grads + optimizer))
""", "stage 0 (DDP) shards nothing"),
            ("GiB instead of GB", "llama13b_stage2_gb = zero_memory_per_gpu(13e9, 8, 2) / 2**30", "not GiB"),
            ("stage 2 counted as stage 3", "llama13b_stage2_gb = zero_memory_per_gpu(13e9, 8, 3) / 1e9", "stage 2 keeps the 16-bit weights whole"),
        ],
        "q3": [
            ("m and p swapped", """
def pipeline_bubble(stages, micro_batches):
    return (micro_batches - 1) / (micro_batches + stages - 1)
""", "did you swap m and p"),
            ("(p - 1)/m, relative to the useful time", """
def pipeline_bubble(stages, micro_batches):
    return (stages - 1) / micro_batches
""", "(p - 1)/m is the bubble relative to the useful time"),
            ("the -1 missing from the denominator", """
def pipeline_bubble(stages, micro_batches):
    return (stages - 1) / (micro_batches + stages)
""", "not m + p"),
            ("min_micro_batches from (p - 1)/m", "min_micro_batches = 47", "not (p - 1)/m"),
        ],
        "q4": [
            ("scales the learning rate by N alone", """
def ddp_hyperparameters(base_lr, base_batch, per_worker_batch, world_size, reduction="mean"):
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    global_batch = world_size * per_worker_batch
    lr = base_lr * world_size
    return global_batch, (lr if reduction == "mean" else lr / world_size)
""", "not by N alone"),
            ("the per-worker batch as the global batch", """
def ddp_hyperparameters(base_lr, base_batch, per_worker_batch, world_size, reduction="mean"):
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    global_batch = per_worker_batch
    lr = base_lr * global_batch / base_batch
    return global_batch, (lr if reduction == "mean" else lr / world_size)
""", "the global batch is N x the per-worker batch"),
            ("summed gradients with the averaged rate", """
def ddp_hyperparameters(base_lr, base_batch, per_worker_batch, world_size, reduction="mean"):
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    global_batch = world_size * per_worker_batch
    return global_batch, base_lr * global_batch / base_batch
""", "summed gradients are already N times their mean"),
            ("divides by the batch ratio", """
def ddp_hyperparameters(base_lr, base_batch, per_worker_batch, world_size, reduction="mean"):
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    global_batch = world_size * per_worker_batch
    lr = base_lr * base_batch / global_batch
    return global_batch, (lr if reduction == "mean" else lr / world_size)
""", "multiply by N·b / B, don't divide"),
        ],
        "q5": [
            ("plain average over unequal shards", """
def data_parallel_grads(model, X, y, world_size):
    params = list(model.parameters())
    shard_grads, sizes = [], []
    for X_k, y_k in zip(X.tensor_split(world_size), y.tensor_split(world_size)):
        loss = F.cross_entropy(model(X_k), y_k)
        shard_grads.append(list(torch.autograd.grad(loss, params)))
        sizes.append(len(X_k))
    grads = [sum(g[i] for g in shard_grads) / world_size for i in range(len(params))]
    return shard_grads, grads
""", "weight each shard's gradient by n_k / n"),
            ("sums the shards' gradients", """
def data_parallel_grads(model, X, y, world_size):
    params = list(model.parameters())
    shard_grads, sizes = [], []
    for X_k, y_k in zip(X.tensor_split(world_size), y.tensor_split(world_size)):
        loss = F.cross_entropy(model(X_k), y_k)
        shard_grads.append(list(torch.autograd.grad(loss, params)))
        sizes.append(len(X_k))
    grads = [sum(g[i] for g in shard_grads) for i in range(len(params))]
    return shard_grads, grads
""", "don't sum them"),
            ("accumulates .grad without zeroing it", """
def data_parallel_grads(model, X, y, world_size):
    params = list(model.parameters())
    shard_grads, sizes = [], []
    for X_k, y_k in zip(X.tensor_split(world_size), y.tensor_split(world_size)):
        F.cross_entropy(model(X_k), y_k).backward()
        shard_grads.append([p.grad.clone() for p in params])
        sizes.append(len(X_k))
    grads = [sum(n_k / len(X) * g[i] for n_k, g in zip(sizes, shard_grads)) for i in range(len(params))]
    return shard_grads, grads
""", "zero the gradients between shards"),
            ("sums the loss on each shard", """
def data_parallel_grads(model, X, y, world_size):
    params = list(model.parameters())
    shard_grads, sizes = [], []
    for X_k, y_k in zip(X.tensor_split(world_size), y.tensor_split(world_size)):
        loss = F.cross_entropy(model(X_k), y_k, reduction="sum")
        shard_grads.append(list(torch.autograd.grad(loss, params)))
        sizes.append(len(X_k))
    grads = [sum(n_k / len(X) * g[i] for n_k, g in zip(sizes, shard_grads)) for i in range(len(params))]
    return shard_grads, grads
""", "is the mean over its shard"),
            ("every N-th row instead of contiguous shards", """
def data_parallel_grads(model, X, y, world_size):
    params = list(model.parameters())
    shard_grads, sizes = [], []
    for k in range(world_size):
        X_k, y_k = X[k::world_size], y[k::world_size]
        loss = F.cross_entropy(model(X_k), y_k)
        shard_grads.append(list(torch.autograd.grad(loss, params)))
        sizes.append(len(X_k))
    grads = [sum(n_k / len(X) * g[i] for n_k, g in zip(sizes, shard_grads)) for i in range(len(params))]
    return shard_grads, grads
""", "contiguous shards with tensor_split"),
        ],
    },
}

MISTAKES["ex11_adversarial"] = {
    "q1": [
        ("steps down the loss", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    step = eps if targeted else -eps
    return (x.detach() + step * g.sign()).clamp(0, 1)
""", "untargeted FGSM steps up the loss of the true label"),
        ("targeted attack steps up the target's loss", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    return (x.detach() + eps * g.sign()).clamp(0, 1)
""", "a targeted attack steps down the loss of the target class"),
        ("the gradient instead of its sign", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    return (x.detach() + (-eps if targeted else eps) * g).clamp(0, 1)
""", "take the sign of the gradient"),
        ("no clipping to the box", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    return x.detach() + (-eps if targeted else eps) * g.sign()
""", "clip the result to the pixel box [0, 1]"),
        ("not detached", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    loss = F.cross_entropy(model(xc), y)
    (g,) = torch.autograd.grad(loss, xc, create_graph=True)
    return (xc + (-eps if targeted else eps) * g.sign()).clamp(0, 1)
""", "detach the result"),
        ("loss.backward() accumulates into the parameters' .grad", """
def fgsm(model, x, y, eps, targeted=False):
    xc = x.detach().clone().requires_grad_(True)
    F.cross_entropy(model(xc), y).backward()
    return (x.detach() + (-eps if targeted else eps) * xc.grad.sign()).clamp(0, 1)
""", "fgsm changed the model's parameter gradients (.grad)"),
        ("puts the model in eval mode", """
def fgsm(model, x, y, eps, targeted=False):
    model.eval()
    xc = x.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    return (x.detach() + (-eps if targeted else eps) * g.sign()).clamp(0, 1)
""", "leave the model's mode as it is"),
        ("x.requires_grad_() on the input itself", """
def fgsm(model, x, y, eps, targeted=False):
    x.requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(x), y), x)
    return (x.detach() + (-eps if targeted else eps) * g.sign()).clamp(0, 1)
""", "fgsm changed x"),
    ],
    "q2": [
        ("steps down the loss", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    stepped = x_adv.detach() - alpha * g.sign()
    return (x + (stepped - x).clamp(-eps, eps)).clamp(0, 1)
""", "the attack steps up the loss"),
        ("no projection onto the ball", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    return (x_adv.detach() + alpha * g.sign()).clamp(0, 1)
""", "project onto the L-inf ball around the clean x"),
        ("the ball around x_adv instead of x", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    stepped = x_adv.detach() + alpha * g.sign()
    return (x_adv + (stepped - x_adv).clamp(-eps, eps)).clamp(0, 1)
""", "the ball is centred on the clean image x"),
        ("clips to the box before projecting onto the ball", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    stepped = (x_adv.detach() + alpha * g.sign()).clamp(0, 1)
    return x + (stepped - x).clamp(-eps, eps)
""", "clip to the box [0, 1] last"),
        ("no clipping to the box", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    stepped = x_adv.detach() + alpha * g.sign()
    return x + (stepped - x).clamp(-eps, eps)
""", "clip the result to the pixel box [0, 1]"),
        ("loss.backward() accumulates into the parameters' .grad", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    F.cross_entropy(model(xc), y).backward()
    stepped = x_adv.detach() + alpha * xc.grad.sign()
    return (x + (stepped - x).clamp(-eps, eps)).clamp(0, 1)
""", "pgd_step changed the model's parameter gradients (.grad)"),
        ("not detached", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc, create_graph=True)
    stepped = xc + alpha * g.sign()
    return (x + (stepped - x).clamp(-eps, eps)).clamp(0, 1)
""", "detach the result"),
        ("puts the model in eval mode", """
def pgd_step(model, x_adv, x, y, eps, alpha):
    model.eval()
    xc = x_adv.detach().clone().requires_grad_(True)
    (g,) = torch.autograd.grad(F.cross_entropy(model(xc), y), xc)
    stepped = x_adv.detach() + alpha * g.sign()
    return (x + (stepped - x).clamp(-eps, eps)).clamp(0, 1)
""", "leave the model's mode as it is"),
    ],
    "q3": [
        ("ignores the box", """
def max_linear_increase(w, x, eps):
    return float(eps * w.abs().sum())
""", "the box [0, 1] limits each pixel too"),
        ("an L2 bound", """
def max_linear_increase(w, x, eps):
    return float(eps * w.norm())
""", "not eps * w.norm() (the L2 norm)"),
        ("moves every pixel up", """
def max_linear_increase(w, x, eps):
    return float((w * (1 - x).clamp(max=eps)).sum())
""", "a pixel with a negative weight raises the score by moving down"),
        ("the box's room the wrong way round", """
def max_linear_increase(w, x, eps):
    return float((w.clamp(min=0) * x.clamp(max=eps) + (-w).clamp(min=0) * (1 - x).clamp(max=eps)).sum())
""", "a pixel can rise by at most min(eps, 1 - x)"),
    ],
    "q4": [
        ("lower-cases after removing the articles", """
def normalize_answer(text):
    text = re.sub(r"\\b(a|an|the)\\b", " ", text)
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    return " ".join(text.split())
""", "lower-case first, then remove the articles"),
        ("removes articles inside words", """
def normalize_answer(text):
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"(a|an|the)", " ", text)
    return " ".join(text.split())
""", "remove the articles a, an, the as whole words"),
        ("replaces punctuation by spaces", """
def normalize_answer(text):
    text = "".join(" " if ch in set(string.punctuation) else ch for ch in text.lower())
    text = re.sub(r"\\b(a|an|the)\\b", " ", text)
    return " ".join(text.split())
""", "remove punctuation characters, don't replace them by spaces"),
        ("F1 on the raw texts", """
def f1_score(prediction, ground_truths):
    def f1(pred, truth):
        p, t = pred.split(), truth.split()
        shared = sum((collections.Counter(p) & collections.Counter(t)).values())
        if shared == 0:
            return 0.0
        precision, recall = shared / len(p), shared / len(t)
        return 2 * precision * recall / (precision + recall)
    return max(f1(prediction, t) for t in ground_truths)
""", "normalise both texts first"),
        ("the first ground truth only", """
def f1_score(prediction, ground_truths):
    p, t = normalize_answer(prediction).split(), normalize_answer(ground_truths[0]).split()
    shared = sum((collections.Counter(p) & collections.Counter(t)).values())
    if shared == 0:
        return 0.0
    precision, recall = shared / len(p), shared / len(t)
    return 2 * precision * recall / (precision + recall)
""", "take the max over the ground truths"),
        ("the mean over the ground truths", """
def f1_score(prediction, ground_truths):
    def f1(pred, truth):
        p, t = normalize_answer(pred).split(), normalize_answer(truth).split()
        shared = sum((collections.Counter(p) & collections.Counter(t)).values())
        if shared == 0:
            return 0.0
        precision, recall = shared / len(p), shared / len(t)
        return 2 * precision * recall / (precision + recall)
    return sum(f1(prediction, t) for t in ground_truths) / len(ground_truths)
""", "take the max over the ground truths"),
        ("counts every predicted token found in the truth", """
def f1_score(prediction, ground_truths):
    def f1(pred, truth):
        p, t = normalize_answer(pred).split(), normalize_answer(truth).split()
        shared = sum(1 for tok in p if tok in t)
        if shared == 0:
            return 0.0
        precision, recall = shared / len(p), shared / len(t)
        return 2 * precision * recall / (precision + recall)
    return max(f1(prediction, t) for t in ground_truths)
""", "count shared tokens as bags"),
    ],
    "q5": [
        ("start and end by separate argmaxes", """
def decode_spans(start_logits, end_logits, max_answer_len):
    return start_logits.argmax(1), end_logits.argmax(1)
""", "a span ends at or after its start"),
        ("no maximum length", """
def decode_spans(start_logits, end_logits, max_answer_len):
    B, T = start_logits.shape
    i = torch.arange(T)
    valid = i[None, :] >= i[:, None]
    scores = start_logits[:, :, None] + end_logits[:, None, :]
    best = scores.masked_fill(~valid, float("-inf")).flatten(1).argmax(1)
    return best // T, best % T
""", "a span holds at most max_answer_len tokens"),
        ("spans one token too long (<= max_answer_len)", """
def decode_spans(start_logits, end_logits, max_answer_len):
    B, T = start_logits.shape
    i = torch.arange(T)
    length = i[None, :] - i[:, None]
    valid = (length >= 0) & (length <= max_answer_len)
    scores = start_logits[:, :, None] + end_logits[:, None, :]
    best = scores.masked_fill(~valid, float("-inf")).flatten(1).argmax(1)
    return best // T, best % T
""", "end - start < max_answer_len, not <="),
        ("the best start, then the best end after it", """
def decode_spans(start_logits, end_logits, max_answer_len):
    B, T = start_logits.shape
    start = start_logits.argmax(1)
    end = torch.empty_like(start)
    for b in range(B):
        i = int(start[b])
        end[b] = i + int(end_logits[b, i:i + max_answer_len].argmax())
    return start, end
""", "maximise start_logits[i] + end_logits[j] jointly"),
    ],
}


def readme_table() -> str:
    """The table of ``exercises/README.md`` ("Mistakes the public tests catch"), generated from MISTAKES."""
    lines = ["| Question | Mistakes (`what the public test says`) |", "|---|---|"]
    for name in sorted(MISTAKES):
        for q in sorted(MISTAKES[name], key=lambda s: int(s[1:])):
            lines.append(f"| {name} {q} | " + "; ".join(f"{m} (`{hint}`)" for m, _, hint in MISTAKES[name][q]) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(readme_table(), end="")
