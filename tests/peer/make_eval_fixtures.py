#!/usr/bin/env python3
"""Fixtures for tests/eval: FPD/KPD reference values computed with JetNet's algorithm.

jetnet 0.2.4 (`jetnet/evaluation/gen_metrics.py`) imports torch, numba and energyflow at module
level, so it cannot be imported with only numpy/scipy installed. The functions below are copied
VERBATIM from the published jetnet 0.2.4 wheel source (same names, same numpy/scipy calls), with
only the @njit decorators and logging removed. Run:  pip install numpy scipy; python3 this.py
Writes tests/data/eval/jetnet_fixture.json (committed; CI never runs Python).
"""
import json
import pathlib

import numpy as np
from scipy import linalg
from scipy.optimize import curve_fit
from scipy.stats import iqr


# ---- jetnet 0.2.4 gen_metrics.py (verbatim up to decorators/logging) ----
def _calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6):
    mu1 = np.atleast_1d(mu1)
    mu2 = np.atleast_1d(mu2)
    sigma1 = np.atleast_2d(sigma1)
    sigma2 = np.atleast_2d(sigma2)
    diff = mu1 - mu2
    covmean, _ = linalg.sqrtm(sigma1.dot(sigma2), disp=False)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    if np.iscomplexobj(covmean):
        covmean = covmean.real
    tr_covmean = np.trace(covmean)
    return diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2 * tr_covmean


def _normalise_features(X, Y=None):
    maxes = np.max(np.abs(X), axis=0)
    maxes[maxes == 0] = 1
    return (X / maxes, Y / maxes) if Y is not None else X / maxes


def _linear(x, intercept, slope):
    return intercept + slope * x


def fpd(real_features, gen_features, min_samples=20_000, max_samples=50_000, num_batches=20,
        num_points=10, normalise=True, seed=42):
    X, Y = _normalise_features(real_features, gen_features)
    batches = (1 / np.linspace(1.0 / min_samples, 1.0 / max_samples, num_points)).astype("int32")
    np.random.seed(seed)
    vals = []
    for i, batch_size in enumerate(batches):
        val_points = []
        for _ in range(num_batches):
            rand1 = np.random.choice(len(X), size=batch_size)
            rand2 = np.random.choice(len(Y), size=batch_size)
            rand_sample1 = X[rand1]
            rand_sample2 = Y[rand2]
            mu1 = np.mean(rand_sample1, axis=0)
            sigma1 = np.cov(rand_sample1, rowvar=False)
            mu2 = np.mean(rand_sample2, axis=0)
            sigma2 = np.cov(rand_sample2, rowvar=False)
            val_points.append(_calculate_frechet_distance(mu1, sigma1, mu2, sigma2))
        vals.append(np.mean(val_points))
    params, covs = curve_fit(_linear, 1 / batches, vals, bounds=([0, 0], [np.inf, np.inf]))
    return (params[0], np.sqrt(np.diag(covs)[0]))


def _poly_kernel_pairwise(X, Y, degree):
    gamma = 1.0 / X.shape[-1]
    return (X @ Y.T * gamma + 1.0) ** degree


def _mmd_quadratic_unbiased(XX, YY, XY):
    m, n = XX.shape[0], YY.shape[0]
    return ((XX.sum() - np.trace(XX)) / (m * (m - 1)) + (YY.sum() - np.trace(YY)) / (n * (n - 1))
            - 2 * np.mean(XY))


def _mmd_poly_quadratic_unbiased(X, Y, degree=4):
    XX = _poly_kernel_pairwise(X, X, degree=degree)
    YY = _poly_kernel_pairwise(Y, Y, degree=degree)
    XY = _poly_kernel_pairwise(X, Y, degree=degree)
    return _mmd_quadratic_unbiased(XX, YY, XY)


