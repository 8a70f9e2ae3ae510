//! ELVIS versions: script defaults, script key names and the EXP_LOG column that records each
//! script key (reference 2.2 and 4.1).
//!
//! Test definitions are held with the canonical (ELVIS 6.5.X) script key names and values in
//! V, s, us and mm; this module translates them to the names of any supported version.
//! The EXP_LOG names are kept here as constants (the key lists of reference 2.2); the
//! `vison-explog` crate holds the complete column lists and the [`ElvisVersion`] enum itself,
//! which this crate re-exports and extends with [`ScriptVersion`].

use std::collections::BTreeMap;

use super::value::ScriptValue;
use crate::Error;

pub use vison_explog::ElvisVersion;

/// Every version with acquisition scripts, oldest first (5.7.06-5.7.08 write the 5.7.04
/// formats; hand-written FPA logs have no scripts).
pub const ELVIS_VERSIONS: &[ElvisVersion] = &[
    ElvisVersion::V5_7_02,
    ElvisVersion::V5_7_04,
    ElvisVersion::V5_7_09,
    ElvisVersion::V6_0_0,
    ElvisVersion::V6_1_0,
    ElvisVersion::V6_3_0,
    ElvisVersion::V6_5_X,
    ElvisVersion::V7_2_X,
    ElvisVersion::V7_5_X,
];

/// Canonical script keys in ELVIS 6.5.X order (reference 4.1).
pub const CANONICAL_SCRIPT_KEYS: &[&str] = &[
    "frames", "program", "test", "IDL", "IDH", "IG1_1_T", "IG1_2_T", "IG1_3_T", "IG1_1_B",
    "IG1_2_B", "IG1_3_B", "IG2_T", "IG2_B", "OD_1_T", "OD_1_B", "OD_2_T", "OD_2_B", "OD_3_T",
    "OD_3_B", "RD_T", "RD_B", "IPHI1", "IPHI2", "IPHI3", "IPHI4", "rdmode", "flushes", "siflsh",
    "siflsh_p", "swellw", "swelldly", "inisweep", "vstart", "vend", "toi_fl", "toi_tp", "toi_ro",
    "toi_ch", "chinj", "chinj_on", "chinj_of", "id_wid", "id_dly", "chin_dly", "s_tpump",
    "s_tpmod", "v_tpump", "v_tpmod", "s_tp_cnt", "v_tp_cnt", "dwell_v", "dwell_s", "exptime",
    "shuttr", "e_shuttr", "mirr_on", "mirr_pos", "wave", "motr_on", "motr_cnt", "motr_siz",
    "source", "operator", "sn_ccd1", "sn_ccd2", "sn_ccd3", "sn_roe", "sn_rpsu", "comments",
    "roe-tab",
];

/// Script-name renames of the long-name scripts (ELVIS < 6.3.0) named by reference 4.1.
const LEGACY_SCRIPT_RENAMES: &[(&str, &str)] = &[
    ("rdmode", "readmode_1"),
    ("s_tpump", "ser_tpump"),
    ("v_tpump", "tpump"),
    ("toi_fl", "toi_flush"),
    ("wave", "wavelength"),
    ("mirr_pos", "pos_cal_mirror"),
];

