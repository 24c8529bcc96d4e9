import pytest
import torch

from dlbook import data


def test_digits_split_sizes_shapes_and_disjointness():
    s = data.load_digits()
    assert [len(d) for d in s] == [1079, 359, 359]
    x, y = s.train.tensors
    assert x.shape == (1079, 1, 8, 8) and x.dtype == torch.float32
    assert y.dtype == torch.int64 and set(y.tolist()) == set(range(10))
    # standardised with the training statistics
    assert abs(x.mean().item()) < 1e-5 and abs(x.std().item() - 1) < 1e-4
    # the three splits hold different images: no training image reappears in the test set
    train_rows = {tuple(r.tolist()) for r in x.reshape(len(x), -1)}
    test_x = s.test.tensors[0].reshape(359, -1)
    assert sum(tuple(r.tolist()) in train_rows for r in test_x) < 5  # a few digits are exact duplicates


def test_digits_is_repeatable_and_seed_changes_split():
    a, b, c = data.load_digits(seed=0), data.load_digits(seed=0), data.load_digits(seed=1)
    assert torch.equal(a.val.tensors[1], b.val.tensors[1])
    assert not torch.equal(a.val.tensors[1], c.val.tensors[1])


def test_digits_upsample_and_flatten():
    s = data.load_digits(size=32, normalize=False)
    x = s.train.tensors[0]
    assert x.shape[1:] == (1, 32, 32)
    assert 0 <= x.min() and x.max() <= 1
    f = data.load_digits(flatten=True)
    assert f.test.tensors[0].shape == (359, 64)
    with pytest.raises(ValueError, match="at least 8"):
        data.load_digits(size=4)


def test_digits_loaders_and_augment():
    calls = []

    def mark(x):
        calls.append(x.shape)
        return x + 100

    loaders = data.digits_loaders(batch_size=32, augment=mark)
    xb, yb = next(iter(loaders.train))
    assert xb.shape == (32, 1, 8, 8) and yb.shape == (32,)
    assert xb.min() > 50 and calls[0] == (1, 8, 8)
    xv, _ = next(iter(loaders.val))
    assert xv.max() < 50  # validation is never augmented
    with pytest.raises(ValueError, match="batch_size"):
        data.digits_loaders(batch_size=0)


@pytest.mark.parametrize(
    "maker, kwargs, n",
    [
        (data.make_xor, {"n": 40}, 40),
        (data.make_moons, {"n": 50}, 50),
        (data.make_circles, {"n": 60}, 60),
        (data.make_spirals, {"n_per_class": 20, "classes": 3}, 60),
        (data.make_gaussian_mixture, {"centers": [[0, 0], [3, 3]], "n_per_center": 10}, 20),
        (data.make_ring, {"n": 80, "modes": 8}, 80),
    ],
)
def test_toy_sets_shapes_and_repeatability(maker, kwargs, n):
    X, y = maker(**kwargs)
    X2, y2 = maker(**kwargs)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert X.dtype == torch.float32 and y.dtype == torch.int64
    assert torch.equal(X, X2) and torch.equal(y, y2)


def test_xor_labels_follow_the_truth_table():
    X, y = data.make_xor(n=8, noise=0.0)
    expected = ((X[:, 0] + X[:, 1]) == 1).long()
    assert torch.equal(y, expected)


def test_ring_modes_on_circle():
    X, which = data.make_ring(n=400, modes=4, radius=2.0, std=0.0)
    assert torch.allclose(X.norm(dim=1), torch.full((400,), 2.0), atol=1e-5)
    assert set(which.tolist()) == {0, 1, 2, 3}


def test_make_line_fits_its_parameters():
    x, y = data.make_line(n=2000, slope=3.0, intercept=0.5, noise=0.01)
    A = torch.cat([x, torch.ones_like(x)], dim=1)
    w = torch.linalg.lstsq(A, y).solution.squeeze()
    assert torch.allclose(w, torch.tensor([3.0, 0.5]), atol=0.01)


@pytest.mark.parametrize("bad", [0, -3, 2.5])
def test_generators_reject_bad_sizes(bad):
    with pytest.raises(ValueError, match="positive int"):
        data.make_xor(n=bad)


def test_bad_noise_and_centers():
    with pytest.raises(ValueError, match="non-negative"):
        data.make_moons(noise=-1)
    with pytest.raises(ValueError, match=r"\(K, D\)"):
        data.make_gaussian_mixture(centers=[1.0, 2.0])


def test_split_and_tensor_loaders():
    X, y = torch.randn(100, 3), torch.arange(100)
    s = data.split_tensors(X, y, val_fraction=0.2, test_fraction=0.1)
    assert [len(d) for d in s] == [70, 20, 10]
    got = torch.cat([d.tensors[1] for d in s]).sort().values
    assert torch.equal(got, torch.arange(100))  # a partition: nothing lost, nothing repeated
    loaders = data.tensor_loaders(X, y, batch_size=16)
    assert sum(len(b[1]) for b in loaders.train) == 80
    with pytest.raises(ValueError, match="same length"):
        data.split_tensors(X, y[:5])
    with pytest.raises(ValueError, match="sum below 1"):
        data.split_tensors(X, y, val_fraction=0.6, test_fraction=0.5)
