#!/usr/bin/env python3
"""Connected components of the identity benchmark's edge list, timed, as one JSON line.

`tessera-bench identity LINKS NODES FILE` writes its random links to FILE as little-endian int32
pairs; this script reads the same file and times connected components with python-igraph and, up to
--networkx-max-edges, networkx, so that the graph's profile count and speed have a reference measured
in the same run. Components are counted over the vertices that appear in at least one link, as the
identity graph only knows identities it has seen.

Usage: components.py FILE [--nodes N] [--networkx-max-edges M]
"""

import argparse
import json
import sys
import time

import numpy as np


def load(path):
    started = time.perf_counter()
    pairs = np.fromfile(path, dtype="<i4").reshape(-1, 2)
    return pairs, time.perf_counter() - started


def with_igraph(pairs, nodes, untouched):
    import igraph

    started = time.perf_counter()
    graph = igraph.Graph(n=nodes, edges=pairs, directed=False)
    built = time.perf_counter()
    components = graph.connected_components(mode="weak")
    finished = time.perf_counter()
    return {
        "igraph_version": igraph.__version__,
        "igraph_build_seconds": built - started,
        "igraph_components_seconds": finished - built,
        "igraph_links_per_s": len(pairs) / (finished - started),
        "igraph_components_only_links_per_s": len(pairs) / (finished - built),
        "igraph_components": len(components) - untouched,
    }


def with_networkx(pairs):
    import networkx

    edges = pairs.tolist()
    started = time.perf_counter()
    graph = networkx.Graph()
    graph.add_edges_from(edges)
    built = time.perf_counter()
    count = networkx.number_connected_components(graph)
    finished = time.perf_counter()
    return {
        "networkx_version": networkx.__version__,
        "networkx_build_seconds": built - started,
        "networkx_components_seconds": finished - built,
        "networkx_links_per_s": len(pairs) / (finished - started),
        "networkx_components": count,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("edges", help="the edge list written by tessera-bench identity")
    parser.add_argument("--nodes", type=int, help="vertex count (default: largest id + 1)")
    parser.add_argument("--networkx-max-edges", type=int, default=2_000_000,
                        help="skip networkx above this many edges (it needs about 1 KB per edge)")
    arguments = parser.parse_args()

    pairs, load_seconds = load(arguments.edges)
    nodes = arguments.nodes or int(pairs.max()) + 1
    touched = np.zeros(nodes, dtype=bool)
    touched[pairs.ravel()] = True
    untouched = nodes - int(touched.sum())
    result = {"edges": len(pairs), "nodes": nodes, "touched_nodes": nodes - untouched, "load_seconds": load_seconds}
    try:
        result.update(with_igraph(pairs, nodes, untouched))
    except ImportError:
        result["igraph"] = "not installed (pip install igraph)"
    if len(pairs) <= arguments.networkx_max_edges:
        try:
            result.update(with_networkx(pairs))
        except ImportError:
            result["networkx"] = "not installed (pip install networkx)"
    else:
        result["networkx"] = "skipped above --networkx-max-edges"
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
