"""dlbook.utils and the helpers single-sourced through it (issue 23, item 6)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from torch import nn

import dlbook
from dlbook import bert, cnn, meta, mlp, regularization, seqdata
from dlbook.transformer import TransformerConfig
from dlbook.utils import check_positive_int, eval_mode


def test_eval_mode_restores_the_mode_also_when_the_block_raises():
    model = nn.Sequential(nn.Linear(2, 2), nn.Dropout(0.5))
    for start in (True, False):
        model.train(start)
        with eval_mode(model):
            assert not model.training and not model[1].training
        assert model.training is start and model[1].training is start
        with pytest.raises(RuntimeError, match="boom"):
            with eval_mode(model):
                raise RuntimeError("boom")
        assert model.training is start and model[1].training is start


def test_eval_mode_accepts_none_and_rejects_other_objects():
    with eval_mode(None) as m:
        assert m is None
    with pytest.raises(TypeError, match="nn.Module"):
        with eval_mode(lambda x: x):
            pass


def test_helpers_that_evaluate_leave_a_training_model_in_training_mode():
    model = nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5), nn.Linear(4, 2)).train()
    x = torch.randn(5, 3)
    dlbook.predict(model, x)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, torch.zeros(5, dtype=torch.long)), batch_size=2)
    dlbook.evaluate(model, nn.CrossEntropyLoss(), loader)
    cnn.layer_table(model, (3,))
    assert model.training and model[1].training


@pytest.mark.parametrize("value", [1, 7, np.int64(3)])
def test_check_positive_int_accepts_integers(value):
    out = check_positive_int("n", value)
    assert out == value and type(out) is int


@pytest.mark.parametrize("value", [0, -1, 1.0, "2", True, None])
def test_check_positive_int_names_the_argument_and_the_value(value):
    with pytest.raises(ValueError, match=r"^n must be a positive int, got "):
        check_positive_int("n", value)


def test_check_positive_int_with_a_minimum_of_zero():
    assert check_positive_int("k", 0, minimum=0) == 0
    with pytest.raises(ValueError, match="k must be a non-negative int, got -1"):
        check_positive_int("k", -1, minimum=0)


@pytest.mark.parametrize("bad, message", [
    (dict(dropout=1.5), "dropout must be in"),
    (dict(dropout=-0.1), "dropout must be in"),
    (dict(num_layers=0), "num_layers must be a positive int"),
    (dict(num_heads=0), "num_heads must be a positive int"),
    (dict(num_decoder_layers=0), "num_decoder_layers must be a positive int"),
    (dict(norm_eps=0.0), "norm_eps must be > 0"),
])
def test_transformer_config_rejects_impossible_sizes(bad, message):
    with pytest.raises(ValueError, match=message):
        TransformerConfig(**bad)


def test_one_parameter_count_and_one_ignore_index():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    model[0].weight.requires_grad_(False)
    for trainable_only in (True, False):
        assert cnn.count_params(model, trainable_only) == mlp.count_parameters(model, trainable_only)
    assert cnn.count_params(model) == 4 + 10 and cnn.count_params(model, False) == 26
    assert bert.IGNORE_INDEX is seqdata.IGNORE_INDEX == nn.CrossEntropyLoss().ignore_index


def test_the_episodes_shift_is_chapter_2s_shift():
    x = torch.randn(6, 1, 8, 8)
    a = meta.tasks.random_shift(x, 2, generator=torch.Generator().manual_seed(5))
    b = regularization.random_shift(x, 2, generator=torch.Generator().manual_seed(5))
    assert torch.equal(a, b)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        meta.tasks.random_shift(x[0], 1)


def test_the_old_sequence_metrics_module_still_imports_with_a_deprecation_warning():
    import importlib
    import sys

    sys.modules.pop("dlbook.rnn.training", None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = importlib.import_module("dlbook.rnn.training")
    assert any(issubclass(w.category, DeprecationWarning) and "dlbook.rnn.metrics" in str(w.message) for w in caught)
    assert old.sequence_cross_entropy is dlbook.rnn.sequence_cross_entropy
    assert old.token_accuracy is dlbook.rnn.metrics.token_accuracy


def test_check_number_accepts_reals_that_pass_and_names_what_fails():
    from dlbook.utils import check_number

    assert check_number("lr", 3, "a number > 0", lambda v: v > 0) == 3.0
    assert check_number("lr", np.float32(0.5), "a number > 0", lambda v: v > 0) == 0.5
    for bad in (0.0, -1, True, "0.1", None):
        with pytest.raises(ValueError, match=r"lr must be a number > 0, got"):
            check_number("lr", bad, "a number > 0", lambda v: v > 0)
