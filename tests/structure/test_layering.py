#!/usr/bin/env python3
"""The layering of daemon/agent and client/lib (docs/design.md, "Layers").

Two rules, checked from the source text alone (no build needed):

  1. A header declares only what its own module defines. A module is a .c
     file and its header (foo.c + foo.h), or a small family sharing one
     header by name (transport_tcp.c and transport_serial.c with
     transport.h). A header no .c owns (agent_types.h) declares no
     functions at all: it holds the shared types. So a catch-all header
     declaring every file's calls fails here, and each #include says which
     module a file really depends on.
  2. The modules of a folder, joined by their #include "..." lines, form no
     cycle: every dependency points one way, down the layers.

Usage: test_layering.py <repo root> [folder ...]   (exit 0: layered)
"""
import os
import re
import sys

DEFAULT_FOLDERS = ["daemon/agent", "client/lib"]

# A folder's public API header is an interface, like include/gcmon/*.h: it
# declares the calls of several files for users outside the folder, and
# the files inside include it for its types. It is not a module.
PUBLIC_HEADERS = {"daemon/agent/agent.h"}

# Small modules whose files have headers of their own but are one piece:
# the client codec (codec_insight.h is private to codec.c and
# codec_insight.c, which share the protobuf-c types), and the link kinds
# (transport.c picks tcp, serial or the raw REPL; each uses its shared
# byte stream).
FAMILIES = {
    "client/lib": {"codec_insight": "codec", "repl": "transport"},
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def strip_blocks(text):
    """Drop every {...} (function bodies, struct members, initialisers)."""
    out, depth = [], 0
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            out.append(ch)
    return "".join(out)


def declared_functions(header_text):
    text = strip_comments(header_text)
    text = "\n".join(l for l in text.splitlines() if not l.lstrip().startswith("#"))
    return set(re.findall(r"\b(gcmon_\w+)\s*\(", strip_blocks(text)))


def defined_functions(text):
    text = strip_comments(text)
    # At the start of a line (a return type), not indented: calls are.
    return set(re.findall(r"^[A-Za-z_][^\n;(){}=]*\b(gcmon_\w+)\s*\([^;{}]*\)\s*\{",
                          text, re.M))


def module_of(name, headers):
    """foo.c/foo.h -> foo; a .c with no header of its own joins the header
    of its longest '_' prefix (transport_tcp.c -> transport)."""
    stem = name.rsplit(".", 1)[0]
    if name.endswith(".h") or stem + ".h" in headers:
        return stem
    parts = stem.split("_")
    for n in range(len(parts) - 1, 0, -1):
        prefix = "_".join(parts[:n])
        if prefix + ".h" in headers:
            return prefix
    return stem


def find_cycle(graph):
    """One cycle as a list of nodes, or None (iterative DFS, three colours)."""
    colour = {n: 0 for n in graph}
    for root in sorted(graph):
        if colour[root]:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        path = [root]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
                path.pop()
            elif colour.get(nxt, 2) == 1:
                return path[path.index(nxt):] + [nxt]
            elif colour.get(nxt) == 0:
                colour[nxt] = 1
                path.append(nxt)
                stack.append((nxt, iter(sorted(graph[nxt]))))
    return None


def check_folder(root, folder):
    problems = []
    names = sorted(n for n in os.listdir(os.path.join(root, folder))
                   if n.endswith((".c", ".h")))
    headers = {n for n in names
               if n.endswith(".h") and f"{folder}/{n}" not in PUBLIC_HEADERS}
    files = [n for n in names if f"{folder}/{n}" not in PUBLIC_HEADERS]
    text = {n: open(os.path.join(root, folder, n), encoding="utf-8").read()
            for n in files}
    family = FAMILIES.get(folder, {})
    module = {n: family.get(m, m)
              for n, m in ((n, module_of(n, headers)) for n in files)}

    # Rule 1: each header declares its own module's functions only.
    definer = {}
    for n in files:
        for fn in defined_functions(text[n]):
            definer.setdefault(fn, set()).add(module[n])
    for h in sorted(headers):
        owners = {n for n in files if n.endswith(".c") and module[n] == module[h]}
        for fn in sorted(declared_functions(text[h])):
            where = definer.get(fn)
            if not where or module[h] in where:
                continue
            if not owners:
                problems.append(f"{folder}/{h}: a types header declares {fn}() "
                                f"({', '.join(sorted(where))}); declare it in its "
                                f"own module's header")
            else:
                problems.append(f"{folder}/{h} declares {fn}(), which module "
                                f"{', '.join(sorted(where))} defines")

    # Rule 2: no include cycle between modules.
    graph = {m: set() for m in module.values()}
    for n in files:
        for inc in INCLUDE.findall(text[n]):
            if inc in headers and module[inc] != module[n]:
                graph[module[n]].add(module[inc])
    cycle = find_cycle(graph)
    if cycle:
        problems.append(f"{folder}: modules include each other in a circle: "
                        + " -> ".join(cycle))
    return problems, graph


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..")
    folders = sys.argv[2:] or DEFAULT_FOLDERS
    problems = []
    for folder in folders:
        p, graph = check_folder(root, folder)
        problems += p
        if not p:
            print(f"{folder}: {len(graph)} modules, "
                  f"{sum(len(v) for v in graph.values())} dependencies, no cycle")
    for p in problems:
        print("FAIL", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
