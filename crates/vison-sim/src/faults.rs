//! Deliberate defects of a synthetic data set (`vison-sim campaign --faults ...`), so that
//! the pipeline's completeness, file and HK checks can be tested. Each fault is recorded in
//! `truth.json` (`faults`).

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A fault the generator can inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FaultKind {
    /// `missing-frame`: one FITS file (one CCD of one exposure) is not written; its EXP_LOG
    /// row and HK file are.
    MissingFrame,
    /// `truncated-fits`: one FITS file is cut to half its size (after the header).
    TruncatedFits,
    /// `hk-ool`: one per-exposure HK file carries an out-of-limits reading (CCD1_OD_T 1 V
    /// above its commanded value; the daily master file has it too).
    HkOol,
    /// `saturated-quadrant`: one quadrant of one frame reads 65535 over its whole image area.
    SaturatedQuadrant,
    /// `extra-exposure`: one exposure more than the script asks for (a repeat of the first
    /// test's last exposure, with its own ObsID, files and EXP_LOG rows).
    ExtraExposure,
}

impl FaultKind {
    /// Every fault, in documentation order.
    pub const ALL: [FaultKind; 5] = [
        FaultKind::MissingFrame,
        FaultKind::TruncatedFits,
        FaultKind::HkOol,
        FaultKind::SaturatedQuadrant,
        FaultKind::ExtraExposure,
    ];

    /// The command-line / truth-file name.
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::MissingFrame => "missing-frame",
            FaultKind::TruncatedFits => "truncated-fits",
            FaultKind::HkOol => "hk-ool",
            FaultKind::SaturatedQuadrant => "saturated-quadrant",
            FaultKind::ExtraExposure => "extra-exposure",
        }
    }

    /// Parses a comma-separated list (empty entries ignored, duplicates removed).
    pub fn parse_list(text: &str) -> Result<Vec<FaultKind>, Error> {
        let mut out: Vec<FaultKind> = Vec::new();
        for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let f: FaultKind = part.parse()?;
            if !out.contains(&f) {
                out.push(f);
            }
        }
        Ok(out)
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for FaultKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        FaultKind::ALL
            .into_iter()
            .find(|f| f.name() == s.trim())
            .ok_or_else(|| Error::Option {
                test: "campaign".to_string(),
                msg: format!(
                    "unknown fault `{s}` (known: {})",
                    FaultKind::ALL.map(FaultKind::name).join(", ")
                ),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_errors() {
        for f in FaultKind::ALL {
            assert_eq!(f.name().parse::<FaultKind>().ok(), Some(f));
        }
        let l = FaultKind::parse_list("hk-ool, missing-frame,hk-ool,").unwrap_or_default();
        assert_eq!(l, vec![FaultKind::HkOol, FaultKind::MissingFrame]);
        let e = FaultKind::parse_list("missing-frame,nope");
        assert!(e.is_err_and(|e| e.to_string().contains("nope")));
    }
}
