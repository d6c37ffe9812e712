#!/usr/bin/env python3
"""A straightforward numpy/scipy implementation of the window features of
/work/shared/FEATURES.md, independent of the TypeScript engine. Used twice:

  * test/fixtures/features/make_reference.py imports `compute_features` to
    write the reference rows the engine's tests compare against;
  * bench/features.ts runs this file as a subprocess on the same records to
    compare speed:  python3 bench/features_reference.py INPUT.json [--no-dip]
    prints one JSON line {"rows": N, "load_s": .., "compute_s": .., "checksum": ..}.

Input (JSON; timestamps are decimal strings, exact beyond 2^53):
  {"symbol", "date", "session_open": "09:30", "session_close": "16:00",
   "windows": ["1m", ...], "contract_size", "include_corrections",
   "exclude_conditions_high_low", "exclude_conditions_open_close", "exclude_conditions_volume",
   "stocks":  {"t": [...], "seq": [...], "price": [...], "size": [...], "conditions": [[...]], "correction": [...]},
   "options": {"t": [...], "seq": [...], "right": "CP..." (string), "strike", "price", "size",
               "eligible": [0/1], "S": [number|null], "flag": [...], "dadvv": [number|null], "gadvv": [...]}}

Everything is recomputed here from those records: the session (zoneinfo),
the window grid, the condition rules, intrinsic values, and every statistic.
dip_pval comes from R's diptest::dip.test (one Rscript call for all sets),
or is None when R/diptest is missing or --no-dip is given.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
from scipy import stats as sps

NY = ZoneInfo("America/New_York")
GRID_POINTS = 512
MODE_TIE_RELATIVE = 1e-9
BASE = ["total", "minimum", "maximum", "mean", "stddev", "skew", "kurtosis", "iqr", "mad", "cv", "mode", "bc", "dip_pval", "kde_peaks"]
WITH_Q = ["total", "minimum", "q1", "q2", "q3", "maximum", "mean", "stddev", "skew", "kurtosis", "iqr", "mad", "cv", "mode", "bc", "dip_pval", "kde_peaks"]
UNIT_S = {"s": 1, "m": 60, "h": 3600}


def window_ns(label):
    return int(label[:-1]) * UNIT_S[label[-1]] * 1_000_000_000


def ny_ns(date, hhmm):
    h, m = (int(p) for p in hhmm.split(":"))
    y, mo, d = (int(p) for p in date.split("-"))
    return int(datetime(y, mo, d, h, m, tzinfo=NY).timestamp()) * 1_000_000_000


def kde_curve(x, h):
    grid = np.linspace(x.min() - 3 * h, x.max() + 3 * h, GRID_POINTS)
    dens = np.zeros(GRID_POINTS)
    for start in range(0, len(x), 2048):
        z = (grid[:, None] - x[None, start:start + 2048]) / h
        dens += np.exp(-0.5 * z * z).sum(axis=1)
    return grid, dens / (len(x) * h * math.sqrt(2 * math.pi))


def count_peaks(f):
    peaks, i, m = 0, 0, len(f)
    while i < m:
        j = i
        while j + 1 < m and f[j + 1] == f[i]:
            j += 1
        if (i == 0 or f[i - 1] < f[i]) and (j == m - 1 or f[j + 1] < f[j]):
            peaks += 1
        i = j + 1
    return peaks


def stats(x, names, dip_pvalue):
    """The statistics `names` of values x (FEATURES.md table); None = null. Also the KDE grid step (mode tolerance)."""
    x = np.sort(np.asarray(x, dtype=np.float64))
    n = len(x)
    r = {"total": math.fsum(x) if n else 0.0}
    step = 0.0
    if n == 0:
        return {k: (0.0 if k == "total" else None) for k in names}, step
    mn, mx = float(x[0]), float(x[-1])
    equal = mn == mx
    q1, q2, q3 = (float(v) for v in np.percentile(x, [25, 50, 75]))
    mean = math.fsum(x) / n
    sd = float(np.std(x, ddof=1)) if n >= 2 else None
    g1 = None if n < 3 or equal else float(sps.skew(x, bias=False))
    g2 = None if n < 4 or equal else float(sps.kurtosis(x, bias=False))
    r.update(minimum=mn, maximum=mx, q1=q1, q2=q2, q3=q3, iqr=q3 - q1, mean=mean, stddev=sd, skew=g1, kurtosis=g2,
             mad=float(np.median(np.abs(x - q2))), cv=None if sd is None or mean == 0 else sd / mean,
             bc=None if g1 is None or g2 is None else (g1 * g1 + 1) / (g2 + 3 * (n - 1) ** 2 / ((n - 2) * (n - 3))),
             dip_pval=None if n < 4 else dip_pvalue(x))
    if equal:
        r["mode"], r["kde_peaks"] = mn, 1.0
    else:
        h = sd * n ** (-0.2)
        grid, dens = kde_curve(x, h)
        top = dens.max()
        r["mode"] = float(grid[int(np.argmax(dens >= top - MODE_TIE_RELATIVE * top))])
        r["kde_peaks"] = float(count_peaks(dens))
        step = float(grid[1] - grid[0])
    return {k: r[k] for k in names}, step


class RDip:
    """Collects value sets, then gets every dip.test p-value from one Rscript run."""

    def __init__(self, enabled):
        self.enabled = enabled
        self.sets = []

    def __call__(self, x):
        self.sets.append(x)
        return ("dip", len(self.sets) - 1)

    def resolve(self):
        if not self.enabled or not self.sets:
            return [None] * len(self.sets)
        with tempfile.TemporaryDirectory() as d:
            src, dst = os.path.join(d, "in.txt"), os.path.join(d, "out.txt")
            with open(src, "w") as f:
                for x in self.sets:
                    f.write(" ".join(float(v).hex() for v in x) + "\n")
            script = ("suppressPackageStartupMessages(library(diptest)); a <- commandArgs(TRUE); "
                      "out <- sapply(readLines(a[1]), function(l) { x <- as.numeric(strsplit(l, ' ', fixed=TRUE)[[1]]); "
                      "suppressWarnings(suppressMessages(dip.test(x)$p.value)) }); "
                      "writeLines(sprintf('%.17g', out), a[2])")
            try:
                subprocess.run(["Rscript", "-e", script, src, dst], check=True, capture_output=True)
            except (OSError, subprocess.CalledProcessError):
                return [None] * len(self.sets)
            with open(dst) as f:
                return [float(line) for line in f.read().split()]


def compute_features(data, dip=True):
    """Rows [{"window", "start", "end", "features": {name: value}, "mode_steps": {name: step}, "diag": {...}}]."""
    date = data["date"]
    s_start, s_end = ny_ns(date, data["session_open"]), ny_ns(date, data["session_close"])
    m = data["contract_size"]
    hl, oc, vol = (set(data[k]) for k in ("exclude_conditions_high_low", "exclude_conditions_open_close", "exclude_conditions_volume"))
    st, op = data["stocks"], data["options"]
    s_t = np.array([int(v) for v in st["t"]], dtype=np.int64)
    o_t = np.array([int(v) for v in op["t"]], dtype=np.int64)
    s_ok = np.array([c == 0 or data["include_corrections"] for c in st["correction"]])
    conds = st["conditions"]
    s_vol = np.array([not (set(c) & vol) for c in conds]) & s_ok
    s_hl = np.array([not (set(c) & hl) for c in conds]) & s_ok
    s_oc = np.array([not (set(c) & oc) for c in conds]) & s_ok
    s_price, s_size, s_seq = (np.array(st[k], dtype=np.float64) for k in ("price", "size", "seq"))
    right = np.array(list(op["right"]))
    elig = np.array(op["eligible"], dtype=bool)
    S = np.array([np.nan if v is None else v for v in op["S"]], dtype=np.float64)
    strike, o_price, o_size = (np.array(op[k], dtype=np.float64) for k in ("strike", "price", "size"))
    flag = np.array(op["flag"])
    dadvv = np.array([np.nan if v is None else v for v in op["dadvv"]], dtype=np.float64)
    gadvv = np.array([np.nan if v is None else v for v in op["gadvv"]], dtype=np.float64)
    intrinsic = np.where(right == "C", np.maximum(S - strike, 0), np.maximum(strike - S, 0))
    known = ~np.isnan(S)
    priced = (flag == 0) & ~np.isnan(dadvv) & ~np.isnan(gadvv)

    dipper = RDip(dip)
    s_order = np.argsort(s_t, kind="stable")
    o_order = np.argsort(o_t, kind="stable")
    s_sorted, o_sorted = s_t[s_order], o_t[o_order]
    rows = []
    for label in data["windows"]:
        size = window_ns(label)
        start = s_start - s_start % size
        while start < s_end:
            end = start + size
            lo, hi = max(start, s_start), min(end, s_end)
            si = s_order[np.searchsorted(s_sorted, lo, "left"):np.searchsorted(s_sorted, hi, "left")]
            oi = o_order[np.searchsorted(o_sorted, lo, "left"):np.searchsorted(o_sorted, hi, "left")]
            f = {}
            steps = {}
            oc_idx = si[s_oc[si]]
            hl_idx = si[s_hl[si]]
            if len(oc_idx):
                order = sorted(oc_idx, key=lambda i: (s_t[i], s_seq[i]))
                f["underlying_price_open"], f["underlying_price_close"] = float(s_price[order[0]]), float(s_price[order[-1]])
            else:
                f["underlying_price_open"] = f["underlying_price_close"] = None
            f["underlying_price_high"] = float(s_price[hl_idx].max()) if len(hl_idx) else None
            f["underlying_price_low"] = float(s_price[hl_idx].min()) if len(hl_idx) else None

            def add(prefix, values, names):
                vals, step = stats(values, names, dipper)
                for k, v in vals.items():
                    f[f"{prefix}_{k}"] = v
                steps[f"{prefix}_mode"] = step

            sv = si[s_vol[si]]
            add("underlying_dollar_value", s_price[sv] * s_size[sv], BASE)
            for r, name in (("P", "puts"), ("C", "calls")):
                sel = oi[elig[oi] & (right[oi] == r)]
                k = sel[known[sel]]
                below = int((o_price[k] < intrinsic[k] - 1e-9).sum())
                above = int((o_price[k] > intrinsic[k] + 1e-9).sum())
                nk = len(k)
                if r == "P":
                    f["puts_below_intrinsic_pct"] = None if nk == 0 else 100 * below / nk
                    f["puts_above_intrinsic_pct"] = None if nk == 0 else 100 * above / nk
                else:
                    f["calls_dollar_value"] = math.fsum(o_price[sel] * o_size[sel] * m)
                    f["calls_above_intrinsic_pct"] = None if nk == 0 else 100 * above / nk
                p = sel[priced[sel]]
                add(f"{name}_dadvv", dadvv[p], BASE)
                add(f"{name}_gadvv", gadvv[p], WITH_Q if r == "C" else BASE)
            diag = {
                "diag_underlying_trades": int(len(si)),
                "diag_option_trades": int(len(oi)),
                "diag_priced": int((elig[oi] & priced[oi]).sum()),
                "diag_unpriced": int((elig[oi] & ~priced[oi]).sum()),
            }
            rows.append({"window": label, "start": str(start), "end": str(end), "features": f, "mode_steps": steps, "diag": diag})
            start = end
    pvalues = dipper.resolve()
    for row in rows:
        for k, v in row["features"].items():
            if isinstance(v, tuple):
                row["features"][k] = pvalues[v[1]]
    return rows


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    t0 = time.perf_counter()
    with open(args[0]) as f:
        data = json.load(f)
    t1 = time.perf_counter()
    rows = compute_features(data, dip="--no-dip" not in sys.argv)
    t2 = time.perf_counter()
    checksum = math.fsum(v for r in rows for v in r["features"].values() if v is not None and math.isfinite(v))
    print(json.dumps({"rows": len(rows), "load_s": t1 - t0, "compute_s": t2 - t1, "checksum": checksum}))


if __name__ == "__main__":
    main()
