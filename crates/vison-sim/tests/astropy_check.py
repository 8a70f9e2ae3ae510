#!/usr/bin/env python3
"""Open vison-sim frames with astropy and check the ELVIS raw layout.

Usage:
    python astropy_check.py FRAME.fits [FRAME.fits ...]
    python astropy_check.py DAY_FOLDER            (checks every EUC_*.fits in it)

For each frame it prints the HDU list, the image shape and dtype and the header keys, and
checks: an empty primary HDU plus one image extension named ROE1_CCD<n>; unsigned 16-bit data
(BITPIX 16 with BZERO 32768, read as uint16); shape (2 x (image rows + parallel overscan),
2 x (prescan + image columns + overscan)) from the geometry keys PRESCANX/OVRSCANX/OVRSCANY;
the ELVIS keys OBSID, CCD, TEST, EXPTIME, WAVELENG present; prescan levels of the four
quadrant corners between 1000 and 5000 ADU (rows read out). Exit status 0 when every frame
passes, 1 otherwise.
"""

import glob
import os
import sys

import numpy as np
from astropy.io import fits

REQUIRED_KEYS = ["OBSID", "CCD", "TEST", "EXPTIME", "WAVELENG", "PRESCANX", "OVRSCANX", "OVRSCANY"]


def check(path):
    errors = []
    with fits.open(path) as hdul:
        print(f"== {path}")
        hdul.info()
        if len(hdul) != 2:
            errors.append(f"expected 2 HDUs, found {len(hdul)}")
            return errors
        if hdul[0].data is not None:
            errors.append("primary HDU has data")
        ext = hdul[1]
        hdr = ext.header
        data = ext.data
        print(f"EXTNAME={hdr.get('EXTNAME')} shape={data.shape} dtype={data.dtype} "
              f"BITPIX={hdr.get('BITPIX')} BZERO={hdr.get('BZERO')}")
        print("header keys:", " ".join(k for k in hdr.keys() if k not in ("", "HISTORY", "COMMENT")))
        if not str(hdr.get("EXTNAME", "")).startswith("ROE1_CCD"):
            errors.append(f"EXTNAME {hdr.get('EXTNAME')!r}")
        if data.dtype != np.uint16 or hdr.get("BITPIX") != 16 or hdr.get("BZERO") != 32768:
            errors.append(f"not unsigned 16-bit: dtype {data.dtype}, BITPIX {hdr.get('BITPIX')}, BZERO {hdr.get('BZERO')}")
        missing = [k for k in REQUIRED_KEYS if k not in hdr]
        if missing:
            errors.append(f"missing header keys {missing}")
            return errors
        pre, ove, vov = hdr["PRESCANX"], hdr["OVRSCANX"], hdr["OVRSCANY"]
        ncols, nrows = data.shape[1] // 2 - pre - ove, data.shape[0] // 2 - vov
        if ncols not in (256, 2048) or nrows not in (256, 2066):
            errors.append(f"unexpected image area {ncols} x {nrows}")
        print(f"image area per quadrant {ncols} x {nrows}, prescan {pre}, overscan {ove}, p-overscan {vov}")
        h, w = data.shape
        # Prescan columns next to each readout corner, first rows read out (rows near the
        # node are always read: vstart is 0 in every test definition).
        corners = {
            "H": data[5:15, 5:pre - 5],
            "G": data[5:15, w - pre + 5:w - 5],
            "E": data[h - 15:h - 5, 5:pre - 5],
            "F": data[h - 15:h - 5, w - pre + 5:w - 5],
        }
        for q, box in corners.items():
            m = float(box.mean())
            print(f"quadrant {q}: prescan mean {m:.1f} ADU")
            if not 1000.0 < m < 5000.0:
                errors.append(f"quadrant {q} prescan mean {m:.1f}")
    return errors


def main(args):
    paths = []
    for a in args:
        if os.path.isdir(a):
            paths.extend(sorted(glob.glob(os.path.join(a, "EUC_*.fits"))))
        else:
            paths.append(a)
    if not paths:
        print(__doc__)
        return 1
    failed = 0
    for p in paths:
        errs = check(p)
        for e in errs:
            print(f"FAIL {p}: {e}")
        failed += bool(errs)
    print(f"{len(paths) - failed}/{len(paths)} frames pass")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
