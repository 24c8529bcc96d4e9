"""Tests of dlbook.diffusion: schedules and the forward chain against their formulas and against
iterated one-step noising, the posterior against Bayes' rule on a grid, the samplers' algebra,
the denoisers' shapes and errors, fit with an objective module, and (with the `reference` extra)
the schedulers against Hugging Face diffusers' DDPMScheduler and DDIMScheduler."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

import dlbook
from dlbook import diffusion as dm


def test_linear_betas_match_ddpm_and_alpha_bars_are_cumulative_products():
    betas = dm.linear_betas()
    assert betas.shape == (1000,) and betas[0].item() == pytest.approx(1e-4) and betas[-1].item() == pytest.approx(0.02)
    assert torch.allclose(betas[1:] - betas[:-1], torch.full((999,), (0.02 - 1e-4) / 999, dtype=torch.float64))
    s = dm.DDPMSchedule(betas)
    expected, running = [], 1.0
    for b in betas.tolist():
        running *= 1 - b
        expected.append(running)
    assert torch.allclose(s.alpha_bars, torch.tensor(expected, dtype=torch.float64), rtol=1e-12)
    assert torch.equal(s.alphas, 1 - betas)
    assert s.alpha_bars_prev[0] == 1 and torch.equal(s.alpha_bars_prev[1:], s.alpha_bars[:-1])
    # DDPM's choice leaves almost no signal at the end: alpha_bar_T ~ 4e-5
    assert 1e-5 < s.alpha_bars[-1] < 1e-4
    assert torch.allclose(s.snr(), s.alpha_bars / (1 - s.alpha_bars))


def test_cosine_betas_follow_the_cosine_alpha_bar():
    T, s = 1000, 0.008
    ab = dm.DDPMSchedule(dm.cosine_betas(T, s)).alpha_bars
    t = torch.arange(1, T + 1, dtype=torch.float64)
    f = lambda u: torch.cos((u / T + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    target = f(t) / f(torch.zeros(1, dtype=torch.float64))
    # equal until the 0.999 cap on beta changes the very last steps
    assert torch.allclose(ab[:-5], target[:-5], rtol=1e-9)
    assert dm.cosine_betas(T).max() <= 0.999


def test_q_sample_equals_iterated_one_step_noising_in_distribution():
    # Iterating x_t = sqrt(1 - b_t) x_{t-1} + sqrt(b_t) z_t is linear-Gaussian: its mean factor and
    # variance follow exact recursions, which must equal the closed form's sqrt(ab_t) and 1 - ab_t.
    sched = dm.DDPMSchedule(dm.linear_betas(1000))
    mean_factor, var = 1.0, 0.0
    for t, b in enumerate(sched.betas.tolist()):
        mean_factor *= math.sqrt(1 - b)
        var = (1 - b) * var + b
        if t in (0, 10, 250, 999):
            assert mean_factor == pytest.approx(sched.alpha_bars[t].sqrt().item(), rel=1e-10)
            assert var == pytest.approx(1 - sched.alpha_bars[t].item(), rel=1e-10)
    # and by simulation: 20000 chains run step by step from fixed x0 against q_sample's moments
    g = torch.Generator().manual_seed(0)
    x0 = torch.tensor([1.5, -0.5], dtype=torch.float64)
    x = x0.repeat(20000, 1)  # (N, 2)
    for t in range(300):
        b = sched.betas[t]
        x = (1 - b).sqrt() * x + b.sqrt() * torch.randn(x.shape, generator=g, dtype=torch.float64)
    ab = sched.alpha_bars[299]
    closed = sched.q_sample(x0.repeat(20000, 1), torch.full((20000,), 299), torch.randn(20000, 2, generator=g, dtype=torch.float64))
    for sample in (x, closed):
        assert torch.allclose(sample.mean(0), ab.sqrt() * x0, atol=0.03)
        assert torch.allclose(sample.var(0), (1 - ab).expand(2), atol=0.03)


def test_q_sample_formula_per_example_steps_and_errors():
    sched = dm.DDPMSchedule(dm.cosine_betas(50))
    g = torch.Generator().manual_seed(0)
    x0, eps = torch.randn(3, 1, 4, 4, generator=g), torch.randn(3, 1, 4, 4, generator=g)
    t = torch.tensor([0, 17, 49])
    out = sched.q_sample(x0, t, eps)
    for i in range(3):
        ab = sched.alpha_bars[t[i]].float()
        assert torch.allclose(out[i], ab.sqrt() * x0[i] + (1 - ab).sqrt() * eps[i], atol=1e-6)
    # inverting is well conditioned only while alpha_bar is not tiny: at t = 49 it is about 1e-6, and
    # x0 = (x_t - sqrt(1 - alpha_bar) eps) / sqrt(alpha_bar) multiplies float32 rounding by about 1e3
    assert torch.allclose(sched.predict_x0(out[:2], t[:2], eps[:2]), x0[:2], atol=1e-4)
    assert torch.allclose(sched.predict_x0(out[2:], t[2:], eps[2:]), x0[2:], atol=5e-2)
    with pytest.raises(ValueError, match="LongTensor"):
        sched.q_sample(x0, t.float(), eps)
    with pytest.raises(ValueError, match=r"\[0, 49\]"):
        sched.q_sample(x0, torch.tensor([0, 1, 50]), eps)
    with pytest.raises(ValueError, match="shape of x0"):
        sched.q_sample(x0, t, eps[:, :, :2])
    with pytest.raises(ValueError, match=r"\(0, 1\)"):
        dm.DDPMSchedule(torch.tensor([0.1, 1.0]))
    with pytest.raises(ValueError, match="1-D"):
        dm.DDPMSchedule(torch.ones(2, 2) * 0.1)


def test_posterior_matches_bayes_rule_on_a_grid():
    # q(x_{t-1} | x_t, x0) ∝ q(x_t | x_{t-1}) q(x_{t-1} | x0): normalise the product on a fine grid
    sched = dm.DDPMSchedule(dm.linear_betas(1000))
    x0, x_t = torch.tensor([[0.7]], dtype=torch.float64), torch.tensor([[0.2]], dtype=torch.float64)
    for t in (1, 40, 500, 999):
        tt = torch.tensor([t])
        mean, var = sched.posterior_mean_variance(x0, x_t, tt)
        ab_prev, beta = sched.alpha_bars[t - 1], sched.betas[t]
        grid = torch.linspace(-4, 4, 400_001, dtype=torch.float64)
        log_p = (-(x_t[0, 0] - (1 - beta).sqrt() * grid) ** 2 / (2 * beta)
                 - (grid - ab_prev.sqrt() * x0[0, 0]) ** 2 / (2 * (1 - ab_prev)))
        w = torch.softmax(log_p, 0)
        m = (w * grid).sum()
        v = (w * (grid - m) ** 2).sum()
        assert mean.item() == pytest.approx(m.item(), abs=1e-6)
        assert var.item() == pytest.approx(v.item(), rel=1e-4)
    with pytest.raises(ValueError, match=r"\[1, 999\]"):
        sched.posterior_mean_variance(x0, x_t, torch.tensor([0]))


def test_ddpm_step_is_the_posterior_at_the_predicted_x0():
    sched = dm.DDPMSchedule(dm.linear_betas(100))
    g = torch.Generator().manual_seed(1)
    x_t, eps, z = (torch.randn(5, 3, generator=g, dtype=torch.float64) for _ in range(3))
    t = 60
    tt = torch.full((5,), t)
    mean, var = sched.posterior_mean_variance(sched.predict_x0(x_t, tt, eps), x_t, tt)
    assert torch.allclose(dm.ddpm_step(sched, eps, x_t, t, z), mean + var.sqrt() * z, atol=1e-10)
    # clipping only changes the result when the predicted x0 leaves [-1, 1]
    assert torch.allclose(dm.ddpm_step(sched, eps, x_t, t, z, clip=1e6), mean + var.sqrt() * z, atol=1e-10)
    assert torch.allclose(dm.ddpm_step(sched, eps, x_t, t, z, variance="beta"), mean + sched.betas[t].sqrt() * z)
    # the last step returns the predicted x0 with no noise
    last = dm.ddpm_step(sched, eps, x_t, 0, z)
    assert torch.allclose(last, sched.predict_x0(x_t, torch.zeros(5, dtype=torch.long), eps), atol=1e-10)
    with pytest.raises(ValueError, match="variance"):
        dm.ddpm_step(sched, eps, x_t, t, z, variance="large")


def test_ddim_with_eta_1_and_unit_stride_is_the_ddpm_step():
    sched = dm.DDPMSchedule(dm.linear_betas(100))
    g = torch.Generator().manual_seed(2)
    x_t, eps, z = (torch.randn(4, 2, generator=g, dtype=torch.float64) for _ in range(3))
    for t in (1, 50, 99):
        assert torch.allclose(dm.ddim_step(sched, eps, x_t, t, t - 1, eta=1.0, noise=z),
                              dm.ddpm_step(sched, eps, x_t, t, z), atol=1e-10)


def test_deterministic_ddim_recovers_x0_with_the_true_noise():
    # if the model knew the noise exactly, x_t = q_sample(x0, t, eps) and eta = 0 lands on x0
    sched = dm.DDPMSchedule(dm.cosine_betas(200))
    x0 = torch.rand(6, 2, dtype=torch.float64) * 2 - 1
    eps = torch.randn(6, 2, dtype=torch.float64)
    x_T = sched.q_sample(x0, torch.full((6,), 199), eps)

    def oracle(x, t):  # the exact noise of a point on the same deterministic path
        ab = sched.alpha_bars[t[0]]
        return (x - ab.sqrt() * x0) / (1 - ab).sqrt()

    out = dm.ddim_sample(oracle, sched, x_T, steps=10)
    assert torch.allclose(out, x0, atol=1e-8)
    assert dm.ddim_timesteps(1000, 10) == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0]
    with pytest.raises(ValueError, match="steps"):
        dm.ddim_timesteps(10, 11)


def test_ddim_clip_rederives_eps_from_the_clipped_x0():
    sched = dm.DDPMSchedule(dm.linear_betas(100))
    x_t = torch.full((1, 1), 3.0, dtype=torch.float64)
    eps = torch.zeros(1, 1, dtype=torch.float64)  # the model says: no noise, so x0_hat = x_t / sqrt(ab) > 1
    out = dm.ddim_step(sched, eps, x_t, 50, 40, clip=1.0)
    ab, ab_prev = sched.alpha_bars[50], sched.alpha_bars[40]
    eps_clipped = (x_t - ab.sqrt() * 1.0) / (1 - ab).sqrt()
    assert torch.allclose(out, ab_prev.sqrt() * 1.0 + (1 - ab_prev).sqrt() * eps_clipped)


def test_classifier_free_guidance_combines_the_two_predictions():
    calls = []

    def model(x, t, labels):
        calls.append(labels.clone())
        return x * 0 + (labels.float()[:, None] + 1)  # eps = label + 1 per row

    labels = torch.tensor([2, 5])
    eps_model = dm.classifier_free(model, labels, scale=2.0, null_label=10)
    out = eps_model(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long))
    # (1 + w) * (c + 1) - w * (10 + 1)
    assert torch.allclose(out, torch.tensor([[3 * 3.0 - 22] * 3, [3 * 6.0 - 22] * 3]))
    assert torch.equal(calls[-1], torch.tensor([2, 5, 10, 10]))
    assert torch.equal(dm.classifier_free(model, labels, 0.0, 10)(torch.zeros(2, 3), torch.zeros(2, dtype=torch.long)),
                       torch.tensor([[3.0] * 3, [6.0] * 3]))


def test_repaint_keeps_the_known_pixels_and_fills_the_rest():
    sched = dm.DDPMSchedule(dm.linear_betas(20, 1e-3, 0.2))
    x0 = torch.randn(3, 1, 4, 4)
    mask = torch.zeros(1, 1, 4, 4)
    mask[..., :2, :] = 1
    zero_model = lambda x, t: torch.zeros_like(x)  # noqa: E731
    g = torch.Generator().manual_seed(0)
    out = dm.repaint_sample(zero_model, sched, x0, mask, torch.randn(3, 1, 4, 4, generator=g), resample=3, generator=g)
    assert torch.equal(out[..., :2, :], x0[..., :2, :])
    assert not torch.allclose(out[..., 2:, :], x0[..., 2:, :])
    with pytest.raises(ValueError, match="resample"):
        dm.repaint_sample(zero_model, sched, x0, mask, x0, resample=0)


def test_denoisers_shapes_conditioning_and_errors():
    net = dm.MLPDenoiser(dim=2, hidden=16, depth=2)
    assert net(torch.randn(5, 2), torch.randint(1000, (5,))).shape == (5, 2)
    unet = dm.UNet(width=8, emb_dim=16, num_classes=10)
    x, t = torch.randn(4, 1, 8, 8), torch.randint(1000, (4,))
    assert unet(x, t, torch.tensor([0, 3, 9, 10])).shape == (4, 1, 8, 8)
    with pytest.raises(ValueError, match="class-conditional"):
        unet(x, t)
    with pytest.raises(ValueError, match=r"\(B, 1, H, W\)"):
        unet(torch.randn(4, 1, 7, 8), t)
    with pytest.raises(ValueError, match="unconditional"):
        net(torch.randn(5, 2), torch.zeros(5, dtype=torch.long), torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(B, 2\)"):
        net(torch.randn(5, 3), torch.zeros(5, dtype=torch.long))
    emb = dm.timestep_embedding(torch.tensor([0, 7]), 8)
    freqs = 10_000 ** (-torch.arange(4) / 4)
    assert torch.allclose(emb[1], torch.cat([torch.cos(7 * freqs), torch.sin(7 * freqs)]))
    with pytest.raises(ValueError, match="even"):
        dm.timestep_embedding(torch.tensor([1]), 5)


def test_fit_trains_a_denoiser_through_the_objective_module():
    dlbook.set_seed(0)
    sched = dm.DDPMSchedule(dm.linear_betas(100, 1e-3, 0.1))
    x = torch.randn(512, 2) * 0.1 + torch.tensor([1.0, -1.0])
    net = dm.MLPDenoiser(hidden=32, depth=2)
    objective = dm.NoisePrediction(net, sched)
    hist = dlbook.fit(objective, dm.prediction_loss, torch.optim.Adam(net.parameters(), lr=3e-3),
                      dm.DiffusionBatches(x, batch_size=64), epochs=15, progress=False)
    assert hist["train_loss"][-1] < 0.6 * hist["train_loss"][0]
    # the objective's pieces: the prediction is the net's output at the drawn t, the target the drawn noise
    torch.manual_seed(3)
    pred, target = objective(x[:8])
    torch.manual_seed(3)
    t = torch.randint(100, (8,))
    eps = torch.randn(8, 2)
    assert torch.equal(target, eps)
    assert torch.allclose(pred, net(sched.q_sample(x[:8], t, eps), t))


def test_label_dropout_and_batches():
    sched = dm.DDPMSchedule(dm.linear_betas(10, 1e-3, 0.1))
    seen = []

    class Spy(nn.Module):
        def forward(self, x, t, labels):
            seen.append(labels)
            return x

    objective = dm.NoisePrediction(Spy(), sched, p_uncond=0.3, null_label=10)
    torch.manual_seed(0)
    objective(torch.zeros(4000, 2), torch.zeros(4000, dtype=torch.long))
    assert 0.27 < (seen[-1] == 10).float().mean() < 0.33 and set(seen[-1].tolist()) == {0, 10}
    with pytest.raises(ValueError, match="null_label"):
        dm.NoisePrediction(Spy(), sched, p_uncond=0.1)
    x, y = torch.arange(10.0)[:, None], torch.arange(10)
    batches = list(dm.DiffusionBatches(x, y, batch_size=4))
    assert len(batches) == 2
    (xb, yb), yb2 = batches[0]
    assert torch.equal(xb[:, 0].long(), yb) and torch.equal(yb, yb2)


def test_flow_matching_target_and_euler_sampler():
    class Exact(nn.Module):  # the velocity field of the path from N(0, I) to a point mass at c
        def __init__(self, c):
            super().__init__()
            self.c = c

        def forward(self, x, s):
            s = (s / 1000)[:, None]
            return (self.c - x) / (1 - s)

    c = torch.tensor([2.0, -1.0])
    out = dm.flow_sample(Exact(c), torch.randn(5, 2), steps=10)
    assert torch.allclose(out, c.expand(5, 2), atol=1e-5)
    torch.manual_seed(0)
    pred, target = dm.FlowMatching(Exact(c))(c.expand(3, 2).clone())
    torch.manual_seed(0)
    z = torch.randn(3, 2)
    assert torch.allclose(target, c - z)


def test_energy_distance():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(800, 2, generator=g), torch.randn(800, 2, generator=g)
    same = dm.energy_distance(a, b)
    shifted = dm.energy_distance(a, b + torch.tensor([1.0, 0.0]))
    assert abs(same) < 0.02 and shifted > 0.3
    # one dimension, two point masses at 0 and d: 2d - 0 - 0
    assert dm.energy_distance(torch.zeros(5, 1), torch.full((6, 1), 3.0)) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="same dimension"):
        dm.energy_distance(a, torch.zeros(4, 3))


# ---- against Hugging Face diffusers (optional: pip install -e ".[reference]") -------------------

def _diffusers():
    return pytest.importorskip(
        "diffusers", reason="Hugging Face diffusers is not installed: `pip install -e '.[reference]'` runs these checks"
    )


@pytest.mark.parametrize("kind", ["linear", "cosine"])
def test_schedules_and_add_noise_match_diffusers(kind):
    diffusers = _diffusers()
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, beta_schedule="linear" if kind == "linear" else "squaredcos_cap_v2")
    ours = dm.DDPMSchedule(dm.linear_betas() if kind == "linear" else dm.cosine_betas())
    assert torch.allclose(ref.betas.double(), ours.betas, atol=1e-7)
    assert torch.allclose(ref.alphas_cumprod.double(), ours.alpha_bars, rtol=1e-4, atol=1e-7)
    x0, eps = torch.randn(6, 1, 4, 4), torch.randn(6, 1, 4, 4)
    t = torch.tensor([0, 1, 10, 500, 998, 999])
    assert torch.allclose(ref.add_noise(x0, eps, t), ours.q_sample(x0, t, eps), atol=1e-5)


def test_ddpm_step_matches_diffusers():
    diffusers = _diffusers()
    ref = diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=False, variance_type="fixed_small")
    ref.set_timesteps(1000)
    ours = dm.DDPMSchedule(dm.linear_betas())
    x_t, eps = torch.randn(4, 1, 4, 4), torch.randn(4, 1, 4, 4)
    for t in (999, 500, 37, 1, 0):
        z = torch.randn(x_t.shape, generator=torch.Generator().manual_seed(t))
        expected = ref.step(eps, t, x_t, generator=torch.Generator().manual_seed(t)).prev_sample
        # diffusers keeps alpha_bar in float32: at t = 1, 1 - alpha_bar ~ 3e-4 loses ~1e-4 relative precision
        assert torch.allclose(dm.ddpm_step(ours, eps, x_t, t, z), expected, atol=1e-3), t
    # with clipping to [-1, 1] (diffusers' default)
    ref_clip = diffusers.DDPMScheduler(num_train_timesteps=1000, clip_sample=True)
    ref_clip.set_timesteps(1000)
    big = 3 * torch.randn(4, 1, 4, 4)
    expected = ref_clip.step(eps, 200, big, generator=torch.Generator().manual_seed(0)).prev_sample
    z = torch.randn(big.shape, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(dm.ddpm_step(ours, eps, big, 200, z, clip=1.0), expected, atol=1e-4)


@pytest.mark.parametrize("steps", [10, 50])
def test_ddim_matches_diffusers(steps):
    diffusers = _diffusers()
    ref = diffusers.DDIMScheduler(num_train_timesteps=1000, clip_sample=False)
    ref.set_timesteps(steps)
    ours = dm.DDPMSchedule(dm.linear_betas())
    assert ref.timesteps.tolist() == dm.ddim_timesteps(1000, steps)
    ts = dm.ddim_timesteps(1000, steps)
    x_ref = x_ours = torch.randn(3, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    for t, t_prev in zip(ts, ts[1:] + [-1]):
        eps = torch.sin(3 * x_ours) * 0.5 + 0.1 * t / 1000  # any fixed function of (x, t) plays the model
        x_ref = ref.step(torch.sin(3 * x_ref) * 0.5 + 0.1 * t / 1000, t, x_ref, eta=0.0).prev_sample
        x_ours = dm.ddim_step(ours, eps, x_ours, t, t_prev)
    assert torch.allclose(x_ours, x_ref, atol=1e-4)
    # clipping with the clipped model output re-derived, diffusers' use_clipped_model_output=True
    ref_clip = diffusers.DDIMScheduler(num_train_timesteps=1000, clip_sample=True)
    ref_clip.set_timesteps(steps)
    x, eps = 2 * torch.randn(3, 1, 4, 4), torch.randn(3, 1, 4, 4)
    expected = ref_clip.step(eps, ts[1], x, eta=0.0, use_clipped_model_output=True).prev_sample
    assert torch.allclose(dm.ddim_step(ours, eps, x, ts[1], ts[2], clip=1.0), expected, atol=1e-4)


# --- the shipped class-conditional digit denoiser (chapter 9, notebook 4 loads it instead of training it)


def test_shipped_digit_denoiser_predicts_the_noise_and_follows_its_label():
    from dlbook import gan

    net = dm.load_digit_diffusion()
    schedule = dm.DDPMSchedule(dm.linear_betas(dm.DIGIT_DIFFUSION_RECIPE["T"]))
    data = gan.judge_data(8)
    g = torch.Generator().manual_seed(0)
    x0, y = data.X_test[:64], data.y_test[:64]
    t = torch.full((64,), 300)
    eps = torch.randn(x0.shape, generator=g)
    with torch.no_grad():
        mse = (net(schedule.q_sample(x0, t, eps), t, y) - eps).pow(2).mean().item()
        null = (net(schedule.q_sample(x0, t, eps), t, torch.full_like(y, 10)) - eps).pow(2).mean().item()
        wrong = (net(schedule.q_sample(x0, t, eps), t, (y + 1) % 10) - eps).pow(2).mean().item()
    assert mse < 0.5  # predicting zero would score about 1
    assert null < 0.6  # the unconditional branch works too
    assert mse < wrong  # the true label helps: the network reads its label
    with pytest.raises(FileNotFoundError, match="train_digit_diffusion"):
        dm.load_digit_diffusion("/nonexistent/digit_unet.pt")
    with pytest.raises(ValueError, match="class-conditional"):
        net(x0, t)


@pytest.mark.slow
def test_training_reproduces_the_shipped_digit_denoiser(tmp_path):
    """Re-runs tools/train_digit_diffusion.py in the pinned environment (about 50 s of CPU)."""
    from shipped_weights import assert_tool_rebuilds

    assert_tool_rebuilds("train_digit_diffusion.py", dm.DIGIT_DIFFUSION_WEIGHTS, dm.DIGIT_DIFFUSION_TORCH,
                         "the shipped denoiser", tmp_path / "digit_unet.pt")