/// EXP_LOG names of ELVIS 6.0.0/6.1.0 for the canonical keys that have one.
const EXPLOG_6_0: &[(&str, &str)] = &[
    ("program", "PROGRAM"),
    ("test", "TEST"),
    ("sn_ccd1", "CCD1_SN"),
    ("sn_ccd2", "CCD2_SN"),
    ("sn_ccd3", "CCD3_SN"),
    ("operator", "Operator"),
    ("exptime", "Exptime"),
    ("chinj", "Chrg_inj"),
    ("chinj_on", "On_cycle"),
    ("chinj_of", "Off_cycl"),
    ("id_wid", "pls_leng"),
    ("id_dly", "pls_del"),
    ("v_tpump", "Trappump"),
    ("s_tpmod", "TP_Ser_S"),
    ("v_tpmod", "TP_Ver_S"),
    ("dwell_v", "TP_DW_V"),
    ("dwell_s", "TP_DW_H"),
    ("toi_fl", "TOI_flsh"),
    ("toi_tp", "TOI_pump"),
    ("toi_ro", "TOI_read"),
    ("toi_ch", "TOI_CInj"),
    ("flushes", "Flushes"),
    ("vstart", "Vstart"),
    ("vend", "Vend"),
    ("motr_cnt", "M_Steps"),
    ("motr_siz", "M_St_Sze"),
    ("wave", "Wavelength"),
    ("mirr_pos", "Mirr_pos"),
    ("sn_roe", "ROE_SN"),
    ("sn_rpsu", "RPSU_SN"),
    ("IDL", "IDL_V"),
    ("IDH", "IDH_V"),
    ("IG1_1_T", "IG1_T1_V"),
    ("IG1_2_T", "IG1_T2_V"),
    ("IG1_3_T", "IG1_T3_V"),
    ("IG1_1_B", "IG1_B1_V"),
    ("IG1_2_B", "IG1_B2_V"),
    ("IG1_3_B", "IG1_B3_V"),
    ("IG2_T", "IG2_T_V"),
    ("IG2_B", "IG2_B_V"),
    ("OD_1_T", "OD_T1_V"),
    ("OD_2_T", "OD_T2_V"),
    ("OD_3_T", "OD_T3_V"),
    ("OD_1_B", "OD_B1_V"),
    ("OD_2_B", "OD_B2_V"),
    ("OD_3_B", "OD_B3_V"),
    ("RD_T", "RD_T_V"),
    ("RD_B", "RD_B_V"),
];

/// EXP_LOG names of ELVIS 5.7.x for the canonical keys that have one (single IG1/IG2 and per-CCD
/// OD/RD columns: the top values are recorded).
const EXPLOG_5_7: &[(&str, &str)] = &[
    ("program", "PROGRAM"),
    ("test", "TEST"),
    ("operator", "Operator"),
    ("exptime", "Exptime"),
    ("chinj", "Chrg_inj"),
    ("chinj_on", "On_cycle"),
    ("chinj_of", "Off_cycl"),
    ("id_wid", "pls_leng"),
    ("id_dly", "pls_del"),
    ("v_tpump", "Trappump"),
    ("s_tpmod", "TP_Ser_S"),
    ("v_tpmod", "TP_Ver_S"),
    ("dwell_v", "TP_DW_V"),
    ("dwell_s", "TP_DW_H"),
    ("toi_fl", "TOI_flu"),
    ("toi_ro", "TOI_read"),
    ("flushes", "Flushes"),
    ("vstart", "Vstart"),
    ("vend", "Vend"),
    ("motr_cnt", "M_Steps"),
    ("motr_siz", "M_St_Sze"),
    ("wave", "Wavelength"),
    ("sn_roe", "ROE_SN"),
    ("IDL", "IDL_V"),
    ("IDH", "IDH_V"),
    ("IG1_1_T", "IG1_V"),
    ("IG2_T", "IG2_V"),
    ("OD_1_T", "ODCCD1_V"),
    ("OD_2_T", "ODCCD2_V"),
    ("OD_3_T", "ODCCD3_V"),
    ("RD_T", "RDCCD1_V"),
];

/// Readout-mode dump-gate settings `[swellw, swelldly]` (reference 4.1, values after 17 Oct 2018).
pub fn sumwell(rdmode: &str) -> Option<(f64, f64)> {
    match rdmode {
        "fwd_bas" => Some((8.4, 5.625)),
        "fwd_e2v" => Some((7.15, 6.725)),
        "rwd_bas_v" => Some((8.4, 5.625)),
        "rwd_bas_s" | "rwd_bas_vs" => Some((6.5, 0.175)),
        _ => None,
    }
}

