//! The tests: one module per test family, and [`REGISTRY`], the one table that maps test names
//! to their task. Adding a test is one module here plus one registry line.

pub mod bias;
pub mod checkonly;
pub mod dark;
pub mod flat;
pub mod point;

use crate::framework::calib::CalibUse;
use crate::framework::registry::{FrameKind, Registry, TestEntry};
use crate::framework::task::Task;

use checkonly::{CheckOnlyTask, Quick};

fn injection(name: &str) -> Box<dyn Task> {
    Box::new(CheckOnlyTask::new(name, Quick::Injection))
}
fn spots(name: &str) -> Box<dyn Task> {
    Box::new(CheckOnlyTask::new(name, Quick::Spots))
}
fn focus(name: &str) -> Box<dyn Task> {
    Box::new(point::PointTask::new(name, point::PointKind::Focus))
}
fn psf(name: &str) -> Box<dyn Task> {
    Box::new(point::PointTask::new(name, point::PointKind::Psf))
}
fn checks_only(name: &str) -> Box<dyn Task> {
    Box::new(CheckOnlyTask::new(name, Quick::None))
}
fn bias(name: &str) -> Box<dyn Task> {
    Box::new(bias::BiasTask::new(name))
}
fn dark(_: &str) -> Box<dyn Task> {
    Box::new(dark::DarkTask)
}
fn flat(name: &str) -> Box<dyn Task> {
    Box::new(flat::flatfield::FlatTask::new(name))
}
fn ptc(name: &str) -> Box<dyn Task> {
    Box::new(flat::ptc::PtcTask::new(name, 3))
}
fn nl(name: &str) -> Box<dyn Task> {
    Box::new(flat::nl::NlTask::new(name))
}
fn flatflux(name: &str) -> Box<dyn Task> {
    Box::new(flat::flatflux::FlatFluxTask::new(name))
}
fn bf(name: &str) -> Box<dyn Task> {
    Box::new(flat::bf::BfTask::new(name))
}

/// Every test the pipeline runs.
pub static REGISTRY: Registry = Registry(&[
    TestEntry {
        tests: &["BIAS01", "BIAS02"],
        description: "bias frames: offsets, RON, master bias, profiles",
        frames: FrameKind::Bias,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: true,
        make: bias,
    },
    TestEntry {
        tests: &["DARK01"],
        description: "dark frames (565 s): master dark, dark current, hot pixels and columns",
        frames: FrameKind::Dark,
        uses: &["BIAS01", "BIAS02"],
        calib: CalibUse::MASK_BIAS,
        analysed: true,
        make: dark,
    },
    TestEntry {
        tests: &["FLAT01", "FLAT02"],
        description: "flat fields: master flats, PRNU per quadrant and tile, defects",
        frames: FrameKind::Illuminated,
        uses: &["BIAS01", "BIAS02"],
        calib: CalibUse::MASK_BIAS,
        analysed: true,
        make: flat,
    },
    TestEntry {
        tests: &["PTC01", "PTC02"],
        description: "flat pairs: photon transfer curve, gain, read noise, full well",
        frames: FrameKind::Illuminated,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: true,
        make: ptc,
    },
    TestEntry {
        tests: &["NL01", "NL02"],
        description: "exposure-time series with stability frames: non-linearity and correction",
        frames: FrameKind::Illuminated,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: true,
        make: nl,
    },
    TestEntry {
        tests: &["FLATFLUX00"],
        description: "flats at several exposure times: flux of the flat source per quadrant",
        frames: FrameKind::Illuminated,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: true,
        make: flatflux,
    },
    TestEntry {
        tests: &["BF01"],
        description: "flat pairs: covariances, a-matrix, G15 brighter-fatter model and kernel",
        frames: FrameKind::Illuminated,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: true,
        make: bf,
    },
    TestEntry {
        tests: &["CHINJ00", "CHINJ01", "CHINJ02"],
        description: "charge injection: injection level of the injected lines",
        frames: FrameKind::Injected,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: false,
        make: injection,
    },
    TestEntry {
        tests: &["TP00", "TP01", "TP02", "TP11", "TP21"],
        description: "trap pumping: injection level of the pumped frames",
        frames: FrameKind::Injected,
        uses: &[],
        calib: CalibUse::MASK,
        analysed: false,
        make: injection,
    },
    TestEntry {
        tests: &["FOCUS00"],
        description: "spots against mirror position: focus curve and best focus per spot, quadrant and CCD",
        frames: FrameKind::Illuminated,
        uses: &["BIAS01", "BIAS02"],
        calib: CalibUse::ALL,
        analysed: true,
        make: focus,
    },
    TestEntry {
        tests: &["PSF01", "PSF02", "PSFLUX00"],
        description: "spots against exposure time: flux linearity, FWHM and ellipticity against fluence",
        frames: FrameKind::Illuminated,
        uses: &["BIAS01", "BIAS02"],
        calib: CalibUse::ALL,
        analysed: true,
        make: psf,
    },
    TestEntry {
        tests: &["PERSIST01"],
        description: "persistence: saturating spots then darks; spot level per frame",
        frames: FrameKind::Illuminated,
        uses: &["BIAS01", "BIAS02"],
        calib: CalibUse::ALL,
        analysed: false,
        make: spots,
    },
    TestEntry {
        tests: &["COSMETICS00"],
        description: "cosmetics: bias and flat frames for defect masks",
        frames: FrameKind::Illuminated,
        uses: &[],
        calib: CalibUse::NONE,
        analysed: false,
        make: checks_only,
    },
]);

#[cfg(test)]
mod registry_tests {
    use super::REGISTRY;

    #[test]
    fn every_defined_test_has_one_entry() {
        for t in vison_testdefs::known_tests() {
            let n = REGISTRY.0.iter().filter(|e| e.handles(t)).count();
            assert_eq!(n, 1, "{t}");
        }
        assert!(REGISTRY.entry("NOPE01").is_err());
        assert!(REGISTRY.entry("PTC02_730").is_ok());
    }

    #[test]
    fn products_are_made_before_they_are_used() {
        let order = REGISTRY.run_order(&["DARK01".into(), "PTC01".into(), "BIAS02".into()]);
        assert_eq!(order, ["PTC01", "BIAS02", "DARK01"]);
    }
}
