"""Oracle values for vison-point's integration tests.

Draws spot stamps with GalSim (Gaussian and Moffat profiles, sheared, pixel-convolved, with
noise, non-square, off-centre in x and y separately), measures them with the reference tools
and writes everything to the JSON file named on the command line:

* galsim.hsm.FindAdaptiveMom: centroid, sigma, e1, e2 (observed_shape distortion);
* photutils CircularAperture(method="exact"): aperture sums at several radii and centres;
* astropy Gaussian2D + Const2D fitted by LevMarLSQFitter: amplitude, centre, widths, angle,
  background and the fitter's errors; scipy's curve_fit errors of the same model (astropy's
  reported errors are several times larger than the chi^2/dof-scaled covariance).

Stamps are written as nested lists (float64 repr round-trips exactly through JSON).
"""
import json
import sys
import warnings

import numpy as np
import galsim
from photutils.aperture import CircularAperture, aperture_photometry
from astropy.modeling import models, fitting
from scipy.optimize import curve_fit

CASES = [
    # name, profile, size (nx, ny), offset (dx, dy), shear (g1, g2), flux, noise sigma
    ("gauss_wide", "gauss", (41, 33), (2.3, -0.4), (0.12, -0.05), 2.0e5, 2.0),
    ("gauss_narrow", "gauss", (25, 31), (-0.3, 1.7), (-0.08, 0.10), 5.0e4, 1.0),
    ("moffat", "moffat", (37, 45), (0.45, -2.2), (0.05, 0.15), 1.0e5, 1.5),
    ("gauss_round", "gauss", (29, 29), (0.0, 0.0), (0.0, 0.0), 3.0e4, 0.0),
]


def draw(profile, size, offset, shear, flux, noise, seed):
    if profile == "gauss":
        sigma = 2.0 if size[0] > 30 else 1.1
        obj = galsim.Gaussian(sigma=sigma, flux=flux)
    else:
        obj = galsim.Moffat(beta=3.0, fwhm=3.0, flux=flux)
    obj = obj.shear(g1=shear[0], g2=shear[1])
    img = galsim.ImageD(size[0], size[1], scale=1.0)
    obj.drawImage(image=img, offset=offset)
    if noise > 0:
        img.addNoise(galsim.GaussianNoise(galsim.BaseDeviate(seed), sigma=noise))
    return img


def hsm(img):
    res = galsim.hsm.FindAdaptiveMom(img)
    # GalSim pixel (xmin, ymin) is array [0, 0]; stamp frame: x = column, y = row.
    return {
        "x_px": res.moments_centroid.x - img.xmin,
        "y_px": res.moments_centroid.y - img.ymin,
        "sigma_px": res.moments_sigma,
        "e1": res.observed_shape.e1,
        "e2": res.observed_shape.e2,
        "n_iter": res.moments_n_iter,
        "status": res.moments_status,
    }


def apertures(arr, hsm_res):
    out = []
    centres = [(hsm_res["x_px"], hsm_res["y_px"]), (arr.shape[1] / 2 - 0.3, arr.shape[0] / 2 + 0.2)]
    for (x, y) in centres:
        for r in (1.3, 3.0, 5.5, 8.25):
            ap = CircularAperture((x, y), r=r)
            t = aperture_photometry(arr, ap, method="exact")
            out.append({"x_px": x, "y_px": y, "r_px": r, "sum_adu": float(t["aperture_sum"][0])})
    return out


def astropy_fit(arr, hsm_res):
    ny, nx = arr.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    s = hsm_res["sigma_px"]
    g = models.Gaussian2D(amplitude=arr.max(), x_mean=hsm_res["x_px"], y_mean=hsm_res["y_px"],
                          x_stddev=s, y_stddev=s, theta=0.0)
    model = g + models.Const2D(amplitude=0.0)
    fitter = fitting.LevMarLSQFitter(calc_uncertainties=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = fitter(model, xx, yy, arr, maxiter=2000, acc=1e-12)
    g = fit[0]
    sx, sy, th = g.x_stddev.value, g.y_stddev.value, g.theta.value
    c, s_ = np.cos(th), np.sin(th)
    cxx = sx**2 * c**2 + sy**2 * s_**2
    cyy = sx**2 * s_**2 + sy**2 * c**2
    cxy = (sx**2 - sy**2) * c * s_
    errs = {}
    if fit.stds is not None:
        errs = {k: float(v) for k, v in zip(fit.stds.param_names, fit.stds.stds)}
    return {
        "scipy_errors": scipy_errors(arr, g.amplitude.value, g.x_mean.value, g.y_mean.value,
                                     (cxx, cxy, cyy), fit[1].amplitude.value),
        "amp_adu": g.amplitude.value,
        "x_px": g.x_mean.value,
        "y_px": g.y_mean.value,
        "cxx_px2": cxx,
        "cyy_px2": cyy,
        "cxy_px2": cxy,
        "bgd_adu": fit[1].amplitude.value,
        "errors": errs,
        "fit_status": str(fitter.fit_info.get("ierr")),
    }


def scipy_errors(arr, amp, x0, y0, cov, bgd):
    """Parameter errors of the same model in the quadratic-form parameterisation from
    scipy's curve_fit (covariance scaled by chi^2 / dof), started at astropy's solution."""
    ny, nx = arr.shape
    yy, xx = np.mgrid[0:ny, 0:nx]
    cxx, cxy, cyy = cov
    det = cxx * cyy - cxy * cxy

    def model(xy, a, x, y, p, q, r, b):
        dx, dy = xy[0] - x, xy[1] - y
        return b + a * np.exp(-0.5 * (p * dx * dx + 2 * q * dx * dy + r * dy * dy))

    p0 = [amp, x0, y0, cyy / det, -cxy / det, cxx / det, bgd]
    _, pcov = curve_fit(model, (xx.ravel(), yy.ravel()), arr.ravel(), p0=p0)
    e = np.sqrt(np.diag(pcov))
    return {"amp_adu": e[0], "x_px": e[1], "y_px": e[2], "bgd_adu": e[6]}


def main(out):
    cases = []
    for k, (name, profile, size, offset, shear, flux, noise) in enumerate(CASES):
        img = draw(profile, size, offset, shear, flux, noise, 1234 + k)
        arr = img.array.copy()
        h = hsm(img)
        cases.append({
            "name": name,
            "profile": profile,
            "offset_px": offset,
            "image": arr.tolist(),
            "hsm": h,
            "apertures": apertures(arr, h),
            "gauss": astropy_fit(arr, h),
        })
    versions = {"galsim": galsim.__version__, "numpy": np.__version__}
    with open(out, "w") as f:
        json.dump({"versions": versions, "cases": cases}, f)


if __name__ == "__main__":
    main(sys.argv[1])
