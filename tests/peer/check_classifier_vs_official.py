#!/usr/bin/env python3
"""Peer check of calo_eval's classifier test against the official CaloChallenge procedure.

The official procedure (CaloChallenge/homepage code/evaluate.py, -m cls-low / cls-high) is
re-implemented here in PyTorch from its documented behaviour: inputs as prepare_*_data_for_classifier
builds them, DNN Linear(in, H) + LeakyReLU, `layers` x [Linear(H, H) + LeakyReLU], Linear(H, 1),
BCEWithLogits, Adam(lr), shuffled batches, per-class 60/20/20 split, the epoch with the best test
accuracy kept, isotonic calibration (sklearn, y in [1e-6, 1 - 1e-6], clip) fitted on test, AUC
and JSD = (ln2 - BCE)/ln2 on val. float64 as evaluate.py sets it.

For each pair (reference vs: an independent sample, x0.9 energy scale, layers 35-44 emptied, a
one-bin rotation in alpha; made from calo_synth files) it trains the official procedure `--repeats`
times (unseeded, like evaluate.py) and calo_eval as often (--seed 1..repeats) with the same
hyper-parameters, and prints both AUCs (mean +- std over the runs). Results go to tests/data/eval/classifier_peer_results_MODE.json (committed).

  pip install numpy scikit-learn h5py torch
  python3 tests/peer/check_classifier_vs_official.py --build build --showers 10000 \
      --mode cls-high --hidden 2048 --epochs 50

Exits 0 with a message when torch, h5py or scikit-learn is missing.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

try:
    import h5py
    import numpy as np
    import torch
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import roc_auc_score
except ImportError as e:
    print(f"skipped: {e} (pip install numpy scikit-learn h5py torch)")
    sys.exit(0)

THRESHOLD = 0.5e-3 / 0.033
ROOT = pathlib.Path(__file__).resolve().parents[2]


def read(path):
    with h5py.File(path, "r") as f:
        return f["incident_energies"][:].astype(np.float64), f["showers"][:]


def write(path, e, s):
    with h5py.File(path, "w") as f:
        f["incident_energies"] = e
        f["showers"] = s.astype(np.float32)


def high_features(e, s):
    """The 362-dim vector of evaluate.py (HighLevelFeatures.py formulas)."""
    s = np.where(s < THRESHOLD, 0.0, s).reshape(-1, 45, 16, 9).astype(np.float64)
    r = 2.325 + 4.65 * np.arange(9)
    a = -np.pi + (np.arange(16) + 0.5) * 2 * np.pi / 16
    x = r[None, :] * np.cos(a)[:, None]
    y = r[None, :] * np.sin(a)[:, None]
    rr = np.broadcast_to(r[None, :], (16, 9))
    el = s.sum(axis=(2, 3))
    norm = el + 1e-16

    def ec(c):
        return (s * c).sum(axis=(2, 3)) / norm

    def width(c):
        m = ec(c)
        return np.sqrt(np.maximum((s * c * c).sum(axis=(2, 3)) / norm - m * m, 0.0))

    sparsity = 1.0 - (s > 0).mean(axis=(2, 3))
    etot = el.sum(axis=1, keepdims=True)
    return np.concatenate([np.log10(e), np.log10(el + 1e-8), ec(x) / 100, ec(y) / 100,
                           width(x) / 100, width(y) / 100, np.log10(etot + 1e-8), sparsity,
                           ec(rr) / 100, width(rr) / 100], axis=1)


def low_features(e, s):
    s = np.where(s < THRESHOLD, 0.0, s)
    return np.concatenate([np.log10(e), s / e], axis=1)


def official(gen, ref, hidden, layers, epochs, lr, batch, seed):
    rng = np.random.default_rng(seed)
    torch.manual_seed(seed)
    n = min(len(gen), len(ref))
    ntr, nte = int(0.6 * n), int(0.2 * n)
    parts = {"train": [], "test": [], "val": []}
    for label, x in ((0.0, gen), (1.0, ref)):
        x = x[rng.permutation(len(x))[:n]]
        x = np.concatenate([x, np.full((n, 1), label)], axis=1)
        parts["train"].append(x[:ntr])
        parts["test"].append(x[ntr:ntr + nte])
        parts["val"].append(x[ntr + nte:])
    data = {k: torch.tensor(np.concatenate(v)[rng.permutation(sum(len(p) for p in v))])
            for k, v in parts.items()}
    d = data["train"].shape[1] - 1
    mods = [torch.nn.Linear(d, hidden), torch.nn.LeakyReLU()]
    for _ in range(layers):
        mods += [torch.nn.Linear(hidden, hidden), torch.nn.LeakyReLU()]
    net = torch.nn.Sequential(*mods, torch.nn.Linear(hidden, 1)).double()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.BCEWithLogitsLoss()

    def logits(t):
        with torch.no_grad():
            return torch.cat([net(t[i:i + batch, :-1]).reshape(-1)
                              for i in range(0, len(t), batch)])

    best, best_state = -1.0, None
    for _ in range(epochs):
        tr = data["train"][torch.randperm(len(data["train"]))]
        for i in range(0, len(tr), batch):
            b = tr[i:i + batch]
            loss = loss_fn(net(b[:, :-1]), b[:, -1:])
            opt.zero_grad()
            loss.backward()
            opt.step()
        acc = ((logits(data["test"]) > 0).double() == data["test"][:, -1]).double().mean().item()
        if acc > best:
            best, best_state = acc, {k: v.clone() for k, v in net.state_dict().items()}
        if acc == 1.0:
            break
    net.load_state_dict(best_state)
    p_test = torch.sigmoid(logits(data["test"])).numpy()
    p_val = torch.sigmoid(logits(data["val"])).numpy()
    y_test, y_val = data["test"][:, -1].numpy(), data["val"][:, -1].numpy()
    iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1 - 1e-6).fit(p_test, y_test)
    cal = iso.predict(p_val)
    bce = -np.mean(y_val * np.log(cal) + (1 - y_val) * np.log(1 - cal))
    return float(roc_auc_score(y_val, cal)), float((np.log(2) - bce) / np.log(2))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=str(ROOT / "build"))
    ap.add_argument("--work", default="/tmp/calo_cls_peer")
    ap.add_argument("--showers", type=int, default=10000)
    ap.add_argument("--mode", default="cls-high", choices=["cls-low", "cls-high"])
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--pairs", default="independent,scale0.9,empty35-44,rotate1")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    work = pathlib.Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    build = pathlib.Path(args.build)
    for seed in (2, 3):
        f = work / f"synth_{seed}.h5"
        if not f.exists():
            subprocess.run([str(build / "calo_synth"), "--out", str(f), "--events",
                            str(args.showers), "--seed", str(seed)], check=True,
                           stdout=subprocess.DEVNULL)
    e_ref, s_ref = read(work / "synth_2.h5")
    e, s = read(work / "synth_3.h5")
    variants = {"independent": s, "scale0.9": s * 0.9,
                "empty35-44": np.concatenate([s[:, :35 * 144], 0 * s[:, 35 * 144:]], axis=1),
                "rotate1": np.roll(s.reshape(-1, 45, 16, 9), 1, axis=2).reshape(-1, 6480)}
    feats = high_features if args.mode == "cls-high" else low_features
    x_ref = feats(e_ref, s_ref)
    results = []
    for name in args.pairs.split(","):
        gen = variants[name]
        path = work / f"{name}.h5"
        write(path, e, gen)
        t0 = time.time()
        off = [official(feats(e, gen), x_ref, args.hidden, args.layers, args.epochs, args.lr,
                        args.batch, seed) for seed in range(args.repeats)]
        t_off = (time.time() - t0) / args.repeats
        calo = []
        t0 = time.time()
        for seed in range(args.repeats):
            out = work / f"eval_{name}_{seed}"
            subprocess.run([str(build / "calo_eval"), "--reference", str(work / "synth_2.h5"),
                            "--generated", str(path), "--out", str(out), "--no-fpd-kpd",
                            "--no-plots", "--classifier", args.mode, "--cls-hidden",
                            str(args.hidden), "--cls-layers", str(args.layers), "--cls-epochs",
                            str(args.epochs), "--cls-lr", str(args.lr), "--cls-batch-size",
                            str(args.batch), "--seed", str(seed + 1)],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            m = json.loads((out / "metrics.json").read_text())["classifier"][args.mode]
            calo.append((m["auc"], m["jsd"]))
        t_calo = (time.time() - t0) / args.repeats
        aucs, caucs = [a for a, _ in off], [a for a, _ in calo]
        r = {"pair": name, "official_auc": aucs, "official_jsd": [j for _, j in off],
             "official_auc_mean": float(np.mean(aucs)), "official_auc_std": float(np.std(aucs)),
             "calo_eval_auc": caucs, "calo_eval_jsd": [j for _, j in calo],
             "calo_eval_auc_mean": float(np.mean(caucs)),
             "calo_eval_auc_std": float(np.std(caucs)),
             "official_seconds": t_off, "calo_eval_seconds": t_calo}
        print(f"{name:12s} official AUC {r['official_auc_mean']:.4f} +- {r['official_auc_std']:.4f}"
              f" ({t_off:.0f} s/run)   calo_eval {r['calo_eval_auc_mean']:.4f} +-"
              f" {r['calo_eval_auc_std']:.4f} ({t_calo:.0f} s/run)   diff of means"
              f" {r['calo_eval_auc_mean'] - r['official_auc_mean']:+.4f}")
        results.append(r)
    res = {"settings": vars(args), "results": results}
    dst = ROOT / "tests" / "data" / "eval" / f"classifier_peer_results_{args.mode}.json"
    dst.write_text(json.dumps(res, indent=1) + "\n")
    print(f"wrote {dst}")


if __name__ == "__main__":
    main()
