#!/usr/bin/env python3
"""The twin's equality check has teeth: on a `decoder_io write` directory the unchanged twin
passes and each mutation of a semantic detail fails (perf/peer/check_twin, ctest
torch_twin_equality). Exit 77 when torch is missing."""
import contextlib
import io
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_twin  # noqa: E402

MUTATIONS = {
    "PReLU slopes at their default": lambda torch, t: t.act_fc.weight.data.fill_(0.02),
    "BatchNorm running_var at its default": lambda torch, t: t.bn_up0.running_var.data.fill_(1.0),
    "BatchNorm eps 1e-3 instead of 1e-5": lambda torch, t: setattr(t.hits.bn, "eps", 1e-3),
    "ConvTranspose kernel flipped in W": lambda torch, t: t.up0.weight.data.copy_(
        t.up0.weight.data.flip(-1)),
    "heads share the hit head's last conv": lambda torch, t: t.energy.out.weight.data.copy_(
        t.hits.out.weight.data),
}


def main(d):
    torch_twin.require_torch()
    failures = []
    if torch_twin.check(d) != 0:
        failures.append("the unchanged twin does not match calo4pq")
    for name, mutate in MUTATIONS.items():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            rc = torch_twin.check(d, mutate)
        print(f"mutation '{name}': {'caught' if rc != 0 else 'NOT caught'}")
        if rc == 0:
            failures.append(f"mutation '{name}' passed the check")
    for f in failures:
        print("twin_selftest: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: twin_selftest.py DIR (from perf/decoder_io write)")
    sys.exit(main(sys.argv[1]))
