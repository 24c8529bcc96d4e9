"""BERT (chapter 5; Devlin et al., 2019): inputs, masking, the model and its heads, parameter
counts, a synthetic corpus whose sentences carry a latent topic, and a pre-trained mini BERT
shipped with the package.

- :mod:`~dlbook.bert.masking`: :func:`mask_tokens`, the 15% / 80-10-10 rule;
- :mod:`~dlbook.bert.model`: :class:`BertConfig` (the sizes), :class:`BertEmbeddings`, :class:`BertModel`
  (the Transformer's encoder stack under BERT's embeddings; hidden states and
  attention maps of every layer in :class:`BertOutput`), :class:`BertForPreTraining` (MLM head
  tied to the token embedding, NSP head), :class:`BertClassifier`;
- :mod:`~dlbook.bert.params`: :func:`bert_num_parameters`;
- :mod:`~dlbook.bert.corpus`: :class:`TopicLanguage`;
- :mod:`~dlbook.bert.pretrain`: :class:`PretrainingRecipe`, :func:`pretrain` (``config=``, ``recipe=``),
  :data:`MINI_BERT_CONFIG` and :data:`MINI_BERT_RECIPE`, :func:`load_pretrained`, :func:`mini_bert_language`.

Quick start::

    from dlbook import bert
    lang = bert.mini_bert_language()             # corpus, vocabulary (lang.tokens), lang.encode / decode
    model = bert.load_pretrained()               # BertForPreTraining, eval mode; model.bert is the encoder
    ids, topics = lang.sentences(8, seed=1)      # (8, 10) [CLS] w1..w8 [SEP], topic labels (8,)
    out = model.bert(ids)                        # BertOutput: hidden_states (3 x (8, 10, 64)), attentions (2 x (8, 4, 10, 10))
"""

from .corpus import CLS, MASK, PAD, SEP, SPECIAL_TOKENS, PairBatch, TopicLanguage
from .masking import IGNORE_INDEX, mask_tokens
from .model import BertClassifier, BertConfig, BertEmbeddings, BertForPreTraining, BertLayer, BertModel, BertOutput, bert_config
from .params import bert_num_parameters
from .pretrain import (
    MINI_BERT,
    MINI_BERT_CONFIG,
    MINI_BERT_RECIPE,
    MINI_BERT_TORCH,
    WEIGHTS,
    MaskedPairs,
    PretrainingRecipe,
    load_pretrained,
    masked_accuracy,
    mini_bert,
    mini_bert_language,
    mlm_loss,
    nsp_accuracy,
    pretrain,
    pretraining_loss,
)

__all__ = [
    "CLS", "IGNORE_INDEX", "MASK", "MINI_BERT", "MINI_BERT_CONFIG", "MINI_BERT_RECIPE", "MINI_BERT_TORCH", "PAD", "SEP", "SPECIAL_TOKENS", "WEIGHTS",
    "BertClassifier", "BertConfig", "BertEmbeddings", "BertForPreTraining", "BertLayer", "BertModel", "BertOutput",
    "MaskedPairs", "PairBatch", "PretrainingRecipe", "TopicLanguage",
    "bert_config", "bert_num_parameters", "load_pretrained", "mask_tokens", "masked_accuracy", "mini_bert",
    "mini_bert_language", "mlm_loss", "nsp_accuracy", "pretrain", "pretraining_loss",
]