def _kpd_batches(X, Y, num_batches, batch_size, seed):
    vals_point = []
    for i in range(num_batches):
        np.random.seed(seed + i * 1_000)
        rand1 = np.random.choice(len(X), size=batch_size)
        rand2 = np.random.choice(len(Y), size=batch_size)
        vals_point.append(_mmd_poly_quadratic_unbiased(X[rand1], Y[rand2]))
    return vals_point


def kpd(real_features, gen_features, num_batches=10, batch_size=5_000, normalise=True, seed=42):
    X, Y = _normalise_features(real_features, gen_features)
    vals_point = _kpd_batches(X, Y, num_batches, batch_size, seed)
    return (np.median(vals_point), iqr(vals_point, rng=(16.275, 83.725)) / 2)
# ---- end of jetnet code ----


def main():
    rng = np.random.default_rng(20261123)
    n, d = 600, 6
    # correlated, non-negative-ish features with different scales (like the 362-dim vector)
    A = rng.normal(size=(d, d)) * 0.4 + np.eye(d)
    X = rng.normal(size=(n, d)) @ A + np.linspace(1, 3, d)
    Y = (rng.normal(size=(n, d)) @ A) * 1.1 + np.linspace(1, 3, d) + 0.15
    X[:, 2] *= 50.0  # scale differences: normalisation matters
    Y[:, 2] *= 50.0
    Xn, Yn = _normalise_features(X, Y)

    out = {"n": n, "d": d, "X": X.tolist(), "Y": Y.tolist()}
    # deterministic cores on fixed (normalised) sets
    a, b = Xn[:250], Yn[:300]
    out["frechet_fixed"] = float(_calculate_frechet_distance(
        a.mean(0), np.cov(a, rowvar=False), b.mean(0), np.cov(b, rowvar=False)))
    out["mmd_fixed"] = float(_mmd_poly_quadratic_unbiased(Xn[:200], Yn[:300]))
    # final fit on given points (one unconstrained case, one where slope hits the bound b >= 0)
    inv = 1 / (1 / np.linspace(1.0 / 200, 1.0 / 1000, 10)).astype("int32")
    fits = []
    for vals in [0.05 + 7.0 * inv + 0.002 * np.sin(np.arange(10.0)),
                 0.08 - 3.0 * inv + 0.001 * np.cos(np.arange(10.0))]:
        p, c = curve_fit(_linear, inv, vals, bounds=([0, 0], [np.inf, np.inf]))
        fits.append({"x": inv.tolist(), "y": vals.tolist(), "a": float(p[0]), "b": float(p[1]),
                     "a_err": float(np.sqrt(c[0, 0]))})
    out["fits"] = fits
    # full randomized metrics (JetNet's own RNG), and their seed-to-seed spread
    fp = dict(min_samples=200, max_samples=1000, num_batches=20, num_points=10)
    kp = dict(num_batches=10, batch_size=300)
    out["fpd_params"], out["kpd_params"] = fp, kp
    out["fpd"] = [float(v) for v in fpd(X, Y, **fp)]
    out["kpd"] = [float(v) for v in kpd(X, Y, **kp)]
    fs = [fpd(X, Y, seed=s, **fp)[0] for s in range(100, 130)]
    ks = [kpd(X, Y, seed=s, **kp)[0] for s in range(100, 130)]
    out["fpd_seed_std"], out["kpd_seed_std"] = float(np.std(fs)), float(np.std(ks))
    out["fpd_seed_mean"], out["kpd_seed_mean"] = float(np.mean(fs)), float(np.mean(ks))
    # JetNet unit-test anchors
    z, o = np.zeros((50000, 2)), np.ones((50000, 2))
    out["anchor_zeros_ones_fpd"] = float(fpd(z, o)[0])
    out["anchor_zeros_ones_kpd"] = float(kpd(z, o)[0])
    path = pathlib.Path(__file__).resolve().parents[1] / "data" / "eval" / "jetnet_fixture.json"
    path.write_text(json.dumps(out, indent=0))
    print({k: v for k, v in out.items() if k not in ("X", "Y")})


if __name__ == "__main__":
    main()
