#!/usr/bin/env python3
"""The official CaloChallenge DNN classifier run (evaluate.py -m cls-low / cls-high), timed.

Follows the training loop of CaloChallenge/homepage code/evaluate.py (commit 9b41df7) step by
step, so its cost is the official one: rows as prepare_*_data_for_classifier builds them (the
feature code of tests/peer/check_classifier_vs_official.py), ttv_split's fractional 60/20/20
split (np.random.shuffle of each class, then of each merged split), TensorDataset + DataLoader
(batch 1000, shuffle on train), DNN Linear(in, H) -> LeakyReLU -> Dropout(0), `layers` x
[Linear(H, H) -> LeakyReLU -> Dropout(0)], Linear(H, 1); per batch BCEWithLogitsLoss, zero_grad,
backward, Adam step and the rounded train predictions (train accuracy via sklearn per epoch);
per epoch evaluate_cls on test (BCE, accuracy, AUC) and torch.save of the best state; at the end
the best state reloaded, isotonic calibration fitted on test and AUC / JSD on val.

  official_classifier.py --reference REF.h5 --generated GEN.h5 --mode cls-low \\
      --dtype float64 --epochs 5 --threads 2
  official_classifier.py report RAW.jsonl     markdown table from perf/classifier_speed's lines

evaluate.py sets torch.set_default_dtype(torch.float64) (line 57); --dtype float32 times the same
run in single precision (calo_eval's precision). Prints one JSON line: per-epoch seconds
(training + test evaluation + checkpoint, as one epoch of evaluate.py costs), the input
preparation, the final evaluation and the total, with the AUC and JSD. Exit code 77 when torch,
h5py or scikit-learn is missing.
"""
import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

SKIP = 77
ROOT = pathlib.Path(__file__).resolve().parents[2]

try:
    import numpy as np
    import torch
    from sklearn.isotonic import IsotonicRegression
    from sklearn.metrics import accuracy_score, roc_auc_score

    sys.path.insert(0, str(ROOT / "tests" / "peer"))
    from check_classifier_vs_official import high_features, low_features, read
except ImportError as e:
    print(f"official_classifier: {e}; skipping (pip install -r perf/peer/requirements.txt)")
    sys.exit(SKIP)


def dnn(inputs, hidden, layers):
    mods = [torch.nn.Linear(inputs, hidden), torch.nn.LeakyReLU(), torch.nn.Dropout(0.0)]
    for _ in range(layers):
        mods += [torch.nn.Linear(hidden, hidden), torch.nn.LeakyReLU(), torch.nn.Dropout(0.0)]
    return torch.nn.Sequential(*mods, torch.nn.Linear(hidden, 1))


def ttv_split(a, b):
    """evaluate.py ttv_split with dataset=None (fractions; the dataset-2 branch needs 100k)."""
    cuts = (len(a) * np.array([0.6, 0.2, 0.2])).astype(int).cumsum()[:-1]
    np.random.shuffle(a)
    np.random.shuffle(b)
    parts = [np.concatenate([x, y]) for x, y in zip(np.split(a, cuts), np.split(b, cuts))]
    for p in parts:
        np.random.shuffle(p)
    return parts


