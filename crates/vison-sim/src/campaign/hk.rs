//! House-keeping files of the campaign: one per exposure (`HK_<ObsID>_<date>_ROE1.txt`, one
//! reading per second) and the daily master file (`HK_<dd-mm-yy>_ROE1.txt`) holding every
//! reading of the day. Commanded voltages are read back with small noise, temperatures are
//! in range and every other channel sits mid-way in its limits (reference 3.3).

use std::fmt::Write as _;
use std::path::Path;

use chrono::Duration;

use super::CampaignConfig;
use super::files::write_atomic;
use super::plan::PlannedExposure;
use super::rng::{Stream, derived_rng};
use crate::Error;
use crate::effects::standard_normal;
use crate::testdefs::{ElvisVersion, ScriptValue};

/// Offset added to CCD1_OD_T by the `hk-ool` fault (V), far outside the +/-0.2 V limits.
pub(crate) const OOL_OFFSET_V: f64 = 1.0;
/// Readings per exposure file (the reference generator writes 71 at 1 Hz).
const READINGS: usize = 71;
/// HK time-stamp format.
const HK_TIME: &str = "%d-%m-%y_%H:%M:%S";

/// Analogue channel sources.
#[derive(Clone, Copy)]
enum Src {
    /// A commanded script value (canonical key) read back with noise of this sigma (V).
    Cmd(&'static str),
    /// CCD temperature (ccd 1..3, top).
    Temp(usize, bool),
    /// A constant with noise sigma.
    Const(f64, f64),
    /// A flag / counter (integer).
    Flag(i64),
}

fn analogue_keys() -> Vec<(String, Src)> {
    let mut k: Vec<(String, Src)> = Vec::new();
    for half in ["T", "B"] {
        let top = half == "T";
        let ig1 = |n: u8| -> &'static str {
            match (n, top) {
                (1, true) => "IG1_1_T",
                (2, true) => "IG1_2_T",
                (3, true) => "IG1_3_T",
                (1, false) => "IG1_1_B",
                (2, false) => "IG1_2_B",
                _ => "IG1_3_B",
            }
        };
        let od = |n: u8| -> &'static str {
            match (n, top) {
                (1, true) => "OD_1_T",
                (2, true) => "OD_2_T",
                (3, true) => "OD_3_T",
                (1, false) => "OD_1_B",
                (2, false) => "OD_2_B",
                _ => "OD_3_B",
            }
        };
        k.push((format!("CCD1_OD_{half}"), Src::Cmd(od(1))));
        k.push((format!("CCD2_OD_{half}"), Src::Cmd(od(2))));
        k.push((format!("CCD3_OD_{half}"), Src::Cmd(od(3))));
        k.push((
            format!("COMM_RD_{half}"),
            Src::Cmd(if top { "RD_T" } else { "RD_B" }),
        ));
        k.push((format!("CCD2_IG1_{half}"), Src::Cmd(ig1(2))));
        k.push((format!("CCD3_IG1_{half}"), Src::Cmd(ig1(3))));
        k.push((format!("CCD1_TEMP_{half}"), Src::Temp(1, top)));
        k.push((format!("CCD2_TEMP_{half}"), Src::Temp(2, top)));
        k.push((format!("CCD3_TEMP_{half}"), Src::Temp(3, top)));
        k.push((format!("CCD1_IG1_{half}"), Src::Cmd(ig1(1))));
        k.push((
            format!("COMM_IG2_{half}"),
            Src::Cmd(if top { "IG2_T" } else { "IG2_B" }),
        ));
        k.push((format!("VID_PCB_TEMP_{half}"), Src::Const(22.0, 0.05)));
        k.push((format!("FPGA_PCB_TEMP_{half}"), Src::Const(25.0, 0.05)));
    }
    for (name, src) in [
        ("FPGA_BIAS_DD", Src::Const(22.0, 0.01)),
        ("FPGA_BIAS_OG", Src::Const(2.0, 0.01)),
        ("FPGA_BIAS_ID1", Src::Cmd("IDH")),
        ("FPGA_BIAS_ID2", Src::Cmd("IDL")),
        ("FPGA_BIAS_ID_T", Src::Cmd("IDL")),
        ("FPGA_BIAS_ID_B", Src::Cmd("IDL")),
        ("FPGA_VRCLK_V", Src::Const(10.0, 0.01)),
        ("FPGA_10VA_P_V", Src::Const(10.0, 0.01)),
        ("FPGA_VICLK_V", Src::Const(8.0, 0.01)),
        ("FPGA_5VA_P_V", Src::Const(5.0, 0.005)),
        ("FPGA_5VREF_V", Src::Const(5.0, 0.002)),
        ("FPGA_VCCD_V", Src::Const(30.0, 0.01)),
        ("FPGA_1V5VD_P_V", Src::Const(1.5, 0.002)),
        ("FPGA_3V2_N_V", Src::Const(-3.2, 0.005)),
        ("FPGA_5VA_N_V", Src::Const(-5.4, 0.005)),
        ("RPSU_VCCD_V", Src::Const(33.8, 0.01)),
        ("RPSU_VCLK_V", Src::Const(12.75, 0.01)),
        ("RPSU_VAN_P_V", Src::Const(7.1, 0.005)),
        ("RPSU_VAN_N_V", Src::Const(-7.1, 0.005)),
        ("RPSU_3V3VD_V", Src::Const(3.35, 0.002)),
        ("RPSU_1V5VD_V", Src::Const(1.505, 0.002)),
        ("RPSU_28V_PRI_V", Src::Const(27.5, 0.01)),
        ("RPSU_TEMP1", Src::Const(25.0, 0.05)),
        ("RPSU_VCCD_I", Src::Const(0.05, 0.001)),
        ("RPSU_VCLK_I", Src::Const(0.05, 0.001)),
        ("RPSU_VAN_P_I", Src::Const(0.3, 0.002)),
        ("RPSU_VAN_N_I", Src::Const(0.3, 0.002)),
        ("RPSU_3V3VD_I", Src::Const(0.075, 0.001)),
        ("RPSU_1V5VD_I", Src::Const(0.075, 0.001)),
        ("RPSU_28V_PRI_I", Src::Const(0.42, 0.002)),
        ("RPSU_TEMP_2", Src::Const(25.0, 0.05)),
    ] {
        k.push((name.to_string(), src));
    }
    k
}

