"""dlbook: the helper package of the dlbook deep-learning course.

The notebooks import what they *use* from here (data, training loop, plots, models taught
in earlier chapters); what a chapter *teaches* is written out in the chapter itself.

Modules by topic: ``data`` (offline data sets), ``train`` (``fit``, ``evaluate``), ``plot``, ``diagram`` (block diagrams drawn from a model),
``decoding`` (one generation loop and its logits processors, for the language models of chapters 4, 5 and 10);
``nn_basics`` and ``mlp`` (chapter 1), ``scratch`` (NumPy backpropagation), ``autograd`` (a tiny
reverse-mode engine), ``optim`` and ``regularization`` (chapter 2), ``conv`` and ``cnn``
(chapter 3), ``seqdata`` (generated sequence data) and ``rnn`` (recurrent cells, seq2seq) (chapter 4),
``attention``, ``transformer`` and ``bert`` (chapter 5), ``gan`` (chapter 6), ``distill`` (chapter 7: distillation
losses, pruning, quantisation, low rank), ``meta`` (chapter 8: task samplers,
MAML with ``torch.func``, prototypical networks), ``diffusion`` (chapter 9: schedules, denoisers,
DDPM/DDIM samplers), ``llm`` and ``peft`` (chapter 10: a LLaMA-style model, byte-level BPE, a frozen text corpus, decoding;
LoRA, adapters, prompts, prefixes, AdaLoRA), ``adversarial`` and ``reading`` (chapter 11: FGSM, PGD, adversarial training,
HotFlip; SQuAD metrics, span decoding, a generated reading set), ``distributed`` (chapter 12),
``grading`` (exercise feedback and batch grading; imported on first use, so that ``import dlbook``
needs no Unix-only module).

The public API is stable: names are deprecated before they are removed.
"""

from __future__ import annotations

from . import (
    adversarial,
    attention,
    autograd,
    bert,
    cnn,
    conv,
    data,
    decoding,
    diagram,
    diffusion,
    distill,
    gan,
    llm,
    meta,
    mlp,
    nn_basics,
    optim,
    peft,
    plot,
    reading,
    regularization,
    rnn,
    scratch,
    seqdata,
    train,
    transformer,
)
from .runtime import device, numeric_environment, progress_enabled, set_seed
from .train import History, accuracy, evaluate, fit, predict

__version__ = "0.1.0"


def __getattr__(name: str):
    """``dlbook.grading`` is imported on first use, not by ``import dlbook``.

    The grader is for instructors and needs Unix-only modules (``resource``, ``fcntl``); a
    learner's ``import dlbook`` (on Windows too) must not load it. ``dlbook.grading`` and
    ``from dlbook import grading`` still work (PEP 562 module ``__getattr__``).
    """
    if name == "grading":
        import importlib

        return importlib.import_module(".grading", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "History",
    "accuracy",
    "adversarial",
    "attention",
    "autograd",
    "bert",
    "cnn",
    "conv",
    "data",
    "device",
    "diagram",
    "diffusion",
    "distill",
    "evaluate",
    "fit",
    "gan",
    "llm",
    "grading",
    "meta",
    "mlp",
    "nn_basics",
    "numeric_environment",
    "optim",
    "plot",
    "reading",
    "predict",
    "progress_enabled",
    "regularization",
    "rnn",
    "scratch",
    "seqdata",
    "set_seed",
    "train",
    "transformer",
    "__version__",
]