/// Script knowledge of an ELVIS version: key names, defaults and the EXP_LOG column that
/// records each script key.
pub trait ScriptVersion: Copy {
    /// Whether scripts of this version use the long key names and mV voltages (< 6.3.0).
    fn is_legacy(self) -> bool;
    /// Whether the written script ends with an "End" column (ELVIS >= 6.0.0, reference 7.2).
    fn has_end_column(self) -> bool;
    /// ELVIS script defaults with canonical key names (reference 4.1); `frames` is not included.
    fn defaults(self) -> BTreeMap<String, ScriptValue>;
    /// Canonical script keys written in a script of this version, in order (incl. `frames`).
    fn canonical_script_keys(self) -> Vec<&'static str>;
    /// Name of a canonical key in the scripts of this version.
    fn script_name(self, canonical: &str) -> &str;
    /// Canonical name of a script key of this version (inverse of [`Self::script_name`]).
    fn canonical_from_script_name(self, name: &str) -> String;
    /// EXP_LOG column of this version that records a canonical script key, if any. The
    /// IPHI1..4 keys are recorded together in `IPHI` (see [`iphi_string`]); `shuttr`,
    /// `e_shuttr`, `comments`, `roe-tab` and `frames` are not recorded, nor any key in the
    /// hand-written FPA logs.
    fn explog_key(self, canonical: &str) -> Option<&'static str>;
}

impl ScriptVersion for ElvisVersion {
    fn is_legacy(self) -> bool {
        self < ElvisVersion::V6_3_0
    }

    fn has_end_column(self) -> bool {
        self >= ElvisVersion::V6_0_0
    }

    fn defaults(self) -> BTreeMap<String, ScriptValue> {
        let mut d: BTreeMap<String, ScriptValue> = BTreeMap::new();
        let mut set = |k: &str, v: ScriptValue| {
            d.insert(k.to_string(), v);
        };
        let old = self <= ElvisVersion::V6_3_0;
        set("program", "CALCAMP".into());
        set("test", "Test".into());
        set("IDL", 13.0.into());
        set("IDH", 18.0.into());
        for k in [
            "IG1_1_T", "IG1_2_T", "IG1_3_T", "IG1_1_B", "IG1_2_B", "IG1_3_B",
        ] {
            set(k, 6.0.into());
        }
        let ig2 = if old { 5.0 } else { 2.0 };
        set("IG2_T", ig2.into());
        set("IG2_B", ig2.into());
        for k in ["OD_1_T", "OD_1_B", "OD_2_T", "OD_2_B", "OD_3_T", "OD_3_B"] {
            set(k, 26.0.into());
        }
        set("RD_T", 16.0.into());
        set("RD_B", 16.0.into());
        set("IPHI1", 1.into());
        set("IPHI2", 1.into());
        set("IPHI3", 1.into());
        set("IPHI4", 0.into());
        set("rdmode", "fwd_bas".into());
        set("flushes", 7.into());
        set("siflsh", (if old { 0 } else { 1 }).into());
        set("siflsh_p", 500.0.into());
        set("swellw", 8.4.into());
        set("swelldly", 5.625.into());
        set("inisweep", 1.into());
        set("vstart", 0.into());
        set("vend", 2086.into());
        set("toi_fl", 143.into());
        set("toi_tp", 1000.into());
        set("toi_ro", 1000.into());
        set("toi_ch", 1000.into());
        set("chinj", 0.into());
        set("chinj_on", 1.into());
        set("chinj_of", 1.into());
        set("id_wid", 100.0.into());
        set("id_dly", 1500.0.into());
        set("chin_dly", 0.into());
        set("s_tpump", 0.into());
        set("s_tpmod", 23.into());
        set("v_tpump", 0.into());
        set("v_tpmod", 123.into());
        set("s_tp_cnt", 1000.into());
        set("v_tp_cnt", 1000.into());
        set("dwell_v", 0.0.into());
        set("dwell_s", 0.0.into());
        set("exptime", 0.0.into());
        set("shuttr", 1.into());
        set("e_shuttr", 0.into());
        set("mirr_on", 0.into());
        set("mirr_pos", 70.0.into());
        set("wave", 4.into());
        set("motr_on", 0.into());
        set("motr_cnt", 2.into());
        set("motr_siz", 50.0.into());
        set("source", "flat".into());
        set("operator", "cpf".into());
        set("sn_ccd1", "CCD273-XX-X-XXX".into());
        set("sn_ccd2", "CCD273-XX-X-XXX".into());
        set("sn_ccd3", "CCD273-XX-X-XXX".into());
        set("sn_roe", "ROEXX".into());
        set("sn_rpsu", "RPSUXX".into());
        set("comments", "".into());
        if self >= ElvisVersion::V6_5_X {
            set("roe-tab", "hrdstart".into());
        }
        d
    }

