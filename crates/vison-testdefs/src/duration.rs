//! Test-duration model (reference 6.15).

use crate::{ScriptColumn, TestDef};

/// Serial pixel period, s.
const SERIAL_PIX_S: f64 = 14.3e-6;
/// Pixels per serial line (prescan + image + overscan used by the model).
const LINE_PIX: f64 = 51.0 + 2048.0 + 29.0;
/// Rows flushed / injected.
const NROWS: f64 = 2066.0;
/// Fixed overhead per exposure, s.
const OVERHEAD_S: f64 = 20.0;

/// Duration (s) of one exposure of a column: exptime + siflsh_p (ms, if siflsh) + flush
/// 2066 x 4 x toi_fl + readout (vend - vstart) x (4 toi_ro + 14.3 us x 2128) + injection
/// (if chinj or pumping) 2066 x (4 toi_ch + chin_dly x line time) + serial pumping
/// (vend - vstart) x (2 x 14.3 us + dwell_s) x s_tp_cnt + vertical pumping
/// (4 toi_tp + dwell_v) x v_tp_cnt + 20 s. TOIs, dwells in us.
pub fn exposure_duration_s(col: &ScriptColumn) -> f64 {
    let g = |k: &str| col.num(k).unwrap_or(0.0);
    let us = 1e-6;
    let line_s = SERIAL_PIX_S * LINE_PIX;
    let nread = (g("vend") - g("vstart")).max(0.0);
    let mut t = g("exptime");
    if g("siflsh") != 0.0 {
        t += g("siflsh_p") * 1e-3;
    }
    t += NROWS * 4.0 * g("toi_fl") * us;
    t += nread * (4.0 * g("toi_ro") * us + line_s);
    let v_pump = g("v_tpump") != 0.0;
    let s_pump = g("s_tpump") != 0.0;
    if g("chinj") != 0.0 || v_pump || s_pump {
        t += NROWS * (4.0 * g("toi_ch") * us + g("chin_dly") * line_s);
    }
    if s_pump {
        t += nread * (2.0 * SERIAL_PIX_S + g("dwell_s") * us) * g("s_tp_cnt");
    }
    if v_pump {
        t += (4.0 * g("toi_tp") + g("dwell_v")) * us * g("v_tp_cnt");
    }
    t + OVERHEAD_S
}

/// Duration (s) of a whole test: sum over columns of frames x exposure duration.
pub fn duration_s(def: &TestDef) -> f64 {
    def.columns
        .iter()
        .map(|c| f64::from(c.frames) * exposure_duration_s(c))
        .sum()
}

/// Duration of a test in minutes.
pub fn duration_min(def: &TestDef) -> f64 {
    duration_s(def) / 60.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TestOptions, test_def};

    #[test]
    fn bias_frame_by_hand() {
        let d = test_def("BIAS01", &TestOptions::default()).unwrap();
        // 0.5 s siflsh + 2066*4*143e-6 + 2086*(4e-3 + 14.3e-6*2128) + 20
        let expected = 0.5 + 2066.0 * 4.0 * 143e-6 + 2086.0 * (4e-3 + 14.3e-6 * 2128.0) + 20.0;
        assert!((exposure_duration_s(&d.columns[0]) - expected).abs() < 1e-9);
        assert!((duration_s(&d) - 25.0 * expected).abs() < 1e-6);
        // A full-frame readout is ~72 s, the OGSE ff_readout overhead.
        let readout_s: f64 = 2086.0 * (4e-3 + 14.3e-6 * 2128.0);
        assert!((readout_s - 72.0).abs() < 1.0);
    }
}
