#!/usr/bin/env python3
"""Fixtures for tests/eval: PRDC, isotonic calibration and ROC AUC from the libraries that
CaloChallenge evaluate.py calls (`prdc.compute_prdc`, `sklearn.isotonic.IsotonicRegression`,
`sklearn.metrics.roc_auc_score`), on small seeded inputs.

Run:  pip install numpy scikit-learn prdc; python3 tests/peer/make_classifier_prdc_fixtures.py
Writes tests/data/eval/classifier_prdc_fixture.json (committed; CI never runs Python). Skips
cleanly (exit 0, message) when a library is missing.
"""
import json
import pathlib
import sys

try:
    import numpy as np
    from prdc import compute_prdc
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
except ImportError as e:  # optional peer check
    print(f"skipped: {e} (pip install numpy scikit-learn prdc)")
    sys.exit(0)

rng = np.random.default_rng(13)
out = {}

# PRDC: two overlapping Gaussian clouds, float32 like evaluate.py's log10 voxels
cases = []
for n, m, d, k, shift in [(60, 50, 7, 5, 0.0), (80, 70, 12, 5, 0.7), (40, 45, 3, 3, 0.3)]:
    real = rng.normal(size=(n, d)).astype(np.float32)
    fake = (rng.normal(size=(m, d)) * 1.2 + shift).astype(np.float32)
    r = compute_prdc(real_features=real, fake_features=fake, nearest_k=k)
    cases.append({"k": k, "real": real.tolist(), "fake": fake.tolist(),
                  **{key: float(v) for key, v in r.items()}})
out["prdc"] = cases

# Isotonic calibration as evaluate.py configures it, with tied scores
x = np.round(rng.uniform(size=300), 2)
y = (rng.uniform(size=300) < 0.2 + 0.6 * x).astype(float)
iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1.0 - 1e-6).fit(x, y)
q = np.concatenate([rng.uniform(-0.1, 1.1, size=200), x[:20]])
out["isotonic"] = {"x": x.tolist(), "y": y.tolist(), "queries": q.tolist(),
                   "predictions": iso.predict(q).tolist()}

# ROC AUC with ties
s = np.round(rng.normal(size=400) + np.repeat([0.0, 0.5], 200), 1)
lab = np.repeat([0.0, 1.0], 200)
out["auc"] = {"scores": s.tolist(), "labels": lab.tolist(), "auc": float(roc_auc_score(lab, s))}

path = pathlib.Path(__file__).resolve().parents[1] / "data" / "eval" / "classifier_prdc_fixture.json"
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path}")
