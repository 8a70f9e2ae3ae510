//! HK limits tables, one independent table per ELVIS version (reference section 3.3).
//!
//! Each entry: key, performance (P) limit, safe (S) limit.

use crate::limits::Limit;

/// One limits entry: key, performance limit, safe limit.
pub(crate) type LimitDef = (&'static str, Limit, Limit);

/// ELVIS 6.3.0 (SPW_STATUS_REG '2FA0' = 12192) (71 keys).
pub(crate) const LIMITS_6_3_0: &[LimitDef] = &[
    (
        "CCD1_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD1_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "COMM_RD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "COMM_RD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "CCD1_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD1_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "VID_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "VID_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_BIAS_DD",
        Limit::Absolute { lo: 21.8, hi: 22.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "FPGA_BIAS_OG",
        Limit::Absolute { lo: 1.8, hi: 2.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "FPGA_BIAS_ID1",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID2",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_T",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_B",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_VRCLK_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_10VA_P_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_VICLK_V",
        Limit::Absolute { lo: 7.2, hi: 8.8 },
        Limit::Absolute { lo: 7.2, hi: 8.8 },
    ),
    (
        "FPGA_5VA_P_V",
        Limit::Absolute { lo: 4.75, hi: 5.25 },
        Limit::Absolute { lo: 4.75, hi: 5.25 },
    ),
    (
        "FPGA_5VREF_V",
        Limit::Absolute { lo: 4.9, hi: 5.1 },
        Limit::Absolute { lo: 4.9, hi: 5.1 },
    ),
    (
        "FPGA_VCCD_V",
        Limit::Absolute { lo: 29.5, hi: 30.5 },
        Limit::Absolute { lo: 29.5, hi: 30.5 },
    ),
    (
        "FPGA_1V5VD_P_V",
        Limit::Absolute { lo: 1.45, hi: 1.55 },
        Limit::Absolute { lo: 1.45, hi: 1.55 },
    ),
    (
        "FPGA_3V2_N_V",
        Limit::Absolute { lo: -3.7, hi: -2.7 },
        Limit::Absolute { lo: -3.7, hi: -2.7 },
    ),
    (
        "FPGA_5VA_N_V",
        Limit::Absolute { lo: -5.9, hi: -4.9 },
        Limit::Absolute { lo: -5.9, hi: -4.9 },
    ),
    (
        "RPSU_VCCD_V",
        Limit::Absolute { lo: 31.6, hi: 36.0 },
        Limit::Absolute { lo: 31.6, hi: 36.0 },
    ),
    (
        "RPSU_VCLK_V",
        Limit::Absolute { lo: 11.5, hi: 14.0 },
        Limit::Absolute { lo: 11.5, hi: 14.0 },
    ),
    (
        "RPSU_VAN_P_V",
        Limit::Absolute { lo: 6.0, hi: 8.2 },
        Limit::Absolute { lo: 6.0, hi: 8.2 },
    ),
    (
        "RPSU_VAN_N_V",
        Limit::Absolute { lo: -8.2, hi: -6.0 },
        Limit::Absolute { lo: -8.2, hi: -6.0 },
    ),
    (
        "RPSU_3V3VD_V",
        Limit::Absolute { lo: 3.1, hi: 3.6 },
        Limit::Absolute { lo: 3.1, hi: 3.6 },
    ),
    (
        "RPSU_1V5VD_V",
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
    ),
    (
        "RPSU_28V_PRI_V",
        Limit::Absolute { lo: 26.0, hi: 29.0 },
        Limit::Absolute { lo: 26.0, hi: 29.0 },
    ),
    (
        "RPSU_TEMP1",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_TEMP_2",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_VCCD_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VCLK_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VAN_P_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_VAN_N_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_3V3VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_1V5VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_28V_PRI_I",
        Limit::Absolute { lo: 0.35, hi: 0.5 },
        Limit::Absolute { lo: 0.35, hi: 0.5 },
    ),
    ("stTMRErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkTMRErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmTOFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("CDPUClkSt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("fpgaSpwErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V3v3ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V5ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VccdErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VclkErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VanErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("stRamErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkRamErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    (
        "ADC_BSY_ERR_CNT",
        Limit::Identity(0.0),
        Limit::Identity(0.0),
    ),
    (
        "SPW_STATUS_REG",
        Limit::Identity(12192.0),
        Limit::Identity(12192.0),
    ),
];

/// ELVIS 6.5.X (75 keys).
pub(crate) const LIMITS_6_5_X: &[LimitDef] = &[
    (
        "CCD1_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD1_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "COMM_RD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "COMM_RD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "CCD1_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD1_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "VID_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "VID_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_BIAS_DD",
        Limit::Absolute { lo: 21.8, hi: 22.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "FPGA_BIAS_OG",
        Limit::Absolute { lo: 1.8, hi: 2.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "FPGA_BIAS_ID1",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID2",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_T",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_B",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_VRCLK_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_10VA_P_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_VICLK_V",
        Limit::Absolute { lo: 7.2, hi: 8.8 },
        Limit::Absolute { lo: 7.2, hi: 8.8 },
    ),
    (
        "FPGA_5VA_P_V",
        Limit::Absolute { lo: 4.75, hi: 5.25 },
        Limit::Absolute { lo: 4.75, hi: 5.25 },
    ),
    (
        "FPGA_5VREF_V",
        Limit::Absolute { lo: 4.9, hi: 5.1 },
        Limit::Absolute { lo: 4.9, hi: 5.1 },
    ),
    (
        "FPGA_VCCD_V",
        Limit::Absolute { lo: 29.5, hi: 30.5 },
        Limit::Absolute { lo: 29.5, hi: 30.5 },
    ),
    (
        "FPGA_1V5VD_P_V",
        Limit::Absolute { lo: 1.45, hi: 1.55 },
        Limit::Absolute { lo: 1.45, hi: 1.55 },
    ),
    (
        "FPGA_3V2_N_V",
        Limit::Absolute { lo: -3.7, hi: -2.7 },
        Limit::Absolute { lo: -3.7, hi: -2.7 },
    ),
    (
        "FPGA_5VA_N_V",
        Limit::Absolute { lo: -5.9, hi: -4.9 },
        Limit::Absolute { lo: -5.9, hi: -4.9 },
    ),
    (
        "RPSU_VCCD_V",
        Limit::Absolute { lo: 31.6, hi: 36.0 },
        Limit::Absolute { lo: 31.6, hi: 36.0 },
    ),
    (
        "RPSU_VCLK_V",
        Limit::Absolute { lo: 11.5, hi: 14.0 },
        Limit::Absolute { lo: 11.5, hi: 14.0 },
    ),
    (
        "RPSU_VAN_P_V",
        Limit::Absolute { lo: 6.0, hi: 8.2 },
        Limit::Absolute { lo: 6.0, hi: 8.2 },
    ),
    (
        "RPSU_VAN_N_V",
        Limit::Absolute { lo: -8.2, hi: -6.0 },
        Limit::Absolute { lo: -8.2, hi: -6.0 },
    ),
    (
        "RPSU_3V3VD_V",
        Limit::Absolute { lo: 3.1, hi: 3.6 },
        Limit::Absolute { lo: 3.1, hi: 3.6 },
    ),
    (
        "RPSU_1V5VD_V",
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
    ),
    (
        "RPSU_28V_PRI_V",
        Limit::Absolute { lo: 26.0, hi: 29.0 },
        Limit::Absolute { lo: 26.0, hi: 29.0 },
    ),
    (
        "RPSU_TEMP1",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_TEMP_2",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_VCCD_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VCLK_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VAN_P_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_VAN_N_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_3V3VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_1V5VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_28V_PRI_I",
        Limit::Absolute { lo: 0.35, hi: 0.5 },
        Limit::Absolute { lo: 0.35, hi: 0.5 },
    ),
    ("ProtOvRideFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkInvalidFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("SPI_Inh_n", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("3v3ProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("5vProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V3v3ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V5ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VccdErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VclkErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VanErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkTmErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmTOFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("CDPUClkSt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("fpgaSpwErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkRamErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    (
        "ADC_BSY_ERR_CNT",
        Limit::Identity(0.0),
        Limit::Identity(0.0),
    ),
    (
        "SPW_STATUS_REG",
        Limit::Identity(12192.0),
        Limit::Identity(12192.0),
    ),
    ("Out_of_range", Limit::Identity(0.0), Limit::Identity(0.0)),
];

/// ELVIS 7.2.X (79 keys).
pub(crate) const LIMITS_7_2_X: &[LimitDef] = &[
    (
        "CCD1_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD1_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "COMM_RD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "COMM_RD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "CCD1_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD1_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "VID_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "VID_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_BIAS_DD",
        Limit::Absolute { lo: 21.8, hi: 22.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "FPGA_BIAS_OG",
        Limit::Absolute { lo: 1.8, hi: 2.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "FPGA_BIAS_ID1",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID2",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_T",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_B",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_VRCLK_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_10VA_P_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_VICLK_V",
        Limit::Absolute { lo: 7.2, hi: 8.8 },
        Limit::Absolute { lo: 7.2, hi: 8.8 },
    ),
    (
        "FPGA_5VA_P_V",
        Limit::Absolute { lo: 4.75, hi: 5.25 },
        Limit::Absolute { lo: 4.75, hi: 5.25 },
    ),
    (
        "FPGA_5VREF_V",
        Limit::Absolute { lo: 4.9, hi: 5.1 },
        Limit::Absolute { lo: 4.9, hi: 5.1 },
    ),
    (
        "FPGA_VCCD_V",
        Limit::Absolute { lo: 29.5, hi: 30.5 },
        Limit::Absolute { lo: 29.5, hi: 30.5 },
    ),
    (
        "FPGA_1V5VD_P_V",
        Limit::Absolute { lo: 1.45, hi: 1.55 },
        Limit::Absolute { lo: 1.45, hi: 1.55 },
    ),
    (
        "FPGA_3V2_N_V",
        Limit::Absolute { lo: -3.7, hi: -2.7 },
        Limit::Absolute { lo: -3.7, hi: -2.7 },
    ),
    (
        "FPGA_5VA_N_V",
        Limit::Absolute { lo: -5.9, hi: -4.9 },
        Limit::Absolute { lo: -5.9, hi: -4.9 },
    ),
    (
        "RPSU_VCCD_V",
        Limit::Absolute { lo: 31.6, hi: 36.0 },
        Limit::Absolute { lo: 31.6, hi: 36.0 },
    ),
    (
        "RPSU_VCLK_V",
        Limit::Absolute { lo: 11.5, hi: 14.0 },
        Limit::Absolute { lo: 11.5, hi: 14.0 },
    ),
    (
        "RPSU_VAN_P_V",
        Limit::Absolute { lo: 6.0, hi: 8.2 },
        Limit::Absolute { lo: 6.0, hi: 8.2 },
    ),
    (
        "RPSU_VAN_N_V",
        Limit::Absolute { lo: -8.2, hi: -6.0 },
        Limit::Absolute { lo: -8.2, hi: -6.0 },
    ),
    (
        "RPSU_3V3VD_V",
        Limit::Absolute { lo: 3.1, hi: 3.6 },
        Limit::Absolute { lo: 3.1, hi: 3.6 },
    ),
    (
        "RPSU_1V5VD_V",
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
    ),
    (
        "RPSU_28V_PRI_V",
        Limit::Absolute { lo: 26.0, hi: 29.0 },
        Limit::Absolute { lo: 26.0, hi: 29.0 },
    ),
    (
        "RPSU_TEMP1",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_TEMP_2",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_VCCD_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VCLK_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VAN_P_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_VAN_N_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_3V3VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_1V5VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_28V_PRI_I",
        Limit::Absolute { lo: 0.35, hi: 0.5 },
        Limit::Absolute { lo: 0.35, hi: 0.5 },
    ),
    ("ProtOvRideFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkInvalidFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("SPI_Inh_n", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("3v3ProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("5vProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V3v3ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V5ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VccdErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VclkErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VanErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("dacExeErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkTmErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmTOFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmRspErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTcPktErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("adcBsyErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("CDPUClkSt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("CDPUClkLost", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkRamErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    (
        "ADC_BSY_ERR_CNT",
        Limit::Identity(0.0),
        Limit::Identity(0.0),
    ),
    (
        "SPW_STATUS_REG",
        Limit::Identity(12192.0),
        Limit::Identity(12192.0),
    ),
    ("Out_of_range", Limit::Identity(0.0), Limit::Identity(0.0)),
];

/// ELVIS 7.5.X (82 keys).
pub(crate) const LIMITS_7_5_X: &[LimitDef] = &[
    (
        "CCD1_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD1_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD2_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "CCD3_OD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "COMM_RD_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "COMM_RD_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "CCD1_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD2_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD3_IG1_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_T",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "COMM_IG2_B",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "CCD1_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD1_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD2_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_T",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "CCD3_TEMP_B",
        Limit::Absolute {
            lo: -121.0,
            hi: -119.0,
        },
        Limit::Absolute {
            lo: -133.0,
            hi: 35.0,
        },
    ),
    (
        "VID_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "VID_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_T",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_PCB_TEMP_B",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "FPGA_BIAS_DD",
        Limit::Absolute { lo: 21.8, hi: 22.2 },
        Limit::Absolute { lo: -0.3, hi: 30.0 },
    ),
    (
        "FPGA_BIAS_OG",
        Limit::Absolute { lo: 1.8, hi: 2.2 },
        Limit::Absolute {
            lo: -20.0,
            hi: 20.0,
        },
    ),
    (
        "FPGA_BIAS_ID1",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID2",
        Limit::Relative { lo: -0.2, hi: 0.2 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_T",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_BIAS_ID_B",
        Limit::Absolute { lo: -0.3, hi: 25.0 },
        Limit::Absolute { lo: -0.3, hi: 25.0 },
    ),
    (
        "FPGA_VRCLK_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_10VA_P_V",
        Limit::Absolute { lo: 9.0, hi: 11.0 },
        Limit::Absolute { lo: 9.0, hi: 11.0 },
    ),
    (
        "FPGA_VICLK_V",
        Limit::Absolute { lo: 7.2, hi: 8.8 },
        Limit::Absolute { lo: 7.2, hi: 8.8 },
    ),
    (
        "FPGA_5VA_P_V",
        Limit::Absolute { lo: 4.75, hi: 5.25 },
        Limit::Absolute { lo: 4.75, hi: 5.25 },
    ),
    (
        "FPGA_5VREF_V",
        Limit::Absolute { lo: 4.9, hi: 5.1 },
        Limit::Absolute { lo: 4.9, hi: 5.1 },
    ),
    (
        "FPGA_VCCD_V",
        Limit::Absolute { lo: 29.5, hi: 30.5 },
        Limit::Absolute { lo: 29.5, hi: 30.5 },
    ),
    (
        "FPGA_1V5VD_P_V",
        Limit::Absolute { lo: 1.45, hi: 1.55 },
        Limit::Absolute { lo: 1.45, hi: 1.55 },
    ),
    (
        "FPGA_3V2_N_V",
        Limit::Absolute { lo: -3.7, hi: -2.7 },
        Limit::Absolute { lo: -3.7, hi: -2.7 },
    ),
    (
        "FPGA_5VA_N_V",
        Limit::Absolute { lo: -5.9, hi: -4.9 },
        Limit::Absolute { lo: -5.9, hi: -4.9 },
    ),
    (
        "RPSU_VCCD_V",
        Limit::Absolute { lo: 31.6, hi: 36.0 },
        Limit::Absolute { lo: 31.6, hi: 36.0 },
    ),
    (
        "RPSU_VCLK_V",
        Limit::Absolute { lo: 11.5, hi: 14.0 },
        Limit::Absolute { lo: 11.5, hi: 14.0 },
    ),
    (
        "RPSU_VAN_P_V",
        Limit::Absolute { lo: 6.0, hi: 8.2 },
        Limit::Absolute { lo: 6.0, hi: 8.2 },
    ),
    (
        "RPSU_VAN_N_V",
        Limit::Absolute { lo: -8.2, hi: -6.0 },
        Limit::Absolute { lo: -8.2, hi: -6.0 },
    ),
    (
        "RPSU_3V3VD_V",
        Limit::Absolute { lo: 3.1, hi: 3.6 },
        Limit::Absolute { lo: 3.1, hi: 3.6 },
    ),
    (
        "RPSU_1V5VD_V",
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
        Limit::Absolute {
            lo: 1.435,
            hi: 1.575,
        },
    ),
    (
        "RPSU_28V_PRI_V",
        Limit::Absolute { lo: 26.0, hi: 29.0 },
        Limit::Absolute { lo: 26.0, hi: 29.0 },
    ),
    (
        "RPSU_TEMP1",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_TEMP_2",
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
        Limit::Absolute {
            lo: -10.0,
            hi: 40.0,
        },
    ),
    (
        "RPSU_VCCD_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VCLK_I",
        Limit::Absolute { lo: 0.0, hi: 0.1 },
        Limit::Absolute { lo: 0.0, hi: 0.1 },
    ),
    (
        "RPSU_VAN_P_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_VAN_N_I",
        Limit::Absolute { lo: 0.0, hi: 0.6 },
        Limit::Absolute { lo: 0.0, hi: 0.6 },
    ),
    (
        "RPSU_3V3VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_1V5VD_I",
        Limit::Absolute { lo: 0.0, hi: 0.15 },
        Limit::Absolute { lo: 0.0, hi: 0.15 },
    ),
    (
        "RPSU_28V_PRI_I",
        Limit::Absolute { lo: 0.35, hi: 0.5 },
        Limit::Absolute { lo: 0.35, hi: 0.5 },
    ),
    ("ProtOvRideFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkInvalidFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("SPI_Inh_n", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("3v3ProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("5vProtErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V3v3ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("V5ProtCnt", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VccdErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VclkErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("VanErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("dacExeErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkTmErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmTOFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmRspErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTcPktErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("adcBsyErrFlg", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("CDPUClkSw", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("hkRamErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    (
        "ADC_BSY_ERR_CNT",
        Limit::Identity(0.0),
        Limit::Identity(0.0),
    ),
    ("pixelToErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwStatus", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("spwTmPtypeFlag", Limit::Identity(0.0), Limit::Identity(0.0)),
    ("TwoCmdsErr", Limit::Identity(0.0), Limit::Identity(0.0)),
    (
        "SPW_STATUS_REG",
        Limit::Identity(12192.0),
        Limit::Identity(12192.0),
    ),
    ("Out_of_range", Limit::Identity(0.0), Limit::Identity(0.0)),
];
