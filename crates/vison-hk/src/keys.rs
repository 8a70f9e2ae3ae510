//! HK key lists per ELVIS version and the keys the pipeline follows.

use vison_explog::ElvisVersion;

use crate::keys_tables as t;

/// Name of the time-stamp column written by ELVIS 6.x/7.x.
pub const TIME_COLUMN: &str = "TimeStamp";

/// HK keys of an ELVIS version, in file order, without the time-stamp column.
/// `None` for FPA logs, which have no HK.
pub fn hk_keys(version: ElvisVersion) -> Option<&'static [&'static str]> {
    let table: &'static [&'static str] = match version {
        ElvisVersion::V5_7_02 => t::KEYS_5_7_02,
        ElvisVersion::V5_7_04 => t::KEYS_5_7_04,
        ElvisVersion::V5_7_06 => t::KEYS_5_7_06,
        ElvisVersion::V5_7_07 => t::KEYS_5_7_07,
        ElvisVersion::V5_7_08 => t::KEYS_5_7_08,
        ElvisVersion::V5_7_09 => t::KEYS_5_7_09,
        ElvisVersion::V6_0_0 => t::KEYS_6_0_0,
        ElvisVersion::V6_1_0 => t::KEYS_6_1_0,
        ElvisVersion::V6_3_0 => t::KEYS_6_3_0,
        ElvisVersion::V6_5_X => t::KEYS_6_5_X,
        ElvisVersion::V7_2_X => t::KEYS_7_2_X,
        ElvisVersion::V7_5_X => t::KEYS_7_5_X,
        ElvisVersion::Fpa => return None,
    };
    Some(match table.first() {
        Some(&TIME_COLUMN) => table.get(1..).unwrap_or(&[]),
        _ => table,
    })
}

/// The ELVIS version whose HK key list best matches `keys` (time column excluded): an exact
/// match (the newest of equal lists) or else the largest overlap if at least half the keys
/// agree. `None` when nothing fits.
pub fn detect_hk_version(keys: &[String]) -> Option<ElvisVersion> {
    let have: Vec<String> = keys.iter().map(|k| k.trim().to_ascii_lowercase()).collect();
    let mut best: Option<(ElvisVersion, f64)> = None;
    for v in ElvisVersion::ALL {
        let Some(list) = hk_keys(v) else { continue };
        let want: Vec<String> = list.iter().map(|k| k.to_ascii_lowercase()).collect();
        let common = have.iter().filter(|k| want.contains(k)).count();
        let score = common as f64 / have.len().max(want.len()).max(1) as f64;
        if best.is_none_or(|(_, b)| score >= b) {
            best = Some((v, score));
        }
    }
    best.filter(|(_, s)| *s >= 0.5).map(|(v, _)| v)
}

/// True when ELVIS `version` writes per-key lines (pre-QM, 5.7.x with x <= 7) rather than
/// a time-stamped table.
pub fn is_pre_qm(version: ElvisVersion) -> bool {
    matches!(
        version,
        ElvisVersion::V5_7_02
            | ElvisVersion::V5_7_04
            | ElvisVersion::V5_7_06
            | ElvisVersion::V5_7_07
    )
}

/// Keys every test follows (vison's `HKKeys`, the duplicate `VID_PCB_TEMP_T` removed).
pub const PIPELINE_HK_KEYS: &[&str] = &[
    "CCD1_TEMP_T",
    "CCD2_TEMP_T",
    "CCD3_TEMP_T",
    "CCD1_TEMP_B",
    "CCD2_TEMP_B",
    "CCD3_TEMP_B",
    "CCD1_OD_T",
    "CCD2_OD_T",
    "CCD3_OD_T",
    "CCD1_OD_B",
    "CCD2_OD_B",
    "CCD3_OD_B",
    "COMM_RD_T",
    "COMM_RD_B",
    "VID_PCB_TEMP_T",
    "CCD1_IG1_T",
    "CCD2_IG1_T",
    "CCD3_IG1_T",
    "CCD1_IG1_B",
    "CCD2_IG1_B",
    "CCD3_IG1_B",
    "COMM_IG2_T",
    "COMM_IG2_B",
    "FPGA_BIAS_ID2",
    "VID_PCB_TEMP_B",
    "RPSU_TEMP1",
    "FPGA_PCB_TEMP_T",
    "FPGA_PCB_TEMP_B",
    "RPSU_TEMP_2",
    "FPGA_VCCD_V",
    "RPSU_VCCD_V",
    "RPSU_28V_PRI_I",
];