    fn canonical_script_keys(self) -> Vec<&'static str> {
        CANONICAL_SCRIPT_KEYS
            .iter()
            .copied()
            .filter(|k| *k != "roe-tab" || self >= ElvisVersion::V6_5_X)
            .collect()
    }

    fn script_name(self, canonical: &str) -> &str {
        if self.is_legacy() {
            for (c, s) in LEGACY_SCRIPT_RENAMES {
                if *c == canonical {
                    return s;
                }
            }
        }
        canonical
    }

    fn canonical_from_script_name(self, name: &str) -> String {
        if self.is_legacy() {
            for (c, s) in LEGACY_SCRIPT_RENAMES {
                if *s == name {
                    return (*c).to_string();
                }
            }
        }
        name.to_string()
    }

    fn explog_key(self, canonical: &str) -> Option<&'static str> {
        match self {
            ElvisVersion::V5_7_02
            | ElvisVersion::V5_7_04
            | ElvisVersion::V5_7_06
            | ElvisVersion::V5_7_07
            | ElvisVersion::V5_7_08
            | ElvisVersion::V5_7_09 => {
                if canonical == "sn_ccd1" {
                    return Some(if self == ElvisVersion::V5_7_02 {
                        "CCD_SN"
                    } else {
                        "CCD1_SN"
                    });
                }
                if self != ElvisVersion::V5_7_02
                    && (canonical == "sn_ccd2" || canonical == "sn_ccd3")
                {
                    return Some(if canonical == "sn_ccd2" {
                        "CCD2_SN"
                    } else {
                        "CCD3_SN"
                    });
                }
                if canonical == "toi_tp" {
                    return Some(if self == ElvisVersion::V5_7_02 {
                        "TOI _pump"
                    } else {
                        "TOI_pump"
                    });
                }
                lookup(EXPLOG_5_7, canonical)
            }
            ElvisVersion::V6_0_0 | ElvisVersion::V6_1_0 => lookup(EXPLOG_6_0, canonical),
            ElvisVersion::Fpa => None,
            _ => {
                let modern = self >= ElvisVersion::V6_5_X;
                match canonical {
                    "IPHI1" | "IPHI2" | "IPHI3" | "IPHI4" => Some("IPHI"),
                    "shuttr" | "e_shuttr" | "comments" | "roe-tab" | "frames" => None,
                    "v_tpmod" => Some(if modern { "v_tp_mod" } else { "v_tpmod" }),
                    "s_tpmod" => Some(if modern { "s_tp_mod" } else { "s_tpmod" }),
                    "motr_on" => Some(if modern { "motr" } else { "motr_on" }),
                    other => CANONICAL_SCRIPT_KEYS.iter().copied().find(|k| *k == other),
                }
            }
        }
    }
}

