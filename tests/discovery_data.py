"""Synthetic data for the discovery tests: planted clusters in vectors and in texts."""

from __future__ import annotations

import numpy as np

WORDS = [
    "apple",
    "river",
    "stone",
    "cloud",
    "piano",
    "garden",
    "lemon",
    "rocket",
    "violet",
    "candle",
    "marble",
    "tiger",
    "forest",
    "silver",
    "ocean",
    "window",
    "pepper",
    "castle",
    "meadow",
    "lantern",
    "harbor",
    "velvet",
    "cactus",
    "falcon",
    "copper",
    "orchid",
    "thunder",
    "basket",
    "walnut",
    "glacier",
]


def planted_vectors(
    sizes=(120, 80, 60), noise: int = 150, dim: int = 64, spread: float = 0.35, seed: int = 0
):
    """Unit vectors around len(sizes) random centres plus uniform noise; (vectors, truth)
    with truth -1 for noise. Same seed → same centres, so later calls add "new days"."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return _draw(centres, sizes, noise, spread, rng)


def more_vectors(sizes, noise, dim=64, spread=0.35, seed=0, day=1):
    """Fresh points around the same centres as `planted_vectors(seed=seed)`."""
    centres = np.random.default_rng(seed).normal(size=(len(sizes), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    return _draw(centres, sizes, noise, spread, np.random.default_rng(1000 + day))


def _draw(centres, sizes, noise, spread, rng):
    dim = centres.shape[1]
    parts, truth = [], []
    for c, n in enumerate(sizes):
        parts.append(centres[c] + spread * rng.normal(size=(n, dim)) / np.sqrt(dim) * 3)
        truth += [c] * n
    parts.append(rng.normal(size=(noise, dim)))
    truth += [-1] * noise
    x = np.vstack(parts)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32), np.array(truth)


FAMILIES = {
    "crypto": ["my", "crypto", "wallet", "bitcoin", "withdrawal", "is", "pending"],
    "lounge": ["airport", "lounge", "access", "with", "premium", "travel", "pass"],
}
TAILS = [
    "please",
    "thanks",
    "help",
    "asap",
    "today",
    "again",
    "urgent",
    "now",
    "still",
    "days",
    "week",
    "why",
]


def family_texts(n: int, seed: int = 0, family: str = "crypto") -> list[str]:
    """`n` phrasings of one intent family the tiny taxonomy lacks (e.g. pending crypto
    withdrawals): the same words shuffled plus two filler words, so one family is one group."""
    rng = np.random.default_rng(seed)
    words = FAMILIES[family]
    return [" ".join([*rng.permutation(words), *rng.choice(TAILS, 2)]) for _ in range(n)]


def noise_texts(n: int, seed: int = 1) -> list[str]:
    """`n` unrelated texts (random words): what the taxonomy cannot place and should not group."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    return [
        " ".join("".join(rng.choice(letters, 6)) for _ in range(5)) + f" {rng.choice(WORDS)}"
        for _ in range(n)
    ]
