#!/usr/bin/env python3
"""numpy/astropy per-frame work of a calibration campaign, on the frames vison-bench-campaign
generated (the same files vison-pipe analyses).

Per frame (every CCD of every exposure): read -> float32; per quadrant (canonical orientation,
readout node at [0, 0]): offset = median of the trimmed prescan [25, 5]; read noise = MAD std
and std of the trimmed prescan; section statistics (mean, median, std, MAD std, min, max,
5/95 percentiles, lost and saturated counts) of prescan [25, 5], image [5, 5], overscan [5, 5].
Per PTC01 flat pair (same CCD, same EXPTIME, consecutive ObsIDs): per quadrant image area,
D = f1 - (m1/m2) f2, 4-sigma MAD clipping, covariances at lags (i, +-j), 0 <= i, j <= 10.

Usage: python campaign_numpy.py CAMPAIGN_DIR [--pair-every N]
Prints one JSON object: frames, pairs, wall_s, frames_per_s, peak_rss_mb, and step times.
"""
import glob
import json
import os
import resource
import sys
import time
from collections import defaultdict

import numpy as np
from astropy.io import fits

MAXLAG, CLIP = 10, 4.0


def canonical(data, q, pre, ove, vove):
    hq, wq = data.shape[0] // 2, data.shape[1] // 2
    boxes = {"E": (slice(hq, None), slice(0, wq)), "F": (slice(hq, None), slice(wq, None)),
             "G": (slice(0, hq), slice(wq, None)), "H": (slice(0, hq), slice(0, wq))}
    v = data[boxes[q]]
    if q in "EF":
        v = v[::-1, :]
    if q in "FG":
        v = v[:, ::-1]
    return v


def sections(v, pre, ove, vove):
    rows = v.shape[0] - vove
    img = v.shape[1] - pre - ove
    return {"prescan": v[:rows, 25:pre - 5], "image": v[:rows, pre + 5:pre + img - 5],
            "overscan": v[:rows, pre + img + 5:pre + img + ove - 5]}


def section_stats(s):
    s = s.ravel()
    med = np.median(s)
    p05, p95 = np.percentile(s, [5, 95])
    return dict(mean=float(s.mean(dtype=np.float64)), median=float(med), std=float(s.std(dtype=np.float64)),
                mad_std=float(1.4826 * np.median(np.abs(s - med))), min=float(s.min()), max=float(s.max()),
                p05=float(p05), p95=float(p95), n_lost=int((s == 0).sum()), n_saturated=int((s == 65535).sum()))


def geometry(h):
    pre = h.header.get("PRESCANX", 51)
    ove = h.header.get("OVRSCANX", 20)
    vove = h.header.get("OVRSCANY", 20 if h.data.shape[0] == 4172 else 0)
    return pre, ove, vove


def frame_work(path):
    with fits.open(path, memmap=False) as hl:
        h = hl[-1]
        data = h.data.astype(np.float32)
        geo = geometry(h)
        hdr = h.header
    out = {}
    for q in "EFGH":
        v = canonical(data, q, *geo)
        secs = sections(v, *geo)
        st = {k: section_stats(s) for k, s in secs.items()}
        pre = secs["prescan"]
        st["offset_adu"] = st["prescan"]["median"]
        st["ron_adu"] = st["prescan"]["mad_std"]
        out[q] = st
    return data, geo, hdr, out


def pair_covariance(f1, f2):
    m1 = f1.mean(dtype=np.float64)
    m2 = f2.mean(dtype=np.float64)
    d = f1 - np.float32(m1 / m2) * f2
    med = np.median(d)
    sig = 1.4826 * np.median(np.abs(d - med))
    valid = np.abs(d - med) <= CLIP * sig
    mean = d[valid].mean(dtype=np.float64)
    dm = np.where(valid, d - np.float32(mean), np.float32(0.0))
    w = valid.astype(np.float32)
    rows, cols = d.shape
    cov = np.zeros((MAXLAG + 1, 2 * MAXLAG + 1))
    for i in range(MAXLAG + 1):
        for j in range(-MAXLAG, MAXLAG + 1):
            if i == 0 and j < 0:
                continue
            a = abs(j)
            if j >= 0:
                x, y = dm[: rows - i, : cols - a], dm[i:, a:]
                n = np.sum(w[: rows - i, : cols - a] * w[i:, a:], dtype=np.float64)
            else:
                x, y = dm[: rows - i, a:], dm[i:, : cols - a]
                n = np.sum(w[: rows - i, a:] * w[i:, : cols - a], dtype=np.float64)
            cov[i, j + MAXLAG] = np.sum(x * y, dtype=np.float64) / max(n, 1.0)
    return cov


def main():
    root = sys.argv[1]
    every = int(sys.argv[sys.argv.index("--pair-every") + 1]) if "--pair-every" in sys.argv else 1
    files = sorted(glob.glob(os.path.join(root, "**", "EUC_*.fits"), recursive=True))
    t0 = time.perf_counter()
    t_frames = 0.0
    ptc = defaultdict(list)  # (ccd, exptime) -> [(obsid, path)]
    results = {}
    for p in files:
        t = time.perf_counter()
        data, geo, hdr, st = frame_work(p)
        t_frames += time.perf_counter() - t
        results[os.path.basename(p)] = st
        if str(hdr.get("TEST", "")).strip() == "PTC01" and float(hdr.get("EXPTIME", 0)) > 0:
            ptc[(hdr.get("EXTNAME"), float(hdr["EXPTIME"]))].append((int(hdr["OBSID"]), p))
    t = time.perf_counter()
    pairs = 0
    for key, lst in sorted(ptc.items()):
        lst.sort()
        for k in range(0, len(lst) - 1, 2):
            pairs += 1
            if (pairs - 1) % every:
                continue
            f1 = fits.getdata(lst[k][1], ext=-1).astype(np.float32)
            f2 = fits.getdata(lst[k + 1][1], ext=-1).astype(np.float32)
            with fits.open(lst[k][1]) as hl:
                geo = geometry(hl[-1])
            for q in "EFGH":
                a = sections(canonical(f1, q, *geo), *geo)["image"]
                b = sections(canonical(f2, q, *geo), *geo)["image"]
                pair_covariance(a, b)
    t_pairs = time.perf_counter() - t
    wall = time.perf_counter() - t0
    print(json.dumps(dict(frames=len(files), pairs=pairs, pairs_done=(pairs + every - 1) // every,
                          wall_s=wall, frames_per_s=len(files) / wall, frame_work_s=t_frames,
                          pair_covariance_s=t_pairs,
                          peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)))


if __name__ == "__main__":
    main()
