"""Meta-learning: task samplers, MAML with ``torch.func``, and prototypical networks.

* :mod:`.tasks`: the sinusoid task family of the MAML paper and N-way K-shot episodes
  (with a 30-class rotated-digits pool split into meta-train and meta-test classes).
* :mod:`.maml`: MAML's inner and outer steps, second- and first-order, as an explicit loop
  with ``torch.autograd.grad`` and batched with ``torch.func.vmap``/``grad``; Proto-MAML's
  per-task output layer written down from the prototypes.
* :mod:`.protonet`: prototypes, prototypical-network logits and loss.
"""

from .maml import (
    Params,
    adapt,
    finite_difference,
    inner_step,
    meta_gradient,
    params_of,
    prototype_head_init,
    task_loss,
    vmap_meta_loss,
)
from .protonet import conv_embedding, protonet_logits, protonet_loss, prototypes
from .tasks import (
    SINUSOID_AMPLITUDE,
    SINUSOID_PHASE,
    SINUSOID_X,
    Episode,
    SinusoidTasks,
    episode_indices,
    random_shift,
    rotated_digit_classes,
    sample_episode,
    sample_sinusoid_tasks,
    sinusoid,
)

__all__ = [
    "Episode",
    "Params",
    "SINUSOID_AMPLITUDE",
    "SINUSOID_PHASE",
    "SINUSOID_X",
    "SinusoidTasks",
    "adapt",
    "conv_embedding",
    "episode_indices",
    "finite_difference",
    "inner_step",
    "meta_gradient",
    "params_of",
    "protonet_logits",
    "prototype_head_init",
    "protonet_loss",
    "prototypes",
    "random_shift",
    "rotated_digit_classes",
    "sample_episode",
    "sample_sinusoid_tasks",
    "sinusoid",
    "task_loss",
    "vmap_meta_loss",
]
