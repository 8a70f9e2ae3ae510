//! What a test declares to the framework: the names it handles, what its frames hold (which
//! decides the generic checks), the tests whose products it uses, and how to make its task.
//! The table itself is `crate::tests::REGISTRY`; the framework only reads it.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::framework::task::Task;

/// What the image area of a test's frames holds; decides which generic checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameKind {
    /// Bias frames: the image is checked like the prescan (image-minus-prescan gradient).
    Bias,
    /// Dark frames: the image signal is checked against the dark fluence limits.
    Dark,
    /// Illuminated frames (flats, spots, persistence): the image holds the signal; only the
    /// zero-exposure (background) frames get the bias checks of the image.
    Illuminated,
    /// Charge injection or trap pumping: the image holds injected charge even at zero
    /// exposure, so it never gets the bias checks.
    Injected,
}

impl FrameKind {
    /// Whether the image-minus-prescan offset check (+- the gradient limits) applies to a
    /// frame of this kind with this exposure time (reference 4.1 "img for bias", 4.2).
    pub fn image_is_bias(self, exptime_s: f64) -> bool {
        match self {
            FrameKind::Bias => true,
            FrameKind::Dark | FrameKind::Injected => false,
            FrameKind::Illuminated => exptime_s == 0.0,
        }
    }
}

/// One family of tests in the registry.
pub struct TestEntry {
    /// Test names handled (`BIAS01`); variants `NAME_<suffix>` (`PTC02_730`) match too.
    pub tests: &'static [&'static str],
    /// One line for `vison-pipe tests`.
    pub description: &'static str,
    /// What the frames hold.
    pub frames: FrameKind,
    /// Tests whose products this test uses when they are in the same session (run first).
    pub uses: &'static [&'static str],
    /// Calibration inputs its preprocessing applies (cosmetic mask, master bias, master flat;
    /// docs/pipeline.md "Calibration inputs").
    pub calib: crate::framework::calib::CalibUse,
    /// Whether the test has its own analysis (false: the generic checks and quick statistics
    /// only, until its analysis lands).
    pub analysed: bool,
    /// Makes the task of a test name.
    pub make: fn(&str) -> Box<dyn Task>,
}

impl TestEntry {
    /// Whether this entry handles `name` (`PTC02_730` is handled by the `PTC02` entry).
    pub fn handles(&self, name: &str) -> bool {
        self.tests.contains(&base_name(name))
    }
}

/// The base test name of a variant (`PTC02_730_R` -> `PTC02`).
pub fn base_name(name: &str) -> &str {
    name.split('_').next().unwrap_or(name)
}

/// The table of every test the pipeline runs.
pub struct Registry(pub &'static [TestEntry]);

impl Registry {
    /// The entry handling `name`.
    pub fn entry(&self, name: &str) -> Result<&TestEntry> {
        self.0
            .iter()
            .find(|e| e.handles(name))
            .ok_or_else(|| Error::UnknownTest(name.to_string()))
    }

    /// The task of test `name`.
    pub fn make(&self, name: &str) -> Result<Box<dyn Task>> {
        Ok((self.entry(name)?.make)(name))
    }

    /// `tests` in run order: a test runs after the tests whose products it uses; otherwise
    /// the given order is kept.
    pub fn run_order(&self, tests: &[String]) -> Vec<String> {
        let mut left: Vec<String> = tests.to_vec();
        let mut out: Vec<String> = Vec::with_capacity(left.len());
        while !left.is_empty() {
            let ready = left.iter().position(|t| {
                let uses = self.entry(t).map(|e| e.uses).unwrap_or(&[]);
                !left.iter().any(|o| o != t && uses.contains(&base_name(o)))
            });
            // A cycle cannot be ordered: keep the given order for the rest.
            let k = ready.unwrap_or(0);
            out.push(left.remove(k));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_is_bias_by_frame_kind() {
        assert!(FrameKind::Bias.image_is_bias(0.0));
        assert!(!FrameKind::Dark.image_is_bias(565.0));
        assert!(!FrameKind::Illuminated.image_is_bias(7.2));
        assert!(FrameKind::Illuminated.image_is_bias(0.0));
        // A zero-exposure injection frame holds injected charge: never a bias check.
        assert!(!FrameKind::Injected.image_is_bias(0.0));
    }

    #[test]
    fn variants_map_to_their_base_test() {
        assert_eq!(base_name("PTC02_730_R"), "PTC02");
        assert_eq!(base_name("BIAS01"), "BIAS01");
    }
}
