#!/usr/bin/env python3
"""Drives calo_sapi_standin with D-Wave's own client (dwave-cloud-client), as a new user would.

Usage: sapi_ocean_peer.py <path to calo_sapi_standin>
Checks: solver listing; sample_ising and sample_qubo in raw and histogram mode (energies recomputed
here); the error classes Ocean raises for bad inputs; Future.cancel() on a queued problem; the
helpers max_num_reads() and estimate_qpu_access_time(); and a Boltzmann check of the samples
(chi-square over the 2^12 states of a 12-qubit problem, fitted beta against the hidden one).
Exit 0 = pass, 1 = fail. Cross-check only: never part of the product.
"""
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time

from dwave.cloud import Client
from dwave.cloud import exceptions as dwex

TOKEN = "peer-token"
BETA = 3.0
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_standin(binary, *extra):
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--token", TOKEN, "--beta", str(BETA),
                             "--log-level", "warn", *extra])
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return proc, "http://127.0.0.1:%d/sapi/v2/" % port
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("calo_sapi_standin did not start on port %d" % port)


def ising_energy(h, J, s):
    return sum(v * s[q] for q, v in h.items()) + sum(v * s[a] * s[b] for (a, b), v in J.items())


def qubo_energy(Q, x):
    return sum(v * x[a] * x[b] for (a, b), v in Q.items())


def connected_qubits(solver, n, seed):
    adj = {}
    for a, b in solver.properties["couplers"]:
        adj.setdefault(a, set()).add(b)
        adj.setdefault(b, set()).add(a)
    start = sorted(adj)[seed % len(adj)]
    picked, frontier = [start], [start]
    while frontier and len(picked) < n:
        q = frontier.pop(0)
        for r in sorted(adj[q]):
            if r not in picked and len(picked) < n:
                picked.append(r)
                frontier.append(r)
    return picked


def gammaincc(a, x):
    """Regularized upper incomplete gamma Q(a, x) (Numerical Recipes series / continued fraction)."""
    if x <= 0:
        return 1.0
    if x < a + 1:
        term = total = 1.0 / a
        k = a
        while abs(term) > abs(total) * 1e-15:
            k += 1
            term *= x / k
            total += term
        return 1.0 - total * math.exp(-x + a * math.log(x) - math.lgamma(a))
    b, c, d = x + 1 - a, 1e300, 1 / (x + 1 - a)
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = 1e-300 if abs(d) < 1e-300 else d
        c = b + an / c
        c = 1e-300 if abs(c) < 1e-300 else c
        d = 1 / d
        h *= d * c
        if abs(d * c - 1) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def main():
    binary = sys.argv[1]
    os.environ["DWAVE_CACHE_ENABLED"] = "0"
    os.environ["DWAVE_CACHE_HOME"] = tempfile.mkdtemp(prefix="peer-dwave-cache-")
    proc, endpoint = start_standin(binary, "--profile", "Advantage2_standin")
    queued, queued_endpoint = start_standin(binary, "--queue", "30")
    procs = [proc, queued]
    try:
        run(endpoint, queued_endpoint)
        for name, topo, shape, nq, nc in (("Advantage2_system1", "zephyr", [12, 4], 4577, 41515),
                                          ("Advantage_system4.1", "pegasus", [16], 5627, 40279)):
            p, ep = start_standin(binary, "--profile", name)
            procs.append(p)
            profile(ep, name, topo, shape, nq, nc)
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
    if FAILURES:
        print("%d peer checks failed: %s" % (len(FAILURES), "; ".join(FAILURES)))
        return 1
    print("all peer checks passed")
    return 0


def profile(endpoint, name, topo, shape, nq, nc):
    with Client(endpoint=endpoint, token=TOKEN, request_timeout=60) as client:
        solver = client.get_solver(name=name)
        props = solver.properties
        check(props["topology"] == {"type": topo, "shape": shape} and len(solver.nodes) == nq
              and len(props["couplers"]) == nc,
              "profile %s: %s %s, %d qubits, %d couplers" % (name, topo, shape, nq, nc))
        a, b = props["couplers"][0]
        f = solver.sample_ising({a: 0.1, b: -0.1}, {(a, b): -0.5}, num_reads=10, answer_mode="raw")
        check(len(f.samples) == 10 and solver.max_num_reads() > 0, "profile %s samples" % name)