/// Exposure-log column holding the commanded value of an HK key (vison's `HKcorr`, with the
/// bottom IG1 of CCD2 and CCD3 mapped to `IG1_2_B`/`IG1_3_B`, not to the top values).
/// Keys without a commanded value give `None`. Only ELVIS 6.3.0 and later have it.
pub fn commanded_column(version: ElvisVersion, hk_key: &str) -> Option<&'static str> {
    if !matches!(
        version,
        ElvisVersion::V6_3_0 | ElvisVersion::V6_5_X | ElvisVersion::V7_2_X | ElvisVersion::V7_5_X
    ) {
        return None;
    }
    Some(match hk_key.trim() {
        "CCD1_OD_T" => "OD_1_T",
        "CCD2_OD_T" => "OD_2_T",
        "CCD3_OD_T" => "OD_3_T",
        "CCD1_OD_B" => "OD_1_B",
        "CCD2_OD_B" => "OD_2_B",
        "CCD3_OD_B" => "OD_3_B",
        "COMM_RD_T" => "RD_T",
        "COMM_RD_B" => "RD_B",
        "CCD1_IG1_T" => "IG1_1_T",
        "CCD2_IG1_T" => "IG1_2_T",
        "CCD3_IG1_T" => "IG1_3_T",
        "CCD1_IG1_B" => "IG1_1_B",
        "CCD2_IG1_B" => "IG1_2_B",
        "CCD3_IG1_B" => "IG1_3_B",
        "COMM_IG2_T" => "IG2_T",
        "COMM_IG2_B" => "IG2_B",
        "FPGA_BIAS_ID1" => "IDH",
        "FPGA_BIAS_ID2" => "IDL",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_counts_per_version() {
        let n = |v| hk_keys(v).map(<[&str]>::len);
        assert_eq!(n(ElvisVersion::V5_7_02), Some(53));
        assert_eq!(n(ElvisVersion::V5_7_04), Some(53));
        assert_eq!(n(ElvisVersion::V5_7_06), Some(53));
        assert_eq!(n(ElvisVersion::V5_7_07), Some(55));
        assert_eq!(n(ElvisVersion::V5_7_09), Some(55));
        assert_eq!(n(ElvisVersion::V6_0_0), Some(60));
        assert_eq!(n(ElvisVersion::V6_3_0), Some(71));
        assert_eq!(n(ElvisVersion::V6_5_X), Some(75));
        assert_eq!(n(ElvisVersion::V7_2_X), Some(79));
        assert_eq!(n(ElvisVersion::V7_5_X), Some(82));
        assert_eq!(n(ElvisVersion::Fpa), None);
        let k75 = hk_keys(ElvisVersion::V7_5_X).unwrap_or(&[]);
        assert_eq!(k75.first(), Some(&"CCD3_OD_T"));
        assert!(k75.contains(&"CDPUClkSw") && !k75.contains(&"CDPUClkSt"));
        let k72 = hk_keys(ElvisVersion::V7_2_X).unwrap_or(&[]);
        assert!(
            k72.contains(&"CDPUClkLost")
                && k72.contains(&"CDPUClkSt")
                && !k72.contains(&"fpgaSpwErr")
        );
        let k63 = hk_keys(ElvisVersion::V6_3_0).unwrap_or(&[]);
        assert_eq!(k63.first(), Some(&"CCD1_OD_T"));
    }

    #[test]
    fn detects_versions_from_keys() {
        for v in [
            ElvisVersion::V5_7_09,
            ElvisVersion::V6_1_0,
            ElvisVersion::V6_3_0,
            ElvisVersion::V6_5_X,
            ElvisVersion::V7_2_X,
            ElvisVersion::V7_5_X,
        ] {
            let keys: Vec<String> = hk_keys(v)
                .unwrap_or(&[])
                .iter()
                .map(|k| format!(" {k} "))
                .collect();
            assert_eq!(detect_hk_version(&keys), Some(v));
        }
        assert_eq!(detect_hk_version(&["foo".to_string()]), None);
    }

    #[test]
    fn correspondence_fixes_bottom_ig1() {
        let v = ElvisVersion::V7_5_X;
        assert_eq!(commanded_column(v, "CCD2_IG1_B"), Some("IG1_2_B"));
        assert_eq!(commanded_column(v, "CCD3_IG1_B"), Some("IG1_3_B"));
        assert_eq!(commanded_column(v, "CCD1_IG1_B"), Some("IG1_1_B"));
        assert_eq!(commanded_column(v, "FPGA_BIAS_ID1"), Some("IDH"));
        assert_eq!(commanded_column(v, "FPGA_BIAS_ID2"), Some("IDL"));
        assert_eq!(commanded_column(v, "CCD1_TEMP_T"), None);
        assert_eq!(commanded_column(ElvisVersion::V6_0_0, "CCD1_OD_T"), None);
        // Every pipeline key exists in 7.5.X.
        let k = hk_keys(v).unwrap_or(&[]);
        assert!(PIPELINE_HK_KEYS.iter().all(|p| k.contains(p)));
    }
}
