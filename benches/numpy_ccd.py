"""numpy/astropy equivalent of the vison-ccd benchmarks, on the frames vison-bench-ccd wrote.

Usage: python numpy_ccd.py DIR   (DIR holds the 25 EUC_*.fits frames)
Prints best-of-5 times for read -> float32, read + row-offset subtraction + section stats of the
four quadrants (mean, median, std, MAD std, min, max, 5/95 percentiles, lost and saturated
counts), the same statistics of every untrimmed section as `vison-inspect fits --json`, and the median of the 25-frame cube (numpy.median along axis 0), with peak RSS.
"""
import glob
import resource
import sys
import time

import numpy as np
from astropy.io import fits

PRE, IMG, OVE, VOV = 51, 2048, 20, 20


def read(path):
    with fits.open(path, memmap=False) as h:
        return h[-1].data.astype(np.float32)


def canonical(data, q):
    hq, wq = data.shape[0] // 2, data.shape[1] // 2
    boxes = {"E": (slice(hq, None), slice(0, wq)), "F": (slice(hq, None), slice(wq, None)),
             "G": (slice(0, hq), slice(wq, None)), "H": (slice(0, hq), slice(0, wq))}
    v = data[boxes[q]]
    if q in "EF":
        v = v[::-1, :]
    if q in "FG":
        v = v[:, ::-1]
    return v


def offset_and_stats(data):
    out = []
    for q in "EFGH":
        v = canonical(data, q)
        off = np.median(v[:, 25:PRE - 5], axis=1)
        v -= off[:, None]
        rows = v[:2066]
        for lo, hi in ((25, PRE - 5), (PRE + 5, PRE + IMG - 5), (PRE + IMG + 5, PRE + IMG + OVE - 5)):
            s = rows[:, lo:hi].ravel()
            med = np.median(s)
            out.append((s.mean(), med, s.std(), 1.4826 * np.median(np.abs(s - med)), s.min(), s.max(),
                        np.percentile(s, [5, 95]), (s == 0).sum(), (s == 65535).sum()))
    return out


def inspect_stats(data):
    """What `vison-inspect fits --json` computes: untrimmed sections of every quadrant."""
    out = []
    for q in "EFGH":
        v = canonical(data, q)
        for s in (v[:2066, :PRE], v[:2066, PRE:PRE + IMG], v[:2066, PRE + IMG:], v[2066:, :]):
            s = s.ravel()
            med = np.median(s)
            out.append((s.mean(), med, s.std(), 1.4826 * np.median(np.abs(s - med)), s.min(), s.max(),
                        np.percentile(s, [5, 95]), (s == 0).sum(), (s == 65535).sum()))
    return out


def best(n, f):
    t = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


files = sorted(glob.glob(sys.argv[1] + "/EUC_*.fits"))[:25]
t_read = best(5, lambda: read(files[0]))
t_ros = best(5, lambda: offset_and_stats(read(files[0])))
t_insp = best(5, lambda: inspect_stats(read(files[0])))
t0 = time.perf_counter()
cube = np.stack([read(f) for f in files])
med = np.median(cube, axis=0)
t_stack = time.perf_counter() - t0
print(f"numpy read -> f32:               {t_read:.4f} s")
print(f"numpy read+offset(row)+stats:    {t_ros:.4f} s")
print(f"numpy read+section stats (inspect fits equivalent, in-process): {t_insp:.4f} s")
print(f"numpy median stack of 25 frames: {t_stack:.3f} s (cube read included)")
print(f"numpy peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
