import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

from dlbook import plot  # noqa: E402
from dlbook.train import History  # noqa: E402


def teardown_function():
    plt.close("all")


def test_plot_history_draws_each_record():
    h = History()
    for v in (3.0, 2.0, 1.0):
        h.append({"train_loss": v, "val_loss": v + 0.5, "val_acc": 0.5})
    ax = plot.plot_history(h)
    assert [line.get_label() for line in ax.get_lines()] == ["train_loss", "val_loss"]
    assert list(ax.get_lines()[0].get_ydata()) == [3.0, 2.0, 1.0]
    assert ax.get_xlabel() == "epoch"
    with pytest.raises(KeyError):
        plot.plot_history(h, keys=["nope"])


def test_decision_boundary_shades_the_predicted_classes():
    X = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    y = torch.tensor([0, 1])
    ax = plot.plot_decision_boundary(lambda g: g[:, 0], X, y, resolution=20)
    assert len(ax.collections) >= 2  # the filled contour and the scatter
    model = nn.Linear(2, 3)
    plot.plot_decision_boundary(model, X, y, resolution=10)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot.plot_decision_boundary(lambda g: g, torch.randn(4, 3), y)


def test_show_images_grid_and_errors():
    fig = plot.show_images(torch.rand(5, 1, 8, 8), labels=list("abcde"), ncols=3)
    assert len(fig.axes) == 6 and fig.axes[0].get_title() == "a"
    with pytest.raises(ValueError, match=r"\(N, H, W\)"):
        plot.show_images(torch.rand(8, 8))


def test_plot_functions_checks_shapes():
    ax = plot.plot_functions({"relu": torch.relu, "tanh": torch.tanh}, (-2, 2), n=11)
    assert len(ax.get_lines()) == 2
    with pytest.raises(ValueError, match="returned shape"):
        plot.plot_functions({"sum": lambda x: x.sum()})
    with pytest.raises(ValueError, match="low < high"):
        plot.plot_functions({"id": lambda x: x}, (1, 0))
