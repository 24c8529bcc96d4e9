"""Error backpropagation（误差逆传播）in NumPy, in the notation of Zhou's *Machine Learning* §5.3.

A single-hidden-layer network with ``d`` inputs, ``q`` hidden units and ``l`` outputs, every
unit a sigmoid with a threshold（阈值）subtracted from its input:

    alpha_h = sum_i v_ih x_i          b_h   = f(alpha_h - gamma_h)
    beta_j  = sum_h w_hj b_h          yhat_j = f(beta_j - theta_j)
    E_k     = 1/2 sum_j (yhat_j - y_j)^2

The gradient terms of the derivation are

    g_j = yhat_j (1 - yhat_j) (y_j - yhat_j)          (= -dE_k/d beta_j)
    e_h = b_h (1 - b_h) sum_j w_hj g_j                 (= -dE_k/d alpha_h)

and the four update rules of standard BP, with learning rate eta, are

    Δw_hj = eta g_j b_h     Δθ_j = -eta g_j     Δv_ih = eta e_h x_i     Δγ_h = -eta e_h.

Accumulated BP（累积误差逆传播）applies the average of these over the whole training set once per
pass. Reference: Rumelhart, Hinton & Williams (1986), *Learning representations by
back-propagating errors*, Nature 323.

Arrays: a batch ``X`` is ``(m, d)``, targets ``Y`` are ``(m, l)``; ``V`` is ``(d, q)``,
``gamma`` ``(q,)``, ``W`` ``(q, l)``, ``theta`` ``(l,)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .utils import check_positive_int

__all__ = ["sigmoid", "BPNetwork", "train_standard", "train_accumulated", "PARAM_NAMES"]

PARAM_NAMES = ("V", "gamma", "W", "theta")


def sigmoid(z: np.ndarray) -> np.ndarray:
    """The logistic function f(z) = 1 / (1 + exp(-z)), computed without overflow warnings."""
    z = np.asarray(z, dtype=float)
    e = np.exp(-np.abs(z))  # exp(-z) where z >= 0, exp(z) where z < 0: never overflows
    one_plus = 1.0 + e
    # elementwise the same operations as 1 / (1 + exp(-z)) and exp(z) / (1 + exp(z)), without masks
    return np.where(z >= 0, 1.0 / one_plus, e / one_plus)


def _check_dim(name: str, value: Any) -> int:
    return check_positive_int(name, value)


class BPNetwork:
    """A d-q-l sigmoid network trained by error backpropagation (seed 002 / Zhou §5.3 notation).

    Args:
        d: number of inputs x_i.
        q: number of hidden units b_h.
        l: number of outputs yhat_j.
        seed: seed of the NumPy generator that draws the initial weights.
        scale: weights and thresholds start uniform in [-scale, scale] (Zhou: "(0, 1) random";
            a symmetric range keeps hidden units from starting identical in sign).

    Attributes:
        V: ``(d, q)`` input-to-hidden weights v_ih.
        gamma: ``(q,)`` hidden thresholds γ_h.
        W: ``(q, l)`` hidden-to-output weights w_hj.
        theta: ``(l,)`` output thresholds θ_j.
    """

    def __init__(self, d: int, q: int, l: int, seed: int = 0, scale: float = 1.0) -> None:  # noqa: E741
        self.d, self.q, self.l = _check_dim("d", d), _check_dim("q", q), _check_dim("l", l)
        rng = np.random.default_rng(seed)
        self.V = rng.uniform(-scale, scale, size=(self.d, self.q))
        self.gamma = rng.uniform(-scale, scale, size=self.q)
        self.W = rng.uniform(-scale, scale, size=(self.q, self.l))
        self.theta = rng.uniform(-scale, scale, size=self.l)

    # ----- parameters -------------------------------------------------------------------------
    def params(self) -> dict[str, np.ndarray]:
        """Copies of the four parameter arrays, keyed ``V``, ``gamma``, ``W``, ``theta``."""
        return {name: getattr(self, name).copy() for name in PARAM_NAMES}

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        """Replace the parameters; each array must keep its shape."""
        missing = set(PARAM_NAMES) - set(params)
        if missing:
            raise KeyError(f"set_params needs {PARAM_NAMES}; missing {sorted(missing)}")
        for name in PARAM_NAMES:
            new = np.asarray(params[name], dtype=float)
            old = getattr(self, name)
            if new.shape != old.shape:
                raise ValueError(f"{name} must have shape {old.shape}, got {new.shape}")
            setattr(self, name, new.copy())

    def copy(self) -> "BPNetwork":
        """An independent network with the same shapes and parameters."""
        twin = BPNetwork.__new__(BPNetwork)
        twin.d, twin.q, twin.l = self.d, self.q, self.l
        for name in PARAM_NAMES:
            setattr(twin, name, getattr(self, name).copy())
        return twin

    # ----- input checks -----------------------------------------------------------------------
    def _as_batch(self, X: Any, name: str, width: int) -> np.ndarray:
        """Accept ``(m, width)`` or one sample ``(width,)``; anything else is a clear error."""
        if not isinstance(X, np.ndarray):
            try:
                X = np.asarray(X, dtype=float)
            except (TypeError, ValueError) as exc:
                raise TypeError(f"{name} must be array-like of numbers, got {type(X).__name__}") from exc
        given = tuple(X.shape)
        if X.ndim == 1:
            X = X[None, :]  # one sample -> a batch of one: (1, width)
        if X.ndim != 2 or X.shape[1] != width:
            hint = f"; for one output per sample use shape ({given[0]}, 1)" if len(given) == 1 and width == 1 else ""
            raise ValueError(f"{name} must have shape (m, {width}) or ({width},), got {given}{hint}")
        if not np.issubdtype(X.dtype, np.number):
            raise TypeError(f"{name} must hold numbers, got dtype {X.dtype}")
        return X.astype(float, copy=False)

    def _xy(self, X: Any, Y: Any) -> tuple[np.ndarray, np.ndarray]:
        X = self._as_batch(X, "X", self.d)
        Y = self._as_batch(Y, "Y", self.l)
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X and Y must have the same number of rows, got {X.shape[0]} and {Y.shape[0]}")
        return X, Y

    # ----- forward and backward ---------------------------------------------------------------
    def forward(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Hidden outputs ``B`` ``(m, q)`` and network outputs ``Yhat`` ``(m, l)`` for ``X`` ``(m, d)``."""
        return self._forward(self._as_batch(X, "X", self.d))

    def _forward(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # X already checked: (m, d) float. The training loops call this directly, once per batch.
        B = sigmoid(X @ self.V - self.gamma)  # (m, d) @ (d, q) -> (m, q): b_h = f(alpha_h - gamma_h)
        Yhat = sigmoid(B @ self.W - self.theta)  # (m, q) @ (q, l) -> (m, l): yhat_j = f(beta_j - theta_j)
        return B, Yhat

    def predict(self, X: Any) -> np.ndarray:
        """Network outputs ``(m, l)``."""
        return self.forward(X)[1]

    def sample_errors(self, X: Any, Y: Any) -> np.ndarray:
        """E_k = 1/2 sum_j (yhat_j - y_j)^2 for every sample: ``(m,)``."""
        X, Y = self._xy(X, Y)
        return self._sample_errors(Y, self._forward(X)[1])

    @staticmethod
    def _sample_errors(Y: np.ndarray, Yhat: np.ndarray) -> np.ndarray:
        # Y, Yhat checked (m, l) -> (m,)
        return 0.5 * ((Yhat - Y) ** 2).sum(axis=1)

    def loss(self, X: Any, Y: Any, l2: float = 0.0) -> float:
        """Accumulated error E = (1/m) sum_k E_k, plus (l2 / 2)(||V||^2 + ||W||^2) when ``l2 > 0``."""
        E = float(self.sample_errors(X, Y).mean())
        if l2:
            E += 0.5 * l2 * float((self.V**2).sum() + (self.W**2).sum())
        return E

    def terms(self, X: Any, Y: Any) -> dict[str, np.ndarray]:
        """The quantities of the derivation for every sample of a batch.

        Returns:
            ``B`` ``(m, q)``, ``Yhat`` ``(m, l)``, ``g`` ``(m, l)`` (g_j) and ``e`` ``(m, q)`` (e_h).
        """
        X, Y = self._xy(X, Y)
        return self._terms(Y, *self._forward(X))

    def _terms(self, Y: np.ndarray, B: np.ndarray, Yhat: np.ndarray) -> dict[str, np.ndarray]:
        # Y checked (m, l); B, Yhat from _forward of the same batch.
        g = Yhat * (1.0 - Yhat) * (Y - Yhat)  # (m, l): g_j = yhat_j (1 - yhat_j)(y_j - yhat_j)
        e = B * (1.0 - B) * (g @ self.W.T)  # (m, l) @ (l, q) -> (m, q): e_h = b_h(1-b_h) sum_j w_hj g_j
        return {"B": B, "Yhat": Yhat, "g": g, "e": e}

    def gradients(self, X: Any, Y: Any, l2: float = 0.0) -> dict[str, np.ndarray]:
        """Gradients of :meth:`loss` (the mean of E_k over the batch) w.r.t. every parameter.

        Each is minus the average of the update rules' directions: dE/dw_hj = -g_j b_h,
        dE/dθ_j = g_j, dE/dv_ih = -e_h x_i, dE/dγ_h = e_h.
        """
        X, Y = self._xy(X, Y)
        return self._gradients(X, self._terms(Y, *self._forward(X)), l2)

    def _gradients(self, X: np.ndarray, t: dict[str, np.ndarray], l2: float) -> dict[str, np.ndarray]:
        # X checked (m, d); t = _terms of the same batch.
        m = X.shape[0]
        grads = {
            "V": -(X.T @ t["e"]) / m,  # (d, m) @ (m, q) -> (d, q)
            "gamma": t["e"].mean(axis=0),  # (q,)
            "W": -(t["B"].T @ t["g"]) / m,  # (q, m) @ (m, l) -> (q, l)
            "theta": t["g"].mean(axis=0),  # (l,)
        }
        if l2:
            grads["V"] = grads["V"] + l2 * self.V
            grads["W"] = grads["W"] + l2 * self.W
        return grads

    def update_standard(self, x: Any, y: Any, eta: float, l2: float = 0.0) -> None:
        """One step of standard BP on one sample: the four update rules, written as in the text."""
        x = self._as_batch(x, "x", self.d)
        y = self._as_batch(y, "y", self.l)
        if x.shape[0] != 1 or y.shape[0] != 1:
            raise ValueError(f"update_standard takes one sample, got x {x.shape} and y {y.shape}")
        self._update_standard(x, y, eta, l2)

    def _update_standard(self, x: np.ndarray, y: np.ndarray, eta: float, l2: float) -> None:
        # x (1, d), y (1, l), checked.
        t = self._terms(y, *self._forward(x))
        g, e, b = t["g"][0], t["e"][0], t["B"][0]
        dW = eta * np.outer(b, g)  # (q, l): Δw_hj = eta g_j b_h
        dtheta = -eta * g  # (l,):  Δθ_j = -eta g_j
        dV = eta * np.outer(x[0], e)  # (d, q): Δv_ih = eta e_h x_i
        dgamma = -eta * e  # (q,):  Δγ_h = -eta e_h
        if l2:
            dW -= eta * l2 * self.W
            dV -= eta * l2 * self.V
        self.W += dW
        self.theta += dtheta
        self.V += dV
        self.gamma += dgamma

    def step(self, grads: dict[str, np.ndarray], eta: float) -> None:
        """Gradient descent: every parameter moves by ``-eta * grads[name]``."""
        for name in PARAM_NAMES:
            p = getattr(self, name)
            if grads[name].shape != p.shape:
                raise ValueError(f"gradient of {name} must have shape {p.shape}, got {grads[name].shape}")
            p -= eta * grads[name]


def _train(
    net: BPNetwork,
    X: Any,
    Y: Any,
    eta: float,
    epochs: int,
    mode: str,
    l2: float,
    seed: int,
    X_val: Any,
    Y_val: Any,
    patience: int | None,
) -> dict[str, Any]:
    if eta <= 0:
        raise ValueError(f"eta must be positive, got {eta}")
    epochs = _check_dim("epochs", epochs)
    X, Y = net._xy(X, Y)
    has_val = X_val is not None
    if has_val:
        X_val, Y_val = net._xy(X_val, Y_val)
    elif patience is not None:
        raise ValueError("early stopping (patience) needs X_val and Y_val")
    rng = np.random.default_rng(seed)

    # The inputs are checked once, above; the loop calls the unchecked arithmetic (the same
    # operations as the public methods, so the same numbers bit for bit). The forward pass that
    # scores the training set after an epoch is the one the next accumulated step starts from.
    def loss(X: np.ndarray, Y: np.ndarray) -> tuple[float, tuple[np.ndarray, np.ndarray]]:
        out = net._forward(X)
        return float(net._sample_errors(Y, out[1]).mean()), out  # = net.loss(X, Y)

    train_loss, out = loss(X, Y)
    hist: dict[str, Any] = {"train_loss": [train_loss], "val_loss": [], "updates": [0]}
    if has_val:
        hist["val_loss"].append(loss(X_val, Y_val)[0])
    best, best_epoch, updates = net.params(), 0, 0
    for epoch in range(1, epochs + 1):
        if mode == "standard":
            for k in rng.permutation(X.shape[0]):  # one update per sample, in a fresh order each pass
                net._update_standard(X[k][None, :], Y[k][None, :], eta, l2)  # (1, d), (1, l)
                updates += 1
        else:  # one update per pass over the whole set
            net.step(net._gradients(X, net._terms(Y, *out), l2), eta)
            updates += 1
        train_loss, out = loss(X, Y)
        hist["train_loss"].append(train_loss)
        hist["updates"].append(updates)
        if has_val:
            hist["val_loss"].append(loss(X_val, Y_val)[0])
            if hist["val_loss"][-1] < hist["val_loss"][best_epoch]:
                best, best_epoch = net.params(), epoch
            elif patience is not None and epoch - best_epoch >= patience:
                break
    hist["epochs_run"] = len(hist["train_loss"]) - 1
    if has_val:
        hist["best_epoch"] = best_epoch
        if patience is not None:  # early stopping returns the weights of the lowest validation error
            net.set_params(best)
    return hist


def train_standard(
    net: BPNetwork,
    X: Any,
    Y: Any,
    eta: float = 0.1,
    epochs: int = 100,
    l2: float = 0.0,
    seed: int = 0,
    X_val: Any = None,
    Y_val: Any = None,
    patience: int | None = None,
) -> dict[str, Any]:
    """Standard BP（标准BP）: update after every sample, samples shuffled each epoch.

    Args:
        net: the network, trained in place.
        X: ``(m, d)`` inputs. Y: ``(m, l)`` targets in [0, 1].
        eta: learning rate η. epochs: passes over the data. l2: weight decay λ on V and W.
        seed: seed of the shuffling order.
        X_val, Y_val: optional validation set, evaluated after every epoch.
        patience: if given, stop when the validation error has not improved for this many
            epochs and restore the parameters of the best epoch (early stopping（早停）).

    Returns:
        A dict with ``train_loss`` and ``val_loss`` (E after each epoch, index 0 = before
        training), ``updates`` (cumulative parameter updates), ``epochs_run`` and ``best_epoch``.
    """
    return _train(net, X, Y, eta, epochs, "standard", l2, seed, X_val, Y_val, patience)


def train_accumulated(
    net: BPNetwork,
    X: Any,
    Y: Any,
    eta: float = 0.1,
    epochs: int = 100,
    l2: float = 0.0,
    seed: int = 0,
    X_val: Any = None,
    Y_val: Any = None,
    patience: int | None = None,
) -> dict[str, Any]:
    """Accumulated BP（累积BP）: one update per epoch with the gradient of E = (1/m) Σ E_k.

    Arguments and return value as :func:`train_standard` (``seed`` is unused: no shuffling).
    """
    return _train(net, X, Y, eta, epochs, "accumulated", l2, seed, X_val, Y_val, patience)
