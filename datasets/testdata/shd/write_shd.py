#!/usr/bin/python3
"""Writes a file in the layout of the Heidelberg spiking datasets (SHD, SSC)
with h5py, for datasets/shd_test.go, and prints what h5py reads back from it
as JSON (times as stored, so float16 rounding is included).

stdin: a JSON list of {"path", "times_dtype" ("float16"|"float32"|"float64"),
"chunked" (bool), "omit" (a dataset path to leave out, or ""),
"times": [[...], ...], "units": [[...], ...], "labels": [...],
"speakers": [...], "keys": [...]}; stdout: a JSON list, one entry per file.

Layout (the publisher's description, zenkelab.org):
  spikes/times  vlen float, seconds    spikes/units  vlen uint16
  labels        uint16                 extra/speaker uint16
  extra/keys    strings                extra/meta_info/{gender,age,body_height}
"""
import json
import sys

import h5py
import numpy as np

def write(spec):
    if "random" in spec:
        # {"n", "max_spikes", "seed"}: samples of uniform(0, max_spikes) spikes,
        # sorted times uniform in [0, 1.2) s, units uniform in 0..699 (benchmarks).
        r = spec["random"]
        rng = np.random.default_rng(r["seed"])
        counts = rng.integers(0, r["max_spikes"] + 1, r["n"])
        spec["times"] = [np.sort(rng.random(k) * 1.2) for k in counts]
        spec["units"] = [rng.integers(0, 700, k) for k in counts]
        spec["labels"] = [i % 20 for i in range(r["n"])]
        spec["speakers"] = [i % 3 for i in range(r["n"])]
        spec["keys"] = ["k%d" % i for i in range(20)]
    n = len(spec["labels"])
    kw = {"chunks": True} if spec["chunked"] else {}
    with h5py.File(spec["path"], "w") as f:
        sp = f.create_group("spikes")
        if spec["omit"] != "spikes/times":
            t = sp.create_dataset("times", (n,), dtype=h5py.vlen_dtype(np.dtype(spec["times_dtype"])), **kw)
            for i, v in enumerate(spec["times"]):
                t[i] = np.asarray(v, dtype=spec["times_dtype"])
        u = sp.create_dataset("units", (n,), dtype=h5py.vlen_dtype(np.dtype("uint16")), **kw)
        for i, v in enumerate(spec["units"]):
            u[i] = np.asarray(v, dtype="uint16")
        f.create_dataset("labels", data=np.asarray(spec["labels"], dtype="uint16"))
        ex = f.create_group("extra")
        ex.create_dataset("speaker", data=np.asarray(spec["speakers"], dtype="uint16"))
        ex.create_dataset("keys", data=np.asarray([k.encode() for k in spec["keys"]]))
        mi = ex.create_group("meta_info")
        mi.create_dataset("gender", data=np.asarray([b"female", b"male"]))
        mi.create_dataset("age", data=np.asarray([30, 41], dtype="uint16"))
        mi.create_dataset("body_height", data=np.asarray([170, 182], dtype="uint16"))

    out = {}
    if "random" in spec:
        return out
    with h5py.File(spec["path"], "r") as f:
        if "times" in f["spikes"]:
            out["times"] = [[float(x) for x in f["spikes/times"][i]] for i in range(n)]
        out["units"] = [[int(x) for x in f["spikes/units"][i]] for i in range(n)]
        out["labels"] = [int(x) for x in f["labels"][:]]
        out["speakers"] = [int(x) for x in f["extra/speaker"][:]]
        out["keys"] = [k.decode() for k in f["extra/keys"][:]]
    return out


json.dump([write(spec) for spec in json.load(sys.stdin)], sys.stdout)
