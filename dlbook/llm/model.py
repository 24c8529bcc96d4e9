"""A LLaMA-style decoder-only language model, written out (Touvron et al., 2023a; 2023b).

What LLaMA changes in a GPT block (Radford et al., 2019), each a small piece here:

- :class:`RMSNorm` (Zhang & Sennrich, 2019) instead of LayerNorm: no mean subtraction, no bias;
- rotary position embeddings, :func:`apply_rope` (Su et al., RoFormer, 2021), applied to the
  queries and keys inside attention instead of a position vector added to the input;
- a SwiGLU feed-forward network (Shazeer, 2020): ``down(silu(gate(x)) * up(x))``;
- no biases in any linear layer; pre-norm residual blocks (as GPT-2) and a final norm;
- grouped-query attention (Ainslie et al., 2023): ``n_kv_heads <= n_heads`` key/value heads, each
  shared by ``n_heads / n_kv_heads`` query heads (LLaMA-2 70B);
- a key/value cache (:class:`KVCache`) for decoding one token at a time.

The attention itself is chapter 5's :func:`dlbook.attention.scaled_dot_product_attention`
(written out) or ``F.scaled_dot_product_attention`` (``fused=True``); both run on torch >= 2.1
(GQA is done by broadcasting, not by ``enable_gqa``, which needs torch >= 2.5).

The module names are those of Hugging Face ``transformers``' ``LlamaForCausalLM``
(``embed_tokens``, ``layers.i.self_attn.q_proj``, ``mlp.gate_proj``, ``input_layernorm``, ...,
``norm``, ``lm_head``) and RoPE uses its "rotate half" pair layout, so
:meth:`Llama.load_hf_state_dict` copies its weights unchanged (tests/test_llm.py checks the logits).
Shapes: ``B`` batch, ``T`` new positions, ``H`` query heads, ``H_kv`` key/value heads, ``D`` head
size, ``E`` = ``dim``, ``F`` = ``ffn_hidden``, ``V`` vocabulary.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from ..attention import causal_mask, scaled_dot_product_attention

__all__ = [
    "KVCache",
    "Llama",
    "LlamaConfig",
    "RMSNorm",
    "apply_rope",
    "kv_cache_bytes_per_token",
    "llama_ffn_hidden",
    "llama_num_parameters",
    "rope_angles",
]


class RMSNorm(nn.Module):
    """Root-mean-square layer normalisation (Zhang & Sennrich, 2019):
    ``y = x / sqrt(mean(x^2) + eps) * weight`` over the last dimension.

    No mean is subtracted and there is no bias. The parameter is named ``weight`` with shape
    ``(dim,)`` as in ``torch.nn.RMSNorm`` (torch >= 2.4), so either loads the other's
    ``state_dict``. Written out (no fused op), so it runs on any torch. As in LLaMA the statistic is
    computed in float32 and the result cast back to the input's dtype.

    Args:
        dim: size of the last dimension.
        eps: added to the mean square (LLaMA-1: 1e-6, LLaMA-2: 1e-5). torch's default, float32's
            machine epsilon, is neither: always pass it to ``torch.nn.RMSNorm``.

    Shapes: ``(..., dim) -> (..., dim)``.
    """

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        if dim < 1:
            raise ValueError(f"dim must be >= 1, got {dim}")
        self.dim, self.eps = dim, eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1:] != (self.dim,):
            raise ValueError(f"RMSNorm({self.dim}) expects (..., {self.dim}), got {tuple(x.shape)}")
        h = x.float()
        h = h * torch.rsqrt(h.pow(2).mean(-1, keepdim=True) + self.eps)  # eps inside the root
        return self.weight * h.to(x.dtype)

    def extra_repr(self) -> str:
        return f"{self.dim}, eps={self.eps}"


def rope_angles(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> torch.Tensor:
    """The rotation angles ``positions[..., None] * theta`` with ``theta_i = base^(-2i/D)``,
    ``i = 0 .. D/2 - 1``, in float64: shape ``positions.shape + (D/2,)``."""
    if head_dim % 2:
        raise ValueError(f"RoPE needs an even head size, got {head_dim}")
    theta = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float64, device=positions.device) / head_dim)
    return positions.to(torch.float64)[..., None] * theta          # (..., D/2)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)                                     # (..., D/2) each
    return torch.cat([-x2, x1], dim=-1)


def apply_rope(x: torch.Tensor, positions: torch.Tensor, base: float = 10000.0, interleaved: bool = False) -> torch.Tensor:
    """Rotary position embedding (Su et al., 2021): rotate pairs of coordinates of each query/key
    by an angle proportional to its position, ``(x_a, x_b) -> (x_a cos - x_b sin, x_a sin + x_b cos)``.

    Then ``<R(m) q, R(n) k>`` depends on ``m - n`` only, and position 0 is the identity.

    Args:
        x: ``(B, H, T, D)`` queries or keys, ``D`` even.
        positions: integer positions ``(T,)`` (shared by the batch) or ``(B, T)``.
        base: LLaMA's 10000 (``rope_theta``).
        interleaved: the pair layout. False (default): pair ``i`` is ``(x[i], x[i + D/2])``, the
            "rotate half" layout of Hugging Face / GPT-NeoX. True: pair ``i`` is ``(x[2i], x[2i+1])``,
            the layout of the paper and of Meta's reference code. The two give the same model up to a
            permutation of the rows of ``W_q`` and ``W_k``.

    Returns:
        ``(B, H, T, D)``, same dtype as ``x``.
    """
    if x.dim() != 4:
        raise ValueError(f"apply_rope expects x of shape (B, H, T, D), got {tuple(x.shape)}")
    B, _, T, D = x.shape
    if positions.shape not in ((T,), (B, T)):
        raise ValueError(f"positions must have shape ({T},) or ({B}, {T}) for x {tuple(x.shape)}, got {tuple(positions.shape)}")
    if positions.is_floating_point():
        raise TypeError(f"positions must be integers, got {positions.dtype}")
    ang = rope_angles(positions, D, base)                           # (T, D/2) or (B, T, D/2)
    if ang.dim() == 3:
        ang = ang[:, None]                                          # (B, 1, T, D/2): broadcast over heads
    cos, sin = ang.cos().to(x.dtype), ang.sin().to(x.dtype)
    if interleaved:
        xa, xb = x[..., 0::2], x[..., 1::2]                         # (B, H, T, D/2) each
        out = torch.stack([xa * cos - xb * sin, xa * sin + xb * cos], dim=-1)  # (B, H, T, D/2, 2)
        return out.flatten(-2)                                      # (B, H, T, D)
    cos, sin = torch.cat([cos, cos], -1), torch.cat([sin, sin], -1)  # (..., T, D)
    return x * cos + _rotate_half(x) * sin


def llama_ffn_hidden(dim: int, multiple_of: int = 256, ffn_dim_multiplier: float | None = None) -> int:
    """LLaMA's SwiGLU width: ``2/3 * 4 * dim`` (three matrices cost what GPT's two ``4 * dim`` ones do),
    times ``ffn_dim_multiplier`` if given, rounded up to a multiple of ``multiple_of``
    (Meta's ``llama/model.py``; 4096 -> 11008, 5120 -> 13824, 8192 with 1.3 and 4096 -> 28672)."""
    hidden = int(2 * 4 * dim / 3)
    if ffn_dim_multiplier is not None:
        hidden = int(ffn_dim_multiplier * hidden)
    return multiple_of * ((hidden + multiple_of - 1) // multiple_of)


def llama_num_parameters(dim: int, n_layers: int, n_heads: int, n_kv_heads: int, vocab_size: int,
                         ffn_hidden: int, tied_embeddings: bool = False) -> int:
    """Number of parameters of a LLaMA model from its configuration.

    With ``E`` = dim, ``D = E / H``, ``F`` = ffn_hidden, ``V`` = vocab_size:

    - each layer: ``2 E^2`` (``W_q``, ``W_o``) ``+ 2 E H_kv D`` (``W_k``, ``W_v``) ``+ 3 E F`` (SwiGLU)
      ``+ 2 E`` (two RMSNorm weights); no biases;
    - the token embedding ``V E``, the output head ``V E`` unless tied (LLaMA does not tie them),
      and the final RMSNorm ``E``.

    Example: LLaMA-7B (E=4096, L=32, H=32, V=32000, F=11008) has 6,738,415,616 parameters.
    """
    for name, v in (("dim", dim), ("n_layers", n_layers), ("n_heads", n_heads), ("n_kv_heads", n_kv_heads),
                    ("vocab_size", vocab_size), ("ffn_hidden", ffn_hidden)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    if dim % n_heads or n_heads % n_kv_heads:
        raise ValueError(f"need dim % n_heads == 0 and n_heads % n_kv_heads == 0, got dim={dim}, "
                         f"n_heads={n_heads}, n_kv_heads={n_kv_heads}")
    head_dim = dim // n_heads
    attention = 2 * dim * dim + 2 * dim * n_kv_heads * head_dim
    per_layer = attention + 3 * dim * ffn_hidden + 2 * dim
    embeddings = vocab_size * dim * (1 if tied_embeddings else 2)
    return n_layers * per_layer + embeddings + dim


def kv_cache_bytes_per_token(n_layers: int, n_kv_heads: int, head_dim: int, bytes_per_value: int = 2) -> int:
    """Memory the key/value cache needs for one more token of one sequence:
    ``2 (K and V) * n_layers * n_kv_heads * head_dim * bytes_per_value`` (2 bytes for float16/bfloat16).

    Example: LLaMA-2 70B (L=80, H_kv=8, D=128) in float16: 327,680 bytes; with one key/value head
    per query head (H_kv=64) it would be 8 times more."""
    for name, v in (("n_layers", n_layers), ("n_kv_heads", n_kv_heads), ("head_dim", head_dim),
                    ("bytes_per_value", bytes_per_value)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    return 2 * n_layers * n_kv_heads * head_dim * bytes_per_value


@dataclass
class LlamaConfig:
    """Sizes of a :class:`Llama` (the names of Meta's ``ModelArgs``).

    Args:
        dim: ``E``, the width of the residual stream.
        n_layers: number of blocks.
        n_heads: query heads ``H`` (``dim % n_heads == 0``; head size ``D = dim / n_heads``).
        n_kv_heads: key/value heads ``H_kv`` (``n_heads % n_kv_heads == 0``); None means ``n_heads``
            (multi-head attention), 1 is multi-query attention, in between grouped-query attention.
        vocab_size: ``V``.
        ffn_hidden: ``F``, the SwiGLU hidden width; None gives :func:`llama_ffn_hidden` ``(dim, multiple_of)``.
        multiple_of: rounding of the default ``ffn_hidden``.
        norm_eps: RMSNorm's epsilon (LLaMA-1: 1e-6, LLaMA-2: 1e-5).
        rope_base: RoPE's base (``rope_theta``), 10000.
        max_seq_len: the longest sequence (prompt + generation) a :class:`KVCache` holds by default.
        tied_embeddings: use the token embedding as the output head (LLaMA: False).
        dropout: dropout on each block's two branch outputs while training (LLaMA: none).
        fused: attention through ``F.scaled_dot_product_attention`` instead of the written-out one.
    """

    dim: int = 128
    n_layers: int = 4
    n_heads: int = 4
    n_kv_heads: int | None = None
    vocab_size: int = 512
    ffn_hidden: int | None = None
    multiple_of: int = 32
    norm_eps: float = 1e-5
    rope_base: float = 10000.0
    max_seq_len: int = 256
    tied_embeddings: bool = False
    dropout: float = 0.0
    fused: bool = False

    def __post_init__(self) -> None:
        if self.n_kv_heads is None:
            self.n_kv_heads = self.n_heads
        if self.ffn_hidden is None:
            self.ffn_hidden = llama_ffn_hidden(self.dim, self.multiple_of)
        for name in ("dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "ffn_hidden", "max_seq_len"):
            v = getattr(self, name)
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"LlamaConfig.{name} must be a positive int, got {v!r}")
        if self.dim % self.n_heads:
            raise ValueError(f"dim {self.dim} must be divisible by n_heads {self.n_heads}")
        if self.n_heads % self.n_kv_heads:
            raise ValueError(f"n_heads {self.n_heads} must be divisible by n_kv_heads {self.n_kv_heads}")
        if (self.dim // self.n_heads) % 2:
            raise ValueError(f"RoPE needs an even head size, got dim / n_heads = {self.dim // self.n_heads}")

    @property
    def head_dim(self) -> int:
        return self.dim // self.n_heads

    def num_parameters(self) -> int:
        """:func:`llama_num_parameters` of this configuration."""
        return llama_num_parameters(self.dim, self.n_layers, self.n_heads, self.n_kv_heads, self.vocab_size,
                                    self.ffn_hidden, self.tied_embeddings)

    def kv_cache_bytes_per_token(self, bytes_per_value: int = 2) -> int:
        """:func:`kv_cache_bytes_per_token` of this configuration."""
        return kv_cache_bytes_per_token(self.n_layers, self.n_kv_heads, self.head_dim, bytes_per_value)


class KVCache:
    """Keys and values of the positions seen so far, for every layer, preallocated as in LLaMA.

    ``k`` and ``v`` have shape ``(n_layers, B, H_kv, max_len, D)``; ``length`` is how many positions
    are filled. :meth:`Llama.forward` writes the new positions ``start_pos .. start_pos + T - 1`` of
    every layer and then sets ``length = start_pos + T``. Its memory is :attr:`nbytes`
    (= ``B * max_len *`` :func:`kv_cache_bytes_per_token`).
    """

    def __init__(self, n_layers: int, batch_size: int, n_kv_heads: int, head_dim: int, max_len: int,
                 dtype: torch.dtype = torch.float32, device: torch.device | str | None = None):
        shape = (n_layers, batch_size, n_kv_heads, max_len, head_dim)
        self.k = torch.zeros(shape, dtype=dtype, device=device)
        self.v = torch.zeros(shape, dtype=dtype, device=device)
        self.length = 0

    @property
    def max_len(self) -> int:
        return self.k.shape[3]

    @property
    def batch_size(self) -> int:
        return self.k.shape[1]

    @property
    def nbytes(self) -> int:
        """Bytes held by the keys and values (filled or not)."""
        return 2 * self.k.numel() * self.k.element_size()

    def update(self, layer: int, k: torch.Tensor, v: torch.Tensor, start_pos: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``k``, ``v`` ``(B, H_kv, T, D)`` at positions ``start_pos ..`` of ``layer``; return the
        keys and values of positions ``0 .. start_pos + T - 1``, ``(B, H_kv, start_pos + T, D)`` each."""
        end = start_pos + k.shape[2]
        self.k[layer, :, :, start_pos:end] = k
        self.v[layer, :, :, start_pos:end] = v
        return self.k[layer, :, :, :end], self.v[layer, :, :, :end]

    def reset(self) -> None:
        self.length = 0


class LlamaAttention(nn.Module):
    """Causal self-attention with RoPE and ``H_kv`` key/value heads shared by groups of
    ``G = H / H_kv`` query heads (query head ``h`` reads key/value head ``h // G``)."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        E, H, H_kv, D = config.dim, config.n_heads, config.n_kv_heads, config.head_dim
        self.n_heads, self.n_kv_heads, self.head_dim = H, H_kv, D
        self.rope_base, self.fused = config.rope_base, config.fused
        self.q_proj = nn.Linear(E, H * D, bias=False)
        self.k_proj = nn.Linear(E, H_kv * D, bias=False)
        self.v_proj = nn.Linear(E, H_kv * D, bias=False)
        self.o_proj = nn.Linear(H * D, E, bias=False)

    def forward(self, x: torch.Tensor, positions: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0, start_pos: int = 0) -> torch.Tensor:
        B, T, _ = x.shape
        H, H_kv, D = self.n_heads, self.n_kv_heads, self.head_dim
        G = H // H_kv
        q = self.q_proj(x).view(B, T, H, D).transpose(1, 2)         # (B, T, H*D) -> (B, H, T, D)
        k = self.k_proj(x).view(B, T, H_kv, D).transpose(1, 2)      # (B, H_kv, T, D)
        v = self.v_proj(x).view(B, T, H_kv, D).transpose(1, 2)      # (B, H_kv, T, D)
        q, k = apply_rope(q, positions, self.rope_base), apply_rope(k, positions, self.rope_base)
        if cache is not None:
            k, v = cache.update(layer, k, v, start_pos)             # (B, H_kv, T_k, D), T_k = start_pos + T
        T_k = k.shape[2]
        mask = causal_mask(T, T_k, device=x.device)                 # (T, T_k): new queries are the last T
        if self.fused:
            # torch >= 2.1: repeat the shared heads (enable_gqa, which avoids the copy, needs 2.5)
            k, v = k.repeat_interleave(G, dim=1), v.repeat_interleave(G, dim=1)  # (B, H, T_k, D)
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)        # (B, H, T, D)
        else:
            # GQA without copying: group the query heads and let the matmul broadcast the shared keys
            qg = q.view(B, H_kv, G, T, D)                           # (B, H_kv, G, T, D)
            out, _ = scaled_dot_product_attention(qg, k[:, :, None], v[:, :, None], mask)  # (B, H_kv, G, T, D)
            out = out.reshape(B, H, T, D)
        return self.o_proj(out.transpose(1, 2).reshape(B, T, H * D))  # (B, T, H, D) -> (B, T, E)


class LlamaMLP(nn.Module):
    """SwiGLU feed-forward network (Shazeer, 2020): ``down(silu(gate(x)) * up(x))``, no biases."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.gate_proj = nn.Linear(config.dim, config.ffn_hidden, bias=False)
        self.up_proj = nn.Linear(config.dim, config.ffn_hidden, bias=False)
        self.down_proj = nn.Linear(config.ffn_hidden, config.dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))  # (B, T, E) -> (B, T, F) -> (B, T, E)


class LlamaBlock(nn.Module):
    """Pre-norm block: ``x = x + attn(norm(x)); x = x + mlp(norm(x))``."""

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(config.dim, config.norm_eps)
        self.self_attn = LlamaAttention(config)
        self.post_attention_layernorm = RMSNorm(config.dim, config.norm_eps)
        self.mlp = LlamaMLP(config)
        self.dropout = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor, positions: torch.Tensor, cache: KVCache | None = None,
                layer: int = 0, start_pos: int = 0) -> torch.Tensor:
        x = x + self.dropout(self.self_attn(self.input_layernorm(x), positions, cache, layer, start_pos))
        return x + self.dropout(self.mlp(self.post_attention_layernorm(x)))


class Llama(nn.Module):
    """A LLaMA-style causal language model (Touvron et al., 2023a; 2023b).

    ``forward(idx (B, T), cache=None, start_pos=None)`` returns next-token logits ``(B, T, V)``;
    the logits at position ``t`` depend on tokens ``0..t`` only. So ``model(x)`` plugs into
    :func:`dlbook.train.fit` like chapter 5's ``DecoderOnlyLM``.

    Decoding with a cache::

        cache = model.new_cache(batch_size=1)
        logits = model(prompt, cache)            # fills positions 0 .. T0-1
        logits = model(next_id[:, None], cache)  # position T0, reads the cached keys/values

    ``start_pos`` (default ``cache.length``, or 0 without a cache) is the position of ``idx[:, 0]``;
    a value below ``cache.length`` rewinds the cache (the later positions are overwritten).
    """

    def __init__(self, config: LlamaConfig):
        super().__init__()
        self.config = config
        self.embed_tokens = nn.Embedding(config.vocab_size, config.dim)
        self.layers = nn.ModuleList(LlamaBlock(config) for _ in range(config.n_layers))
        self.norm = RMSNorm(config.dim, config.norm_eps)
        self.lm_head = nn.Linear(config.dim, config.vocab_size, bias=False)
        self.apply(self._init)
        if config.tied_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)                     # Hugging Face's initializer_range

    def new_cache(self, batch_size: int = 1, max_len: int | None = None, dtype: torch.dtype | None = None) -> KVCache:
        """An empty :class:`KVCache` for ``batch_size`` sequences of up to ``max_len``
        (``config.max_seq_len`` when None) positions, on the model's device and dtype."""
        c, w = self.config, self.embed_tokens.weight
        return KVCache(c.n_layers, batch_size, c.n_kv_heads, c.head_dim, max_len or c.max_seq_len,
                       dtype or w.dtype, w.device)

    def forward(self, idx: torch.Tensor, cache: KVCache | None = None, start_pos: int | None = None) -> torch.Tensor:
        if idx.dim() != 2 or idx.dtype not in (torch.long, torch.int32, torch.int64):
            raise ValueError(f"Llama expects integer ids (B, T), got {idx.dtype} {tuple(idx.shape)}")
        B, T = idx.shape
        if start_pos is None:
            start_pos = 0 if cache is None else cache.length
        if cache is not None:
            if start_pos > cache.length:
                raise ValueError(f"start_pos {start_pos} leaves a gap after the {cache.length} cached positions")
            if start_pos + T > cache.max_len or B != cache.batch_size:
                raise ValueError(f"the cache holds {cache.batch_size} sequences of {cache.max_len} positions; "
                                 f"got a batch of {B} at positions {start_pos}..{start_pos + T - 1}")
        elif start_pos != 0:
            raise ValueError(f"start_pos={start_pos} needs a cache holding the earlier positions")
        positions = torch.arange(start_pos, start_pos + T, device=idx.device)  # (T,)
        x = self.embed_tokens(idx)                                  # (B, T, E)
        for i, layer in enumerate(self.layers):
            x = layer(x, positions, cache, i, start_pos)
        if cache is not None:
            cache.length = start_pos + T
        return self.lm_head(self.norm(x))                           # (B, T, V)

    def load_hf_state_dict(self, state_dict: dict[str, torch.Tensor]) -> "Llama":
        """Load the ``state_dict`` of a Hugging Face ``LlamaForCausalLM`` (or ``LlamaModel``) of the
        same sizes: the names are the same once the ``model.`` prefix is dropped."""
        sd = {}
        for name, t in state_dict.items():
            if name.endswith("rotary_emb.inv_freq"):
                continue                                            # a buffer we recompute
            sd[name[len("model."):] if name.startswith("model.") else name] = t
        if self.config.tied_embeddings:
            sd.setdefault("lm_head.weight", sd["embed_tokens.weight"])
        self.load_state_dict(sd)
        return self
