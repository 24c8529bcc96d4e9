"""dlbook.mlp: the MLP class, collapsing linear stacks, dead-unit counting."""

import pytest
import torch
from torch import nn

from dlbook.mlp import MLP, collapse_linear, count_dead_units, count_parameters, get_activation, hidden_activations


def test_structure_shapes_and_parameter_count():
    torch.manual_seed(0)
    m = MLP([2, 16, 8, 3], activation="tanh", dropout=0.2)
    kinds = [type(x).__name__ for x in m.layers]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert m(torch.randn(5, 2)).shape == (5, 3)
    assert count_parameters(m) == (2 * 16 + 16) + (16 * 8 + 8) + (8 * 3 + 3)
    assert [lin.out_features for lin in m.linears] == [16, 8, 3]


def test_matches_hand_written_sequential():
    torch.manual_seed(0)
    m = MLP([4, 5, 2], activation="relu", output_activation="sigmoid")
    ref = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2), nn.Sigmoid())
    ref.load_state_dict({k.replace("layers.", ""): v for k, v in m.state_dict().items()})
    x = torch.randn(10, 4)
    assert torch.allclose(m(x), ref(x))


def test_dropout_only_in_training():
    torch.manual_seed(0)
    m = MLP([3, 64, 1], dropout=0.5)
    x = torch.randn(4, 3)
    m.eval()
    assert torch.equal(m(x), m(x))
    m.train()
    assert not torch.equal(m(x), m(x))


def test_activation_module_is_copied_per_layer():
    m = MLP([2, 4, 4, 1], activation=nn.PReLU())
    prelus = [x for x in m.layers if isinstance(x, nn.PReLU)]
    assert len(prelus) == 2 and prelus[0] is not prelus[1]


def test_collapse_linear_equals_stack():
    torch.manual_seed(0)
    stack = nn.Sequential(nn.Linear(3, 7), nn.Linear(7, 5), nn.Linear(5, 2))
    one = collapse_linear(stack)
    x = torch.randn(20, 3)
    assert one.weight.shape == (2, 3)
    assert torch.allclose(one(x), stack(x), atol=1e-5)
    # with a ReLU in between no single linear layer reproduces it: collapse_linear refuses
    with pytest.raises(TypeError, match="ReLU"):
        collapse_linear([nn.Linear(3, 7), nn.ReLU(), nn.Linear(7, 2)])
    with pytest.raises(ValueError, match="chain"):
        collapse_linear([nn.Linear(3, 7), nn.Linear(6, 2)])


def test_hidden_activations_and_dead_units():
    torch.manual_seed(0)
    m = MLP([2, 6, 4, 1], dropout=0.3)
    with torch.no_grad():
        m.linears[0].bias[:2] = -100.0  # two first-layer units can never fire on small inputs
    x = torch.randn(50, 2)
    hs = hidden_activations(m, x)
    assert [h.shape for h in hs] == [(50, 6), (50, 4)]
    assert all((h >= 0).all() for h in hs)  # post-ReLU
    dead = count_dead_units(m, x)
    assert dead[0] == 2
    assert m.training  # mode restored


def test_errors():
    with pytest.raises(ValueError, match="at least"):
        MLP([3])
    with pytest.raises(ValueError, match="positive ints"):
        MLP([3, 0, 1])
    with pytest.raises(ValueError, match="dropout"):
        MLP([3, 4, 1], dropout=1.0)
    with pytest.raises(ValueError, match="unknown activation 'swishy'"):
        MLP([3, 4, 1], activation="swishy")
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\).*\(2, 4\)"):
        MLP([3, 4, 1])(torch.zeros(2, 4))
    with pytest.raises(TypeError):
        get_activation(3)
    with pytest.raises(TypeError, match="MLP"):
        hidden_activations(nn.Linear(2, 2), torch.zeros(1, 2))


def test_output_activation_and_identity_hidden():
    torch.manual_seed(0)
    m = MLP([2, 5, 5, 1], activation="identity", output_activation="sigmoid")
    x = torch.randn(30, 2)
    out = m(x)
    assert ((out > 0) & (out < 1)).all()
    # with identity activations the hidden part collapses to one linear layer
    one = collapse_linear(m.linears)
    assert torch.allclose(torch.sigmoid(one(x)), out, atol=1e-6)
    assert len(hidden_activations(m, x)) == 2  # output activation is not a hidden layer


def test_gradients_flow_to_every_layer():
    torch.manual_seed(0)
    m = MLP([3, 8, 8, 2], activation="tanh")
    torch.nn.functional.cross_entropy(m(torch.randn(16, 3)), torch.randint(0, 2, (16,))).backward()
    for lin in m.linears:
        assert lin.weight.grad is not None and lin.weight.grad.abs().sum() > 0