/// HK key list (TimeStamp excluded) of an ELVIS version with the source of each channel
/// (reference 3.2; versions before 6.3.0 are written with the 6.3.0 list).
fn hk_keys(elvis: ElvisVersion) -> Vec<(String, Src)> {
    let mut keys = analogue_keys();
    if elvis >= ElvisVersion::V6_5_X {
        // 6.5.X order of the first block: CCD3_OD_T CCD2_OD_T CCD1_OD_T COMM_RD_T CCD2_IG1_T
        // CCD1_IG1_T CCD3_TEMP_T CCD2_TEMP_T CCD1_TEMP_T CCD3_IG1_T COMM_IG2_T ...
        const PERM: [usize; 13] = [2, 1, 0, 3, 4, 9, 8, 7, 6, 5, 10, 11, 12];
        let old = keys.clone();
        for block in 0..2 {
            for (j, &p) in PERM.iter().enumerate() {
                keys[block * 13 + j] = old[block * 13 + p].clone();
            }
        }
    }
    let flags: &[&str] = match elvis {
        ElvisVersion::V7_5_X => &[
            "ProtOvRideFlg",
            "hkInvalidFlg",
            "SPI_Inh_n",
            "3v3ProtErr",
            "5vProtErr",
            "V3v3ProtCnt",
            "V5ProtCnt",
            "VccdErrFlg",
            "VclkErrFlg",
            "VanErrFlg",
            "dacExeErr",
            "hkTmErr",
            "spwTmTOFlg",
            "spwTmRspErrFlg",
            "spwTcPktErrFlg",
            "adcBsyErrFlg",
            "CDPUClkSw",
            "hkRamErr",
            "ADC_BSY_ERR_CNT",
            "pixelToErr",
            "spwStatus",
            "spwTmPtypeFlag",
            "TwoCmdsErr",
            "SPW_STATUS_REG",
            "Out_of_range",
        ],
        ElvisVersion::V7_2_X => &[
            "ProtOvRideFlg",
            "hkInvalidFlg",
            "SPI_Inh_n",
            "3v3ProtErr",
            "5vProtErr",
            "V3v3ProtCnt",
            "V5ProtCnt",
            "VccdErrFlg",
            "VclkErrFlg",
            "VanErrFlg",
            "dacExeErr",
            "hkTmErr",
            "spwTmTOFlg",
            "spwTmRspErrFlg",
            "spwTcPktErrFlg",
            "adcBsyErrFlg",
            "CDPUClkSt",
            "CDPUClkLost",
            "hkRamErr",
            "ADC_BSY_ERR_CNT",
            "SPW_STATUS_REG",
            "Out_of_range",
        ],
        ElvisVersion::V6_5_X => &[
            "ProtOvRideFlg",
            "hkInvalidFlg",
            "SPI_Inh_n",
            "3v3ProtErr",
            "5vProtErr",
            "V3v3ProtCnt",
            "V5ProtCnt",
            "VccdErrFlg",
            "VclkErrFlg",
            "VanErrFlg",
            "hkTmErr",
            "spwTmTOFlg",
            "CDPUClkSt",
            "fpgaSpwErr",
            "hkRamErr",
            "ADC_BSY_ERR_CNT",
            "SPW_STATUS_REG",
            "Out_of_range",
        ],
        _ => &[
            "stTMRErrFlg",
            "hkTMRErrFlg",
            "spwTmTOFlg",
            "CDPUClkSt",
            "fpgaSpwErr",
            "V3v3ProtCnt",
            "V5ProtCnt",
            "VccdErrFlg",
            "VclkErrFlg",
            "VanErrFlg",
            "stRamErr",
            "hkRamErr",
            "ADC_BSY_ERR_CNT",
            "SPW_STATUS_REG",
        ],
    };
    for f in flags {
        let v = if *f == "SPW_STATUS_REG" { 12192 } else { 0 };
        keys.push(((*f).to_string(), Src::Flag(v)));
    }
    keys
}

