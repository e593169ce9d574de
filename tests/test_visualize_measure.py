"""The edge-likeness measure that answers the assignment's question about the first-layer filters."""
import numpy as np

from experiments.visualize import EDGE_LIKE, edge_like_count, gabor_fit

Y, X = np.mgrid[-2:3, -2:3]


def gabor(theta, frequency, sigma, phase):
    along = X * np.cos(theta) + Y * np.sin(theta)
    return np.exp(-(X ** 2 + Y ** 2) / (2 * sigma ** 2)) * np.cos(2 * np.pi * frequency * along + phase)


def test_gabor_filters_and_edges_score_high_and_noise_low_with_a_margin():
    rng = np.random.default_rng(1)
    gabors = [gabor(rng.uniform(0, np.pi), rng.uniform(0.12, 0.38), rng.uniform(0.9, 2.2), rng.uniform(0, 2 * np.pi))
              for _ in range(100)]
    edges = [np.tanh(2 * (X * np.cos(t) + Y * np.sin(t))) for t in np.linspace(0, np.pi, 12, endpoint=False)]
    noise = [rng.normal(size=(5, 5)) for _ in range(300)]
    lowest_edge = min(gabor_fit(k) for k in gabors + edges)
    highest_noise = max(gabor_fit(k) for k in noise)
    assert lowest_edge >= 0.9 and highest_noise <= 0.75      # the stated margin: 0.15 of the energy
    assert lowest_edge > EDGE_LIKE > highest_noise
    assert edge_like_count(np.stack(gabors[:10] + noise[:10])) == 10


def test_the_measure_ignores_brightness_and_scale():
    k = gabor(0.3, 0.25, 1.5, 0.0)
    assert abs(gabor_fit(3 * k + 7) - gabor_fit(k)) < 1e-9
    assert gabor_fit(np.zeros((5, 5))) == 0.0
