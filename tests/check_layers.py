#!/usr/bin/env python3
"""The layering check: every #include "..." of the project points down the layers, never up or sideways.

Layers, bottom to top (docs/architecture.md draws them):
  messages/  core/  client/  config/  actors/  bridges/  daemon/  cli/
A file may include its own layer and the layers below it. Within core/, actors/ and bridges/ each subfolder is a
domain: domains may use each other, but the graph of those uses has no cycle (a cycle means two domains are
one, or a piece sits in the wrong one). Between the bridges there is no use at all: what two bridges share
belongs lower. Below actors/, nothing includes the actor runtime (<caf/...>): messages/ is the one exception,
as the bus vocabulary (messages/caf_types.hpp registers its types with CAF).

Run from anywhere: python3 tests/check_layers.py [REPO]. Exit 0 and one line when the tree keeps the rule;
exit 1 and one line per offence (file:line, what it includes, why that is not allowed) otherwise.
"""
import os
import re
import sys

LAYERS = ["messages", "core", "client", "config", "actors", "bridges", "daemon", "cli"]
RANK = {name: i for i, name in enumerate(LAYERS)}
DOMAIN_LAYERS = {"core", "actors", "bridges"}  # layers whose subfolders are domains
NO_SIDEWAYS = {"bridges"}                       # layers whose domains may not use each other
RUNTIME_FREE = {"core", "client", "config"}     # layers that may not include <caf/...>
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def unit(path):
    """(layer, domain) of a repository-relative path; domain is '' for layers without domains."""
    parts = path.split("/")
    layer = parts[0]
    domain = parts[1] if layer in DOMAIN_LAYERS and len(parts) > 2 else ""
    return layer, domain


def find_cycle(edges):
    """One cycle of the directed graph {node: {node: where}} as a list of nodes, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, {})):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    offences = []
    domain_edges = {}  # "layer/domain" -> {"layer/domain": "file:line"}
    checked = 0
    for layer in LAYERS:
        for dirpath, _, files in os.walk(os.path.join(root, layer)):
            for name in sorted(files):
                if not name.endswith((".hpp", ".cpp", ".h")):
                    continue
                path = os.path.relpath(os.path.join(dirpath, name), root)
                checked += 1
                src_layer, src_domain = unit(path)
                with open(os.path.join(root, path), encoding="utf-8") as f:
                    for number, line in enumerate(f, 1):
                        m = INCLUDE.match(line)
                        if not m:
                            continue
                        where = f"{path}:{number}"
                        kind, target = m.groups()
                        if kind == "<":
                            if target.startswith("caf/") and src_layer in RUNTIME_FREE:
                                offences.append(f"{where}: includes <{target}>, but {src_layer}/ is runtime-free "
                                                f"(the actor runtime is for actors/ and above)")
                            continue
                        dst_layer, dst_domain = unit(target)
                        if dst_layer not in RANK:
                            offences.append(f"{where}: includes \"{target}\", which is in no layer "
                                            f"(includes are written from the repository root)")
                            continue
                        if RANK[dst_layer] > RANK[src_layer]:
                            offences.append(f"{where}: includes \"{target}\": {src_layer}/ may not include "
                                            f"{dst_layer}/, a layer above it")
                        elif dst_layer == src_layer and src_domain and dst_domain and src_domain != dst_domain:
                            if src_layer in NO_SIDEWAYS:
                                offences.append(f"{where}: includes \"{target}\": one bridge may not use another "
                                                f"(move what they share down)")
                            else:
                                a, b = f"{src_layer}/{src_domain}", f"{dst_layer}/{dst_domain}"
                                domain_edges.setdefault(a, {}).setdefault(b, where)
    cycle = find_cycle(domain_edges)
    if cycle:
        steps = [f"{a} -> {b} ({domain_edges[a][b]})" for a, b in zip(cycle, cycle[1:])]
        offences.append("a cycle between domains: " + "; ".join(steps))
    if offences:
        print("\n".join(offences))
        print(f"check_layers: {len(offences)} offence(s) in {checked} files", file=sys.stderr)
        return 1
    print(f"check_layers: {checked} files, every include points down")
    return 0


if __name__ == "__main__":
    sys.exit(main())
