#!/usr/bin/python3
"""Validates docs/scenario.schema.json against the scenario corpus.

usage: scenario_schema_test.py REPO_ROOT

Checks, one line each:
  * the schema itself is a valid draft 2020-12 schema;
  * every REPO_ROOT/scenarios/*.json is accepted by the schema (duplicate keys
    and NaN/Infinity are rejected as the loader rejects them);
  * a minimal valid scenario is accepted and a set of deliberately bad ones
    (unknown key, bad op name, bad flag, bad variant, ...) are rejected.
Ends with "N passed, M failed"; exits 1 if anything failed, 2 on bad usage.
Needs only the standard library and jsonschema (Debian python3-jsonschema).
"""

import copy
import glob
import json
import os
import sys

import jsonschema


class LoadError(Exception):
    pass


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise LoadError('duplicate key "%s"' % key)
        obj[key] = value
    return obj


def _no_constant(name):
    raise LoadError("%s is not JSON" % name)


def load_json(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def pointer(path):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def first_error(validator, doc):
    errors = list(validator.iter_errors(doc))
    if not errors:
        return None
    e = jsonschema.exceptions.best_match(errors)
    return "%s: %s" % (pointer(e.absolute_path), e.message[:300])


BASE = {
    "name": "schema-test-base",
    "variants": ["lookup-create", "atomic-create"],
    "mounts": [{"name": "m0", "negative_timeout_ms": 0}],
    "server": {"tree": ["/d/"], "errors": [{"opcode": "CREATE", "errno": "EIO", "times": 1}]},
    "threads": [
        {"name": "t1", "ops": [
            {"op": "open", "path": "/d/f", "flags": "O_CREAT|O_WRONLY", "mode": "0644", "fd": "a"},
            {"op": "close", "fd": "a"},
        ]},
        {"name": "remote", "server_side": True, "ops": [
            {"op": "create", "path": "/d/g", "after": "t1.0"},
        ]},
    ],
    "schedule": {"mode": "replay", "steps": ["t1", "t1"]},
    "expect": {
        "lookup-create": {"requests": {"CREATE": 1}, "results": {"t1.0": {"any_of": ["EIO", "ok+created"]}}},
        "all": {"invariants": "hold", "deadlock": False,
                "requests_per_op": {"t1.0": {"any_of": [["LOOKUP", "CREATE"], ["CREATE"]]}, "t1.1": ["FLUSH", "FORGET*"]}},
    },
}


def mutate(fn):
    doc = copy.deepcopy(BASE)
    fn(doc)
    return doc


def t1op(doc):
    return doc["threads"][0]["ops"][0]


# (name, document) pairs the schema must reject.
BAD = [
    ("unknown top-level key", mutate(lambda d: d.update(bogus=1))),
    ("unknown op key", mutate(lambda d: t1op(d).update(to="/x"))),
    ("bad op name", mutate(lambda d: t1op(d).update(op="opne"))),
    ("kernel op on a server-side thread", mutate(lambda d: d["threads"][1]["ops"][0].update(op="open"))),
    ("mount on a server-side thread", mutate(lambda d: d["threads"][1].update(mount="m0"))),
    ("bad flag", mutate(lambda d: t1op(d).update(flags="O_CREAT|O_SYNC"))),
    ("two access modes", mutate(lambda d: t1op(d).update(flags="O_RDONLY|O_WRONLY"))),
    ("empty flags", mutate(lambda d: t1op(d).update(flags=""))),
    ("bad variant", mutate(lambda d: d.update(variants=["lookup-create", "mainline"]))),
    ("bad expect key", mutate(lambda d: d["expect"].update(mainline={}))),
    ("relative path", mutate(lambda d: t1op(d).update(path="d/f"))),
    ("server-side path with ..", mutate(lambda d: d["threads"][1]["ops"][0].update(path="/d/../f"))),
    ("tree path with .", mutate(lambda d: d["server"].update(tree=["/d/./e"]))),
    ("path with //", mutate(lambda d: t1op(d).update(path="/d//f"))),
    ("symlink without target", mutate(lambda d: d["threads"][0]["ops"].append({"op": "symlink", "path": "/d/l"}))),
    ("symlink with empty target",
     mutate(lambda d: d["threads"][0]["ops"].append({"op": "symlink", "target": "", "path": "/d/l"}))),
    ("readlink with to", mutate(lambda d: d["threads"][0]["ops"].append({"op": "readlink", "path": "/d/l", "to": "/x"}))),
    ("link without to", mutate(lambda d: d["threads"][0]["ops"].append({"op": "link", "path": "/d/f"}))),
    ("chmod without mode", mutate(lambda d: d["threads"][0]["ops"].append({"op": "chmod", "path": "/d/f"}))),
    ("truncate with negative size",
     mutate(lambda d: d["threads"][0]["ops"].append({"op": "truncate", "path": "/d/f", "size": -1}))),
    ("nofollow not boolean", mutate(lambda d: d["threads"][0]["ops"].append({"op": "stat", "path": "/d/f", "nofollow": 1}))),
    ("readlink on a server-side thread",
     mutate(lambda d: d["threads"][1]["ops"].append({"op": "readlink", "path": "/d/l"}))),
    ("cache_symlinks not boolean", mutate(lambda d: d["mounts"][0].update(cache_symlinks="yes"))),
    ("relative path without at", mutate(lambda d: t1op(d).update(path="d/f"))),
    ("at with an empty label", mutate(lambda d: t1op(d).update(at=""))),
    ("notify without mount", mutate(lambda d: d["threads"][1]["ops"].append({"op": "notify_inval_entry", "path": "/d/g"}))),
    ("notify_inc_epoch with a path",
     mutate(lambda d: d["threads"][1]["ops"].append({"op": "notify_inc_epoch", "mount": "m0", "path": "/d"}))),
    ("notify on a kernel thread", mutate(lambda d: d["threads"][0]["ops"].append({"op": "notify_inc_epoch", "mount": "m0"}))),
    ("bad readdirplus", mutate(lambda d: d["mounts"][0].update(readdirplus=True))),
    ("readdir with flags", mutate(lambda d: d["threads"][0]["ops"].append({"op": "readdir", "path": "/d", "flags": "O_RDONLY"}))),
    ("bad mode", mutate(lambda d: t1op(d).update(mode="0999"))),
    ("bad schedule key", mutate(lambda d: d.update(schedule={"mode": "sequential", "seed": 1}))),
    ("bad schedule mode", mutate(lambda d: d.update(schedule={"mode": "dpor"}))),
    ("bad result", mutate(lambda d: d["expect"]["all"].update(results={"t1.1": "okay"}))),
    ("bad opcode in requests", mutate(lambda d: d["expect"]["all"].update(requests={"LOOKUPP": 1}))),
    ("bad opcode in requests_per_op",
     mutate(lambda d: d["expect"]["all"].update(requests_per_op={"t1.0": ["LOOKUP", "FORGET+"]}))),
    ("requests_per_op as counts", mutate(lambda d: d["expect"]["all"].update(requests_per_op={"t1.0": {"LOOKUP": 1}}))),
    ("bad invariant", mutate(lambda d: d["expect"]["all"].update(violations=["o_excl"]))),
    ("hold with violations", mutate(lambda d: d["expect"]["all"].update(violations=["o-excl"]))),
    ("FORGET unsupported", mutate(lambda d: d["server"].update(unsupported=["FORGET"]))),
    ("bad errno", mutate(lambda d: d["server"]["errors"][0].update(errno="EWHAT"))),
    ("negative timeout", mutate(lambda d: d["mounts"][0].update(entry_timeout_ms=-1))),
    ("missing threads", mutate(lambda d: d.pop("threads"))),
    ("threads and a workload", mutate(lambda d: d.update(workload={"kind": "archive"}))),
    ("workload without kind", mutate(lambda d: (d.pop("threads"), d.update(workload={"files": 10})))),
    ("unknown workload kind", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "untar"})))),
    ("unknown workload key", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "archive", "file": 1})))),
    ("workload existing above 1", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "rebuild", "existing": 1.5})))),
    ("workload files 0", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "storm", "files": 0})))),
    ("a knob of another kind", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "tar", "headers": 3})))),
    ("an old knob on a new kind", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "mdtest", "depth": 2})))),
    ("workload symlinks above 1", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "cp-a", "symlinks": 2})))),
    ("workload stat not a boolean", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "mdtest", "stat": 1})))),
    ("workload include_dirs 0", mutate(lambda d: (d.pop("threads"), d.update(workload={"kind": "include-search", "include_dirs": 0})))),
]


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s REPO_ROOT\n" % argv[0])
        return 2
    root = argv[1]
    schema_path = os.path.join(root, "docs", "scenario.schema.json")
    passed = failed = 0

    def report(ok, what, why=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("PASS %s" % what)
        else:
            failed += 1
            print("FAIL %s%s" % (what, ": " + why if why else ""))

    try:
        schema = load_json(schema_path)
        jsonschema.Draft202012Validator.check_schema(schema)
    except (OSError, ValueError, LoadError, jsonschema.exceptions.SchemaError) as e:
        report(False, "docs/scenario.schema.json", str(e).splitlines()[0])
        print("%d passed, %d failed" % (passed, failed))
        return 1
    report(True, "docs/scenario.schema.json (valid draft 2020-12 schema)")
    validator = jsonschema.Draft202012Validator(schema)

    bundled = glob.glob(os.path.join(root, "scenarios", "*.json")) + glob.glob(os.path.join(root, "workloads", "*.json"))
    for path in sorted(bundled):
        rel = os.path.relpath(path, root)
        try:
            doc = load_json(path)
        except (OSError, ValueError, LoadError) as e:
            report(False, rel, "not loadable: %s" % e)
            continue
        err = first_error(validator, doc)
        report(err is None, rel, err or "")

    err = first_error(validator, BASE)
    report(err is None, "valid: minimal scenario", err or "")
    workload = {"name": "w", "workload": {"kind": "rebuild", "files": 10, "dirs": 2, "threads": 2, "depth": 1,
                                          "existing": 0.5, "seed": 7}}
    err = first_error(validator, workload)
    report(err is None, "valid: workload with every key", err or "")
    for knobs in ({"kind": "git-checkout", "files": 10, "dirs": 2, "symlinks": 0.1, "executable": 0.1, "existing": 0.5, "seed": 3},
                  {"kind": "tar", "files": 10, "dirs": 2, "links": 0.1, "symlinks": 0.1, "seed": 3},
                  {"kind": "cp-a", "files": 10, "dirs": 2, "symlinks": 0.1, "seed": 3},
                  {"kind": "ls-create", "files": 10, "creates": 2},
                  {"kind": "include-search", "headers": 3, "include_dirs": 2, "units": 2, "threads": 2, "seed": 3},
                  {"kind": "mdtest", "files": 10, "threads": 2, "stat": False, "remove": True}):
        err = first_error(validator, {"name": "w", "workload": knobs})
        report(err is None, "valid: %s with every key" % knobs["kind"], err or "")
    for name, doc in BAD:
        err = first_error(validator, doc)
        report(err is not None, "rejects: %s" % name, "" if err else "the schema accepted it")

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
