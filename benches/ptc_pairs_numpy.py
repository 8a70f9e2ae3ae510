#!/usr/bin/env python3
"""numpy equivalent of benches/benches/ptc_pairs.rs (pair_covariance_lag10).

Per flat pair on a full-size quadrant image area (2066 x 2048, float32): difference image
D = f1 - (m1/m2) f2, 4-sigma clipping about the median with a MAD scale estimated on a regular
subsample (as the Rust kernel), mean of the valid pixels, then covariances for lags (i, j) and
(i, -j), 0 <= i, j <= 10, with pair counts from the list of invalid pixels when they are fewer
than 1 % (else from validity-weight products), as the Rust kernel. Prints the per-pair time.

Usage: python3 benches/ptc_pairs_numpy.py [repeats]
"""
import sys
import time

import numpy as np

ROWS, COLS, MAXLAG, CLIP = 2066, 2048, 10, 4.0


def pair_covariance(f1, f2):
    m1 = f1.mean(dtype=np.float64)
    m2 = f2.mean(dtype=np.float64)
    d = f1 - np.float32(m1 / m2) * f2
    valid = np.isfinite(d)
    for _ in range(2):
        stride = max(d.size // 200_000, 1)
        sample = d.ravel()[::stride][valid.ravel()[::stride]].astype(np.float64)
        med = np.median(sample)
        sig = 1.4826 * np.median(np.abs(sample - med))
        bad = valid & (np.abs(d - med) > CLIP * sig)
        nbad = int(bad.sum())
        valid &= ~bad
        if nbad == 0:
            break
    mean = d[valid].mean(dtype=np.float64)
    dm = np.where(valid, d - np.float32(mean), np.float32(0.0))
    side = MAXLAG + 1
    cov = np.zeros((side, side))
    sparse = (~valid).sum() <= valid.size // 100
    w = None if sparse else valid.astype(np.float32)
    bad_r, bad_c = np.nonzero(~valid)

    def count(i, dj):
        """Valid pixel pairs at lag (i, dj), as the Rust kernel (sparse or dense)."""
        j = abs(dj)
        if w is not None:
            if dj >= 0:
                return np.sum(w[: ROWS - i, : COLS - j] * w[i:, j:], dtype=np.float64)
            return np.sum(w[: ROWS - i, j:] * w[i:, : COLS - j], dtype=np.float64)
        full = (ROWS - i) * (COLS - j)
        r2, c2 = bad_r + i, bad_c + dj
        first = (r2 < ROWS) & (c2 >= 0) & (c2 < COLS)
        both = np.zeros_like(first)
        both[first] = ~valid[r2[first], c2[first]]
        r0, c0 = bad_r - i, bad_c - dj
        second = (r0 >= 0) & (c0 >= 0) & (c0 < COLS)
        return full - (first.sum() - both.sum() + second.sum())

    for i in range(side):
        for j in range(side):
            a = dm[: ROWS - i, : COLS - j]
            b = dm[i:, j:]
            s = np.sum(a * b, dtype=np.float64)
            n = count(i, j)
            if j > 0:
                s += np.sum(dm[: ROWS - i, j:] * dm[i:, : COLS - j], dtype=np.float64)
                n += count(i, -j)
            cov[i, j] = s / n
    return 0.5 * (m1 + m2), 0.5 * cov[0, 0], 0.5 * cov


def main():
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    rng = np.random.default_rng(1)
    f1 = (30000.0 + 170.0 * rng.standard_normal((ROWS, COLS))).astype(np.float32)
    f2 = (30000.0 + 170.0 * rng.standard_normal((ROWS, COLS))).astype(np.float32)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        mu, var, _ = pair_covariance(f1, f2)
        times.append(time.perf_counter() - t0)
    best = min(times)
    mb = 2 * ROWS * COLS * 4 / 1e6
    print(f"numpy {np.__version__}: pair_covariance_lag10 per pair: best {best:.3f} s, "
          f"median {sorted(times)[len(times) // 2]:.3f} s ({mb / best:.1f} MB/s); mean {mu:.1f} ADU, var {var:.1f} ADU^2")


if __name__ == "__main__":
    main()
