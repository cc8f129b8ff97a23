#!/usr/bin/python3
"""Runs the Alertmanager routing cases of alertmanager/tests/routes.txt with
`amtool config routes test --verify.receivers=...`, and checks that every
route of alertmanager/alertmanager.yml is exercised by at least one case.

Usage: run_routes.py [--config alertmanager.yml] [--cases routes.txt]
Environment: DEPIN_SOURCE_DIR (repository root), DEPIN_AMTOOL_BIN (default
/usr/bin/amtool). Exit code 0 when every case passes.
"""

import argparse
import os
import re
import shlex
import subprocess
import sys

import yaml

SOURCE_DIR = os.environ.get("DEPIN_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
AMTOOL = os.environ.get("DEPIN_AMTOOL_BIN", "/usr/bin/amtool")


def read_cases(path):
    cases = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = shlex.split(line)
            receivers, labels = words[0], words[1:]
            for l in labels:
                if not re.match(r"^[a-zA-Z_][a-zA-Z0-9_]*=", l):
                    raise SystemExit("%s:%d: not a label=value pair: %r" % (path, n, l))
            cases.append((n, receivers.split(","), labels))
    return cases


def tree_paths(text):
    """Paths (tuples of node labels) of every node of an amtool routing tree."""
    paths = set()
    stack = []
    for line in text.splitlines():
        # Each level is 4 characters: "│" or a space, then spaces or no-break spaces.
        m = re.match(r"^((?:[\u2502 ][\u00a0 ]{3}|[\u251c\u2514]\u2500\u2500 )*)(\S.*)$", line)
        if not m or line.strip() in (".", "") or line.startswith(("Routing tree", "Matching routes")):
            continue
        depth = len(m.group(1)) // 4
        label = re.split(r"\s{2,}", m.group(2).strip())[0]
        stack = stack[:max(depth - 1, 0)] + [label]
        paths.add(tuple(stack))
    return paths


def amtool(args):
    res = subprocess.run([AMTOOL] + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         text=True, timeout=60)
    out = "\n".join(l for l in res.stdout.splitlines()
                    if not l.startswith("Warning: --config.file"))
    return res.returncode, out


def route_receivers(route, inherited=None):
    """Every receiver a route of the tree names (children inherit the parent's)."""
    receiver = route.get("receiver", inherited)
    out = {receiver}
    for child in route.get("routes", []) or []:
        out |= route_receivers(child, receiver)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default=os.path.join(SOURCE_DIR, "alertmanager", "alertmanager.yml"))
    ap.add_argument("--cases", default=os.path.join(SOURCE_DIR, "alertmanager", "tests", "routes.txt"))
    args = ap.parse_args()

    cases = read_cases(args.cases)
    failures = 0
    seen = set()
    hit_paths = set()
    for n, expected, labels in cases:
        rc, out = amtool(["config", "routes", "test", "--config.file=" + args.config,
                          "--verify.receivers=" + ",".join(expected)] + labels)
        got = out.strip().splitlines()[0] if out.strip() else ""
        ok = rc == 0
        _, tree = amtool(["config", "routes", "test", "--tree", "--config.file=" + args.config]
                         + labels)
        hit_paths |= tree_paths(tree)
        print("%s line %d: %s -> %s%s" % ("ok  " if ok else "FAIL", n, " ".join(labels), got,
                                          "" if ok else " (expected %s)" % ",".join(expected)))
        if not ok:
            failures += 1
            print(out)
        seen.update(expected)

    with open(args.config) as f:
        config = yaml.safe_load(f)
    defined = {r["name"] for r in config.get("receivers", [])}
    routed = route_receivers(config["route"])
    unused = sorted(defined - routed)
    untested = sorted(routed - seen)
    rc, full = amtool(["config", "routes", "show", "--config.file=" + args.config])
    all_paths = tree_paths(full)
    if rc != 0 or not all_paths:
        print("FAIL: amtool config routes show:\n" + full)
        failures += 1
    print(full)
    missed = sorted(all_paths - hit_paths)
    for path in missed:
        print("FAIL: no case reaches route %s" % " > ".join(path))
        failures += 1
    if unused:
        print("FAIL: receivers defined but never routed to: %s" % unused)
        failures += 1
    if untested:
        print("FAIL: routes to these receivers have no case in %s: %s" % (args.cases, untested))
        failures += 1
    print("%d cases, %d routes, %d receivers: %d failures" % (
        len(cases), len(all_paths), len(routed), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