def run(endpoint, queued_endpoint):
    import importlib.metadata
    print("dwave-cloud-client", importlib.metadata.version("dwave-cloud-client"))
    with Client(endpoint=endpoint, token=TOKEN, request_timeout=30) as client:
        solvers = client.get_solvers()
        check(len(solvers) == 1 and solvers[0].name == "Advantage2_standin", "solver listing")
        solver = client.get_solver(name="Advantage2_standin")
        check(solver.qpu and len(solver.nodes) == 1248 and len(solver.properties["couplers"]) == 11400,
              "solver graph: 1248 qubits, 11400 couplers (Z(6,4))")
        check(solver.num_qubits == 1248 and "qubo" in solver.properties["supported_problem_types"],
              "num_qubits and supported problem types")

        qubits = connected_qubits(solver, 12, 5)
        rng = random.Random(7)
        h = {q: round(rng.uniform(-0.5, 0.5), 3) for q in qubits}
        J = {(a, b): round(rng.uniform(-0.5, 0.5), 3) for a, b in solver.properties["couplers"]
             if a in h and b in h}
        for mode in ("raw", "histogram"):
            f = solver.sample_ising(h, J, num_reads=500, answer_mode=mode, auto_scale=False)
            samples, energies, occ = f.samples, f.energies, f.num_occurrences
            ok = all(abs(ising_energy(h, J, s) - e) < 1e-9 for s, e in zip(samples, energies))
            check(ok, "sample_ising %s: energies match the problem" % mode)
            check(sum(occ) == 500, "sample_ising %s: num_occurrences sum to num_reads" % mode)
            if mode == "raw":
                check(len(samples) == 500, "sample_ising raw: one row per read")
            else:
                rows = [tuple(s[q] for q in qubits) for s in samples]
                check(len(set(rows)) == len(rows), "sample_ising histogram: unique rows (%d of %d)"
                      % (len(set(rows)), len(rows)))
                check(list(energies) == sorted(energies), "sample_ising histogram: increasing energy")
        Q = {(a, b): v for (a, b), v in J.items()}
        Q.update({(q, q): v for q, v in h.items()})
        for mode in ("raw", "histogram"):
            f = solver.sample_qubo(Q, num_reads=300, answer_mode=mode, auto_scale=False)
            ok = all(set(s[q] for q in qubits) <= {0, 1} for s in f.samples)
            check(ok, "sample_qubo %s: 0/1 samples" % mode)
            ok = all(abs(qubo_energy(Q, s) - e) < 1e-9 for s, e in zip(f.samples, f.energies))
            check(ok, "sample_qubo %s: energies are QUBO energies" % mode)
            check(sum(f.num_occurrences) == 300, "sample_qubo %s: occurrences" % mode)

        # Error classes.
        a, b = next(iter(J))
        try:
            solver.sample_ising(h, {(a, b): -2.5}, auto_scale=False).result()
            check(False, "J outside extended_j_range raises SolverFailureError")
        except dwex.SolverFailureError as e:
            check("extended_j_range" in str(e), "J outside extended_j_range raises SolverFailureError")
        f = solver.sample_ising(h, {(a, b): -1.5}, auto_scale=False, num_reads=5)
        check(len(f.samples) == 5, "J = -1.5 inside extended_j_range is accepted")
        try:
            solver.sample_ising(h, J, annealing_time=5000).result()
            check(False, "annealing_time 5000 raises SolverFailureError")
        except dwex.SolverFailureError as e:
            check("annealing_time_range" in str(e), "annealing_time 5000 raises SolverFailureError")
        try:
            solver.sample_ising(h, J, flux_biases=[0.0] * solver.num_qubits).result()
            check(False, "flux_biases with auto_scale raises SolverFailureError")
        except dwex.SolverFailureError:
            check(True, "flux_biases with auto_scale raises SolverFailureError")
        try:
            solver.sample_ising(h, J, not_a_parameter=1)
            check(False, "unknown parameter raises KeyError")
        except KeyError:
            check(True, "unknown parameter raises KeyError (client side)")
        f = solver.sample_ising(h, J, num_reads=3, readout_thermalization=10,
                                programming_thermalization=500, annealing_time=50)
        check(abs(f.timing["qpu_anneal_time_per_sample"] - 50) < 1e-9,
              "thermalization parameters accepted; annealing_time drives the timing")
        try:
            with Client(endpoint=endpoint, token="wrong-token") as bad:
                bad.get_solvers()
            check(False, "bad token raises SolverAuthenticationError")
        except dwex.SolverAuthenticationError:
            check(True, "bad token raises SolverAuthenticationError")

        # Helpers Ocean users call before sampling.
        check(solver.max_num_reads() == 10000, "max_num_reads() = 10000")
        check(solver.max_num_reads(annealing_time=2000) == 499,
              "max_num_reads(annealing_time=2000) = 499")
        est = solver.estimate_qpu_access_time(num_qubits=len(qubits), num_reads=100)
        f = solver.sample_ising(h, J, num_reads=100)
        got = f.timing["qpu_access_time"]
        check(0.5 < est / got < 2, "estimate_qpu_access_time %.0f us vs reported %.0f us" % (est, got))

        # Boltzmann check: 20000 reads of a 12-qubit problem against exp(-beta E).
        counts, n = {}, 0
        for _ in range(2):
            f = solver.sample_ising(h, J, num_reads=10000, auto_scale=False)  # histogram default
            for s, k in zip(f.samples, f.num_occurrences):
                key = tuple(s[q] for q in qubits)
                counts[key] = counts.get(key, 0) + k
                n += k
        states = [tuple(1 if (i >> j) & 1 else -1 for j in range(len(qubits)))
                  for i in range(1 << len(qubits))]
        energy = {st: ising_energy(h, J, dict(zip(qubits, st))) for st in states}

        def probs(beta):
            w = {st: math.exp(-beta * (e - min(energy.values()))) for st, e in energy.items()}
            z = sum(w.values())
            return {st: v / z for st, v in w.items()}

        p = probs(BETA)
        chi2, dof, pooled_o, pooled_e = 0.0, -1, 0.0, 0.0
        for st in states:
            exp_n, obs = n * p[st], counts.get(st, 0)
            if exp_n >= 5:
                chi2 += (obs - exp_n) ** 2 / exp_n
                dof += 1
            else:
                pooled_o, pooled_e = pooled_o + obs, pooled_e + exp_n
        if pooled_e > 0:
            chi2 += (pooled_o - pooled_e) ** 2 / pooled_e
            dof += 1
        pvalue = gammaincc(dof / 2, chi2 / 2)
        mean_e = sum(energy[st] * k for st, k in counts.items()) / n
        lo, hi = 0.5, 10.0
        for _ in range(60):  # <E>_beta decreases with beta
            mid = (lo + hi) / 2
            pm = probs(mid)
            if sum(pm[st] * energy[st] for st in states) > mean_e:
                lo = mid
            else:
                hi = mid
        beta_fit = (lo + hi) / 2
        pf = probs(beta_fit)
        var = sum(pf[st] * energy[st] ** 2 for st in states) - sum(pf[st] * energy[st] for st in states) ** 2
        sigma = 1 / math.sqrt(n * var)
        print("Boltzmann: %d reads, chi2 = %.1f on %d dof, p = %.3f; fitted beta = %.3f +- %.3f "
              "(hidden %.1f)" % (n, chi2, dof, pvalue, beta_fit, sigma, BETA))
        check(pvalue > 0.001, "Boltzmann chi-square p = %.3f > 0.001" % pvalue)
        check(abs(beta_fit - BETA) < 4 * sigma, "fitted beta within 4 sigma of the hidden beta")

        # Problem resources through Ocean's typed API (checks media types and models).
        from dwave.cloud import api
        f = solver.sample_ising(h, J, num_reads=4, label="peer-info")
        f.result()
        with api.Problems(endpoint=endpoint, token=TOKEN) as problems:
            listed = problems.list_problems(label="peer-info")
            check(len(listed) == 1 and listed[0].id == f.id, "list_problems(label=...) finds it")
            info = problems.get_problem_info(f.id)
            check(info.params["num_reads"] == 4 and info.metadata.label == "peer-info"
                  and info.answer is not None, "get_problem_info: params, metadata, answer")
            check(problems.get_problem_messages(f.id) == [], "get_problem_messages: empty list")

    # Region resolution as Ocean does it, against the stand-in's Metadata API.
    root = endpoint[: -len("/sapi/v2/")]
    with Client(region="eu-central-1", metadata_api_endpoint=root + "/metadata/v1/",
                token=TOKEN) as client:
        check(client.config.endpoint == root + "/eu-central-1/sapi/v2/",
              "region eu-central-1 resolves to %s" % client.config.endpoint)
        check(len(client.get_solvers()) == 1, "the resolved regional endpoint serves solvers")

    # Cancel: a problem queued for 30 s is cancelled through DELETE problems/ (a JSON list).
    with Client(endpoint=queued_endpoint, token=TOKEN) as client:
        solver = client.get_solver()
        q = next(iter(solver.nodes))
        f = solver.sample_ising({q: 0.5}, {}, num_reads=2)
        time.sleep(0.5)
        f.cancel()
        t0 = time.time()
        try:
            f.result()
            check(False, "cancelled problem raises CanceledFutureError")
        except dwex.CanceledFutureError:
            check(time.time() - t0 < 20, "Future.cancel() -> CanceledFutureError (%.1f s)" % (time.time() - t0))
        from dwave.cloud import api
        g = solver.sample_ising({q: 0.5}, {}, num_reads=2)
        gid = g.wait_id(timeout=20)  # submission is asynchronous
        with api.Problems(endpoint=queued_endpoint, token=TOKEN) as problems:
            out = problems.cancel_problems([gid])
            check(len(out) == 1 and getattr(out[0], "status", None) == "CANCELLED",
                  "cancel_problems([id]) -> CANCELLED")
            again = problems.cancel_problems([gid])
            check(len(again) == 1 and getattr(again[0], "error_code", None) == 409,
                  "cancel_problems on a finished problem -> 409 item")


if __name__ == "__main__":
    sys.exit(main())
