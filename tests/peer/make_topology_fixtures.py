#!/usr/bin/env python3
"""Writes tests/data/topology/<family>_<shape>.txt from dwave-networkx (pip install dwave-networkx).
Format: line 1 "nodes N", then N node indices on one line, then "edges E", then E lines "a b" (a<b, sorted)."""
import os
import dwave_networkx as dnx

OUT = os.path.join(os.path.dirname(__file__), "..", "data", "topology")
os.makedirs(OUT, exist_ok=True)
graphs = {
    "zephyr_1_2": dnx.zephyr_graph(1, 2), "zephyr_2_4": dnx.zephyr_graph(2, 4),
    "zephyr_3_2": dnx.zephyr_graph(3, 2), "zephyr_6_4": dnx.zephyr_graph(6, 4),
    "pegasus_2": dnx.pegasus_graph(2), "pegasus_3": dnx.pegasus_graph(3), "pegasus_6": dnx.pegasus_graph(6),
    "chimera_2_3_4": dnx.chimera_graph(2, 3, 4), "chimera_4_4_4": dnx.chimera_graph(4, 4, 4),
}
for name, g in graphs.items():
    nodes = sorted(g.nodes())
    edges = sorted((min(a, b), max(a, b)) for a, b in g.edges())
    with open(os.path.join(OUT, name + ".txt"), "w") as f:
        f.write(f"nodes {len(nodes)}\n" + " ".join(map(str, nodes)) + "\n")
        f.write(f"edges {len(edges)}\n")
        f.writelines(f"{a} {b}\n" for a, b in edges)
    print(name, len(nodes), len(edges))