fn cmd(values: &crate::testdefs::Values, key: &str) -> f64 {
    values.get(key).and_then(ScriptValue::as_f64).unwrap_or(0.0)
}

/// Writes the per-exposure HK files and the daily master file. `temps[i][ccd][top/bottom]`
/// are the CCD temperatures of exposure `i`; `ool` is the index of the exposure that gets the
/// `hk-ool` fault.
pub(crate) fn write_hk(
    day_dir: &Path,
    cfg: &CampaignConfig,
    exposures: &[PlannedExposure],
    temps: &[[[f64; 2]; 3]],
    ool: Option<usize>,
) -> Result<(), Error> {
    let keys = hk_keys(cfg.elvis);
    let mut header = String::from("TimeStamp");
    for (k, _) in &keys {
        header.push('\t');
        header.push_str(k);
    }
    header.push('\n');
    let mut master = header.clone();
    for (i, exp) in exposures.iter().enumerate() {
        let mut rng = derived_rng(cfg.seed, Stream::Hk, exp.obsid, 0, 0);
        let t = temps.get(i).copied().unwrap_or([[-120.0; 2]; 3]);
        let mut body = String::new();
        for r in 0..READINGS {
            let ts = (exp.start + Duration::seconds(r as i64)).format(HK_TIME);
            let _infallible = write!(body, "{ts}");
            for (name, src) in &keys {
                let v = match *src {
                    Src::Cmd(k) => {
                        let mut v = cmd(&exp.values, k) + 0.005 * standard_normal(&mut rng);
                        if ool == Some(i) && name == "CCD1_OD_T" {
                            v += OOL_OFFSET_V;
                        }
                        v
                    }
                    Src::Temp(c, top) => {
                        t[c - 1][usize::from(!top)] + 0.02 * standard_normal(&mut rng)
                    }
                    Src::Const(m, s) => m + s * standard_normal(&mut rng),
                    Src::Flag(f) => {
                        let _infallible = write!(body, "\t{f}");
                        continue;
                    }
                };
                let _infallible = write!(body, "\t{v:.3}");
            }
            body.push('\n');
        }
        let name = vison_explog::hk_file_name(exp.obsid as i64, exp.start, 1);
        write_atomic(&day_dir.join(name), format!("{header}{body}").as_bytes())?;
        master.push_str(&body);
    }
    let master_name = vison_explog::hk_master_file_name(cfg.start.date(), 1, None);
    write_atomic(&day_dir.join(master_name), master.as_bytes())
}