def train_epoch(net, loader, opt):
    net.train()
    truth, preds = [], []
    for (batch,) in loader:
        x, y = batch[:, :-1], batch[:, -1]
        out = net(x)
        loss = torch.nn.BCEWithLogitsLoss()(out, y.unsqueeze(1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        preds.append(torch.round(torch.sigmoid(out.detach())))
        truth.append(torch.round(y.detach()))
    return accuracy_score(torch.cat(truth).numpy(), torch.cat(preds).numpy().reshape(-1))


def outputs(net, loader, sigmoid):
    net.eval()
    truth, preds = [], []
    for (batch,) in loader:
        out = net(batch[:, :-1])
        preds.append((torch.sigmoid(out) if sigmoid else out).reshape(-1))
        truth.append(batch[:, -1].double())
    return torch.cat(preds), torch.cat(truth)


def evaluate(net, loader):
    z, y = outputs(net, loader, sigmoid=False)
    bce = torch.nn.BCEWithLogitsLoss()(z, y.to(z.dtype)).item()
    p, y = torch.sigmoid(z).numpy(), y.numpy()
    return accuracy_score(y, np.round(p)), roc_auc_score(y, p), (np.log(2.0) - bce) / np.log(2.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reference", required=True)
    ap.add_argument("--generated", required=True)
    ap.add_argument("--mode", default="cls-low", choices=["cls-low", "cls-high"])
    ap.add_argument("--dtype", default="float64", choices=["float64", "float32"])
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=50)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--max-per-class", type=int, default=0,
                    help="use the first N showers of each file (0: all)")
    ap.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    torch.set_default_dtype(dtype)
    t_start = time.perf_counter()

    feats = high_features if args.mode == "cls-high" else low_features
    rows = []
    for path, label in ((args.generated, 0.0), (args.reference, 1.0)):
        e, s = read(path)
        x = feats(e, s)
        rows.append(np.concatenate([x, np.full((len(x), 1), label)], axis=1))
    n = min(len(r) for r in rows)  # evaluate.py asserts equal sizes
    if args.max_per_class > 0:
        n = min(n, args.max_per_class)
    train, test, val = ttv_split(rows[0][:n], rows[1][:n])
    loader = {}
    for name, part in (("train", train), ("test", test), ("val", val)):
        data = torch.utils.data.TensorDataset(torch.tensor(part, dtype=dtype))
        loader[name] = torch.utils.data.DataLoader(data, batch_size=args.batch,
                                                   shuffle=name == "train")
    net = dnn(train.shape[1] - 1, args.hidden, args.layers)
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    t_prepared = time.perf_counter()

    epoch_s, best_acc, best_epoch = [], float("-inf"), 0
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = os.path.join(tmp, "best.pt")
        for epoch in range(args.epochs):
            t0 = time.perf_counter()
            train_epoch(net, loader["train"], opt)
            with torch.no_grad():
                acc, _, _ = evaluate(net, loader["test"])
            if acc > best_acc:
                best_acc, best_epoch = acc, epoch + 1
                torch.save({"model_state_dict": net.state_dict()}, ckpt)
            epoch_s.append(time.perf_counter() - t0)
            print(f"official_classifier: epoch {epoch + 1}: test accuracy {acc:.4f},"
                  f" {epoch_s[-1]:.1f} s", file=sys.stderr, flush=True)
            if acc == 1.0:
                break
        t_trained = time.perf_counter()
        net.load_state_dict(torch.load(ckpt)["model_state_dict"])
    with torch.no_grad():
        p_test, y_test = outputs(net, loader["test"], sigmoid=True)
        iso = IsotonicRegression(out_of_bounds="clip", y_min=1e-6, y_max=1.0 - 1e-6)
        iso.fit(p_test.numpy(), y_test.numpy())
        p_val, y_val = outputs(net, loader["val"], sigmoid=True)
        cal = iso.predict(p_val.numpy())
        auc = roc_auc_score(y_val.numpy(), cal)
        bce = torch.nn.BCELoss()(torch.tensor(cal, dtype=torch.float64), y_val).item()
    t_end = time.perf_counter()
    print(json.dumps({
        "what": "official", "mode": args.mode, "dtype": args.dtype, "threads": args.threads,
        "torch": torch.__version__, "showers_per_class": n, "train_rows": len(train),
        "hidden": args.hidden, "layers": args.layers, "epochs_run": len(epoch_s),
        "best_epoch": best_epoch, "epoch_s": epoch_s, "prepare_s": t_prepared - t_start,
        "final_s": t_end - t_trained, "total_s": t_end - t_start,
        "classifier_s": t_end - t_prepared, "auc": float(auc),
        "jsd": float((np.log(2.0) - bce) / np.log(2.0))}), flush=True)


def report(paths):
    """Markdown table (medians over the rounds) from the JSON lines of perf/classifier_speed."""
    import statistics
    rows = [json.loads(line) for p in paths for line in open(p) if line.startswith("{")]
    med = statistics.median
    print("| mode | run | dtype | s / epoch | classifier s | process wall s | epoch: x calo_eval |"
          " wall: x calo_eval | AUC | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for mode in dict.fromkeys(r["mode"] for r in rows):
        groups = {}
        for r in rows:
            if r["mode"] == mode:
                groups.setdefault((r["what"], r["dtype"]), []).append(r)
        base = groups.get(("calo_eval", "float32"))
        if not base:
            continue
        b_epoch = med(med(r["epoch_s"]) for r in base)
        b_wall = med(r["wall_s"] for r in base)
        for (what, dtype), g in groups.items():
            epoch = med(med(r["epoch_s"]) for r in g)
            wall = med(r["wall_s"] for r in g)
            cls = med(r["classifier_s"] for r in g)
            loads = [float(r[k].split()[0]) for r in g for k in ("load_start", "load_end")]
            print(f"| {mode} | {what if what == 'calo_eval' else 'official (torch)'} | {dtype} |"
                  f" {epoch:.1f} | {cls:.1f} | {wall:.1f} | {epoch / b_epoch:.2f} |"
                  f" {wall / b_wall:.2f} | {med(r['auc'] for r in g):.3f} |"
                  f" {min(loads):.1f}-{max(loads):.1f} |")
    print()
    print("s / epoch: median over the rounds of each run's median epoch (training, test accuracy,"
          " best-state copy or torch.save); classifier s: training and final evaluation (isotonic"
          " calibration, AUC), inputs prepared; process wall: the whole command (file reading,"
          " inputs, interpreter start for torch); x calo_eval: this row's time over calo_eval's"
          " (> 1: calo_eval is faster).")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "report":
        report(sys.argv[2:])
    else:
        main()
