//! Charge injection: lines of injected charge with an on/off pattern, at a level set by the
//! IG1 and IDL voltages, in the half of the CCD selected by the injection delay.

use ndarray::Array2;

use crate::truth::InjectionTruth;

/// Commanded injection settings of one exposure (EXP_LOG values).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InjectionSetup {
    /// IG1 voltage of the CCD half (V).
    pub ig1_v: f64,
    /// IDL voltage (V).
    pub idl_v: f64,
    /// Injected lines per cycle (`chinj_on`).
    pub on_rows: usize,
    /// Empty lines per cycle (`chinj_of`).
    pub off_rows: usize,
    /// Injection pulse width (`id_wid`, us).
    pub id_wid_us: f64,
    /// Injection delay (`id_dly`, us).
    pub id_dly_us: f64,
    /// Injection line time (`toi_ch`, us).
    pub toi_ch_us: f64,
}

impl InjectionSetup {
    /// Whether the quadrants of this half receive charge: no injection for pulse widths below
    /// 10 us; a delay of 2-3 line times serves the top half (E, F), 1-2 the bottom half (G, H)
    /// (reference 6.10).
    pub fn serves_half(&self, top: bool) -> bool {
        if self.id_wid_us < 10.0 || self.toi_ch_us <= 0.0 {
            return false;
        }
        let ratio = self.id_dly_us / self.toi_ch_us;
        if top {
            ratio > 2.0 && ratio < 3.0
        } else {
            ratio > 1.0 && ratio < 2.0
        }
    }
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Injection level (ADU, before non-linearity) for IG1 and IDL, from the quadrant's response
/// (see [`InjectionTruth`]).
pub fn injection_level_adu(p: &InjectionTruth, ig1_v: f64, idl_v: f64) -> f64 {
    let ig1_part = sigmoid(p.k_ig1_per_v * (ig1_v - p.ig1_thresh_v))
        * (p.slope_frac_per_v * (p.ig1_notch_v - ig1_v).max(0.0) + p.floor_frac);
    let idl_part = sigmoid(-p.k_idl_per_v * (idl_v - (ig1_v + p.idl_thresh_above_ig1_v)));
    65536.0 * ig1_part * idl_part
}

/// Whether canonical image row `row` is an injected line of the pattern (`on` lines then
/// `off` lines, repeating from row 0).
pub fn injection_rows_on(row: usize, on: usize, off: usize) -> bool {
    let period = on + off;
    period > 0 && row % period < on
}

/// Adds injected charge `level_e` (times a per-column factor) to the injected lines.
/// Returns the number of injected lines.
pub fn add_injection(
    charge: &mut Array2<f32>,
    level_e: f64,
    col_factor: &[f32],
    on: usize,
    off: usize,
) -> usize {
    let on = on.min(charge.nrows());
    let mut n = 0;
    for (r, mut row) in charge.rows_mut().into_iter().enumerate() {
        if !injection_rows_on(r, on, off) {
            continue;
        }
        n += 1;
        for (v, &f) in row.iter_mut().zip(col_factor) {
            *v += level_e as f32 * f;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth() -> InjectionTruth {
        InjectionTruth {
            ig1_thresh_v: 3.2,
            k_ig1_per_v: 15.0,
            ig1_notch_v: 5.8,
            slope_frac_per_v: 0.09,
            floor_frac: 0.01,
            idl_thresh_above_ig1_v: 7.5,
            k_idl_per_v: 15.0,
            column_nonuniformity_frac: 0.0,
        }
    }

    #[test]
    fn level_follows_ig1_and_idl() {
        let p = truth();
        // Well above threshold, IDL far below its threshold: slope * (notch - IG1) + floor.
        let l = injection_level_adu(&p, 4.5, 9.0);
        assert!((l / 65536.0 - (0.09 * 1.3 + 0.01)).abs() < 1e-4, "{l}");
        assert!(
            injection_level_adu(&p, 2.0, 9.0) < 0.01 * l,
            "cut off below threshold"
        );
        assert!(
            injection_level_adu(&p, 4.5, 13.0) < 0.01 * l,
            "cut off by IDL"
        );
        assert!(injection_level_adu(&p, 6.5, 9.0) < 0.011 * 65536.0);
    }

    #[test]
    fn pattern_and_halves() {
        let mut charge = Array2::<f32>::zeros((20, 3));
        let n = add_injection(&mut charge, 100.0, &[1.0, 1.0, 2.0], 2, 3);
        assert_eq!(n, 8);
        assert_eq!(charge[[0, 2]], 200.0);
        assert_eq!(charge[[2, 0]], 0.0);
        assert_eq!(charge[[5, 0]], 100.0);
        let s = InjectionSetup {
            ig1_v: 4.0,
            idl_v: 11.0,
            on_rows: 30,
            off_rows: 100,
            id_wid_us: 60.0,
            id_dly_us: 1250.0,
            toi_ch_us: 500.0,
        };
        assert!(s.serves_half(true) && !s.serves_half(false));
        let s2 = InjectionSetup {
            id_dly_us: 750.0,
            ..s
        };
        assert!(!s2.serves_half(true) && s2.serves_half(false));
    }
}
