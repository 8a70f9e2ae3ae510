"""Per-spot time of GalSim HSM + photutils on the stamps of `benches/benches/spots.rs`.

Usage: python benches/spots_python.py [STAMPS.npy]
(default `$VISON_SPOTS_NPY`, else `<tmp>/vison_spots_bench.npy`, written by
`cargo bench -p vison-benches --bench spots`).

Per stamp, as vison-point's measurement: annulus background (photutils ApertureStats median,
r 15-25 px), adaptive moments (galsim.hsm.FindAdaptiveMom), exact-aperture flux at the HSM
centroid (photutils aperture_photometry, r 10 px, method="exact"). Also times astropy's
Gaussian2D + Const2D LevMarLSQFitter fit on the first 100 stamps. Prints JSON (us per spot).
"""
import json
import os
import sys
import tempfile
import time
import warnings

import numpy as np
import galsim
from astropy.modeling import fitting, models
from photutils.aperture import (ApertureStats, CircularAnnulus, CircularAperture,
                                aperture_photometry)


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else os.environ.get(
        "VISON_SPOTS_NPY", os.path.join(tempfile.gettempdir(), "vison_spots_bench.npy"))
    stamps = np.load(path).astype(np.float64)
    n, ny, nx = stamps.shape
    c = (nx // 2, ny // 2)
    t_bkg = t_hsm = t_ap = 0.0
    fluxes = []
    for s in stamps:
        t0 = time.perf_counter()
        bkg = ApertureStats(s, CircularAnnulus(c, r_in=15.0, r_out=25.0)).median
        sub = s - bkg
        t1 = time.perf_counter()
        res = galsim.hsm.FindAdaptiveMom(galsim.Image(sub, xmin=0, ymin=0))
        t2 = time.perf_counter()
        pos = (res.moments_centroid.x, res.moments_centroid.y)
        tab = aperture_photometry(sub, CircularAperture(pos, r=10.0), method="exact")
        t3 = time.perf_counter()
        fluxes.append(float(tab["aperture_sum"][0]))
        t_bkg += t1 - t0
        t_hsm += t2 - t1
        t_ap += t3 - t2
    # Gaussian fits (astropy) on a subset.
    m = min(100, n)
    yy, xx = np.mgrid[0:ny, 0:nx]
    fitter = fitting.LevMarLSQFitter()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for s in stamps[:m]:
            model = models.Gaussian2D(amplitude=s.max() - 100, x_mean=c[0], y_mean=c[1],
                                      x_stddev=1.2, y_stddev=1.2) + models.Const2D(100.0)
            fitter(model, xx, yy, s)
    t_fit = time.perf_counter() - t0
    us = 1e6 / n
    out = {
        "n_stamps": n,
        "stamp_shape": [ny, nx],
        "photutils_background_us": t_bkg * us,
        "hsm_us": t_hsm * us,
        "photutils_aperture_us": t_ap * us,
        "hsm_plus_photutils_us": (t_bkg + t_hsm + t_ap) * us,
        "astropy_gauss2d_fit_us": t_fit * 1e6 / m,
        "mean_flux_adu": float(np.mean(fluxes)),
        "versions": {"galsim": galsim.__version__, "numpy": np.__version__},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
