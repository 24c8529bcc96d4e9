"""The classic mistakes the public tests of the graded exercises catch, as data.

``MISTAKES[exercise][question]`` lists ``(name, code, hint)``: ``code`` is a learner's answer with
that one mistake (a whole definition, run after the master's solution cells, so it replaces the
reference); ``hint`` must appear in the first error message ``grader.check(question)`` shows.
``tests/test_exercises.py::test_public_tests_catch_the_classic_mistakes`` also checks that the
hidden tests score each of them zero. ``exercises/README.md`` ("Mistakes the public tests catch")
lists them for instructors. The training questions are not here: their public test already says
how far the accuracy or the loss is from the bar.
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
        ],
        "q2": [
            ("p_g on top", "d_star_at_0 = 0.3775406687981454", "not p_g / (p_data + p_g)"),
            ("the ratio p_data / p_g", "d_star_at_0 = 1.6487212707001282", "not the ratio p_data / p_g"),
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
            ("forgets E[sin^2] = 1/2", "zero_predictor_mse = 8.503", "multiply by E[sin^2(x - phase)] = 1/2"),
            ("E[A]^2 instead of E[A^2]", "zero_predictor_mse = 3.251", "uses E[A]^2"),
        ],
    },
}