fn lookup(table: &[(&str, &'static str)], canonical: &str) -> Option<&'static str> {
    table.iter().find(|(c, _)| *c == canonical).map(|(_, e)| *e)
}

/// The EXP_LOG `IPHI` string built from IPHI1..4 (e.g. `I1I2I3` when phases 1-3 are on).
pub fn iphi_string(values: &BTreeMap<String, ScriptValue>) -> String {
    let mut s = String::new();
    for i in 1..=4 {
        let on = values
            .get(&format!("IPHI{i}"))
            .and_then(ScriptValue::as_i64)
            .unwrap_or(0);
        if on != 0 {
            s.push_str(&format!("I{i}"));
        }
    }
    s
}

/// Parse the ELVIS version of a script: `7.5.X`, `7.5`, `7.5.3`, `6.3.0`, `5.7.02` ... (patch
/// digits are ignored for the `.X` versions); only the versions of [`ELVIS_VERSIONS`].
pub fn parse_script_version(s: &str) -> Result<ElvisVersion, Error> {
    let t = s.trim().trim_start_matches(['v', 'V']);
    let parts: Vec<&str> = t.split('.').collect();
    let major_minor = (parts.first().copied(), parts.get(1).copied());
    let patch = parts.get(2).copied();
    let v = match major_minor {
        (Some("5"), Some("7")) => match patch {
            Some("02") | Some("2") => ElvisVersion::V5_7_02,
            Some("04") | Some("4") => ElvisVersion::V5_7_04,
            Some("09") | Some("9") => ElvisVersion::V5_7_09,
            _ => return Err(Error::ElvisVersion(s.to_string())),
        },
        (Some("6"), Some("0")) => ElvisVersion::V6_0_0,
        (Some("6"), Some("1")) => ElvisVersion::V6_1_0,
        (Some("6"), Some("3")) => ElvisVersion::V6_3_0,
        (Some("6"), Some("5")) => ElvisVersion::V6_5_X,
        (Some("7"), Some("2")) => ElvisVersion::V7_2_X,
        (Some("7"), Some("5")) => ElvisVersion::V7_5_X,
        _ => return Err(Error::ElvisVersion(s.to_string())),
    };
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_versions() {
        for v in ELVIS_VERSIONS {
            assert_eq!(parse_script_version(v.as_str()).ok(), Some(*v));
        }
        assert_eq!(parse_script_version("7.5").ok(), Some(ElvisVersion::V7_5_X));
        assert_eq!(
            parse_script_version("6.5.2").ok(),
            Some(ElvisVersion::V6_5_X)
        );
        assert!(parse_script_version("8.0.0").is_err());
        assert!(parse_script_version("5.7.05").is_err());
        assert!(parse_script_version("5.7.06").is_err());
        assert!(parse_script_version("FPA").is_err());
    }

    #[test]
    fn defaults_per_version() {
        let d63 = ElvisVersion::V6_3_0.defaults();
        let d75 = ElvisVersion::V7_5_X.defaults();
        assert_eq!(d63.get("IG2_T"), Some(&ScriptValue::Float(5.0)));
        assert_eq!(d75.get("IG2_T"), Some(&ScriptValue::Float(2.0)));
        assert_eq!(d63.get("siflsh"), Some(&ScriptValue::Int(0)));
        assert_eq!(d75.get("siflsh"), Some(&ScriptValue::Int(1)));
        assert!(!d63.contains_key("roe-tab"));
        assert_eq!(d75.len() + 1, CANONICAL_SCRIPT_KEYS.len());
        assert_eq!(iphi_string(&d75), "I1I2I3");
    }

    #[test]
    fn explog_names() {
        assert_eq!(ElvisVersion::V7_5_X.explog_key("v_tpmod"), Some("v_tp_mod"));
        assert_eq!(ElvisVersion::V6_3_0.explog_key("v_tpmod"), Some("v_tpmod"));
        assert_eq!(ElvisVersion::V6_3_0.explog_key("motr_on"), Some("motr_on"));
        assert_eq!(ElvisVersion::V7_5_X.explog_key("motr_on"), Some("motr"));
        assert_eq!(ElvisVersion::V7_5_X.explog_key("shuttr"), None);
        assert_eq!(ElvisVersion::V6_0_0.explog_key("IG1_2_B"), Some("IG1_B2_V"));
        assert_eq!(
            ElvisVersion::V5_7_02.explog_key("toi_tp"),
            Some("TOI _pump")
        );
        assert_eq!(ElvisVersion::V6_0_0.script_name("rdmode"), "readmode_1");
        assert_eq!(
            ElvisVersion::V6_0_0.canonical_from_script_name("tpump"),
            "v_tpump"
        );
    }
}

#[cfg(test)]
mod explog_consistency {
    use super::*;

    #[test]
    fn every_mapped_key_is_an_explog_column_of_its_version() {
        let with_scripts = ElvisVersion::ALL
            .iter()
            .filter(|v| **v != ElvisVersion::Fpa);
        for v in with_scripts {
            let cols = v.explog_columns();
            for k in CANONICAL_SCRIPT_KEYS {
                if let Some(name) = v.explog_key(k) {
                    assert!(
                        cols.contains(&name),
                        "{v}: {k} -> {name} is not an EXP_LOG column"
                    );
                }
            }
        }
    }
}
