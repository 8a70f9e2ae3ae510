//! ELVIS date-times, day folders and file names (exposure logs, FITS frames, HK files).

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use crate::error::{Error, Result};

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Two-digit year rule of the exposure-log dates: 00-68 means 20xx, 69-99 means 19xx
/// (only the last two digits of `yy` count).
///
/// The original mapped only years below 20 to 20xx, so its 2020-2022 campaign dates read as
/// 1920-1922 (a known bug, not reproduced): VIS ground data span 2016 onwards, and this rule
/// (Python's `%y` pivot, also used for HK time stamps) reads them all correctly.
pub fn elvis_year(yy: u32) -> i32 {
    strptime_year(yy)
}

/// Two-digit year rule of Python's `%y` (HK time stamps and master HK names):
/// 00-68 means 20xx, 69-99 means 19xx (only the last two digits of `yy` count).
pub fn strptime_year(yy: u32) -> i32 {
    let yy = (yy % 100) as i32;
    if yy < 69 { 2000 + yy } else { 1900 + yy }
}

fn digits(text: &str, what: &'static str) -> Result<u32> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().map_err(|_| bad(what, text))
    } else {
        Err(bad(what, text))
    }
}

fn bad(what: &'static str, text: &str) -> Error {
    Error::BadName {
        what,
        text: text.to_string(),
    }
}

/// `DDMMYY` of a date.
fn ddmmyy(d: NaiveDate) -> String {
    format!(
        "{:02}{:02}{:02}",
        d.day(),
        d.month(),
        d.year().rem_euclid(100)
    )
}

/// Parse `DDMMYY` with the ELVIS year rule.
fn parse_ddmmyy(text: &str, what: &'static str) -> Result<NaiveDate> {
    let (d, m, y) = match (text.get(0..2), text.get(2..4), text.get(4..6)) {
        (Some(d), Some(m), Some(y)) if text.len() == 6 => (d, m, y),
        _ => return Err(bad(what, text)),
    };
    NaiveDate::from_ymd_opt(
        elvis_year(digits(y, what)?),
        digits(m, what)?,
        digits(d, what)?,
    )
    .ok_or_else(|| bad(what, text))
}

/// Format a time stamp as ELVIS writes it: `DDMMYYDhhmmssT` (e.g. `251116D150614T`).
pub fn format_elvis_datetime(t: NaiveDateTime) -> String {
    format!(
        "{}D{:02}{:02}{:02}T",
        ddmmyy(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Parse `DDMMYYDhhmmssT` (also without the trailing `T`, and with an underscore after the
/// `D` as in some real file names). Two-digit years 00-68 are 20xx, 69-99 are 19xx.
pub fn parse_elvis_datetime(text: &str) -> Result<NaiveDateTime> {
    const WHAT: &str = "ELVIS date-time DDMMYYDhhmmssT";
    let t = text.trim();
    let t = t.strip_suffix(['T', 't']).unwrap_or(t);
    let (date, time) = t.split_once(['D', 'd']).ok_or_else(|| bad(WHAT, text))?;
    let time = time.strip_prefix('_').unwrap_or(time);
    let date = parse_ddmmyy(date, WHAT).map_err(|_| bad(WHAT, text))?;
    if time.len() != 6 {
        return Err(bad(WHAT, text));
    }
    let (h, m, s) = match (time.get(0..2), time.get(2..4), time.get(4..6)) {
        (Some(h), Some(m), Some(s)) => (h, m, s),
        _ => return Err(bad(WHAT, text)),
    };
    let time = NaiveTime::from_hms_opt(digits(h, WHAT)?, digits(m, WHAT)?, digits(s, WHAT)?)
        .ok_or_else(|| bad(WHAT, text))?;
    Ok(date.and_time(time))
}

/// Day-folder name `DD_Mmm_YY` (e.g. `19_Jan_18`).
pub fn day_folder_name(d: NaiveDate) -> String {
    let month = MONTHS.get(d.month0() as usize).copied().unwrap_or("Jan");
    format!("{:02}_{}_{:02}", d.day(), month, d.year().rem_euclid(100))
}

/// Parse a day-folder name `DD_Mmm_YY` (month case-insensitive, ELVIS year rule).
pub fn parse_day_folder(name: &str) -> Result<NaiveDate> {
    const WHAT: &str = "day folder DD_Mmm_YY";
    let mut it = name.trim().trim_end_matches(['/', '\\']).split('_');
    let (Some(d), Some(m), Some(y), None) = (it.next(), it.next(), it.next(), it.next()) else {
        return Err(bad(WHAT, name));
    };
    let month = MONTHS
        .iter()
        .position(|x| x.eq_ignore_ascii_case(m))
        .ok_or_else(|| bad(WHAT, name))?;
    if y.len() != 2 {
        return Err(bad(WHAT, name));
    }
    NaiveDate::from_ymd_opt(
        elvis_year(digits(y, WHAT)?),
        month as u32 + 1,
        digits(d, WHAT)?,
    )
    .ok_or_else(|| bad(WHAT, name))
}

/// Exposure-log file name `EXP_LOG_<DDMMYY>.txt`.
pub fn explog_file_name(d: NaiveDate) -> String {
    format!("EXP_LOG_{}.txt", ddmmyy(d))
}

/// Date of an exposure-log file name `EXP_LOG_<DDMMYY>[...].txt` (third `_` field).
pub fn parse_explog_file_name(name: &str) -> Result<NaiveDate> {
    const WHAT: &str = "exposure-log name EXP_LOG_DDMMYY.txt";
    let base = base_name(name);
    let stem = base.strip_suffix(".txt").unwrap_or(base);
    let field = stem.split('_').nth(2).ok_or_else(|| bad(WHAT, name))?;
    parse_ddmmyy(field.get(0..6).unwrap_or(field), WHAT).map_err(|_| bad(WHAT, name))
}

/// FITS frame name `EUC_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>_CCD<c>.fits`.
pub fn fits_file_name(obsid: i64, t: NaiveDateTime, roe: u8, ccd: u8) -> String {
    format!(
        "EUC_{obsid}_{}_ROE{roe}_CCD{ccd}.fits",
        format_elvis_datetime(t)
    )
}

/// Per-exposure HK file name `HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>.txt`.
pub fn hk_file_name(obsid: i64, t: NaiveDateTime, roe: u8) -> String {
    format!("HK_{obsid}_{}_ROE{roe}.txt", format_elvis_datetime(t))
}

/// Daily master HK file name `HK_<dd-mm-yy>_ROE<r>_<NN>.txt`; without `nn`, the simulator's
/// form `HK_<dd-mm-yy>_ROE<r>.txt`.
pub fn hk_master_file_name(d: NaiveDate, roe: u8, nn: Option<u32>) -> String {
    let date = format!(
        "{:02}-{:02}-{:02}",
        d.day(),
        d.month(),
        d.year().rem_euclid(100)
    );
    match nn {
        Some(n) => format!("HK_{date}_ROE{roe}_{n:02}.txt"),
        None => format!("HK_{date}_ROE{roe}.txt"),
    }
}

/// What a FITS or per-exposure HK file name says about the exposure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct FrameName {
    /// Exposure counter.
    pub obsid: i64,
    /// Date-time of the exposure.
    pub datetime: NaiveDateTime,
    /// Read-out electronics number.
    pub roe: u8,
    /// CCD number (FITS names only).
    pub ccd: Option<u8>,
}

/// What a daily master HK file name says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MasterHkName {
    /// Day of the file.
    pub date: NaiveDate,
    /// Read-out electronics number.
    pub roe: u8,
    /// Sequence suffix `NN` (absent in simulator output).
    pub nn: Option<u32>,
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn numbered(field: &str, prefix: &str, what: &'static str, name: &str) -> Result<u8> {
    let rest = field
        .get(..prefix.len())
        .filter(|p| p.eq_ignore_ascii_case(prefix))
        .and_then(|_| field.get(prefix.len()..))
        .ok_or_else(|| bad(what, name))?;
    u8::try_from(digits(rest, what).map_err(|_| bad(what, name))?).map_err(|_| bad(what, name))
}

/// Split `<ObsID>_<DDMMYY>D[_]<hhmmss>T` fields starting at `fields[1]`; returns the ObsID,
/// date-time and the index of the next field.
fn obsid_and_time(
    fields: &[&str],
    what: &'static str,
    name: &str,
) -> Result<(i64, NaiveDateTime, usize)> {
    let obsid: i64 = fields
        .get(1)
        .and_then(|f| f.parse().ok())
        .ok_or_else(|| bad(what, name))?;
    let first = fields.get(2).ok_or_else(|| bad(what, name))?;
    // Real names sometimes split the date-time with an underscore: `231016D_135042T`.
    let (text, next) = if first.ends_with(['D', 'd']) {
        let second = fields.get(3).ok_or_else(|| bad(what, name))?;
        (format!("{first}{second}"), 4)
    } else {
        ((*first).to_string(), 3)
    };
    let t = parse_elvis_datetime(&text).map_err(|_| bad(what, name))?;
    Ok((obsid, t, next))
}

/// Parse a FITS frame name `EUC_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>_CCD<c>[.fits]`
/// (directories are ignored; `D_` inside the date-time is tolerated).
pub fn parse_fits_file_name(name: &str) -> Result<FrameName> {
    const WHAT: &str = "FITS name EUC_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>_CCD<c>.fits";
    let base = base_name(name);
    let stem = base.strip_suffix(".fits").unwrap_or(base);
    let fields: Vec<&str> = stem.split('_').collect();
    if fields.first().copied() != Some("EUC") {
        return Err(bad(WHAT, name));
    }
    let (obsid, datetime, next) = obsid_and_time(&fields, WHAT, name)?;
    let roe = numbered(
        fields.get(next).ok_or_else(|| bad(WHAT, name))?,
        "ROE",
        WHAT,
        name,
    )?;
    let ccd = numbered(
        fields.get(next + 1).ok_or_else(|| bad(WHAT, name))?,
        "CCD",
        WHAT,
        name,
    )?;
    if fields.len() != next + 2 {
        return Err(bad(WHAT, name));
    }
    Ok(FrameName {
        obsid,
        datetime,
        roe,
        ccd: Some(ccd),
    })
}

/// Parse a per-exposure HK name `HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>[.txt]`.
pub fn parse_hk_file_name(name: &str) -> Result<FrameName> {
    const WHAT: &str = "HK name HK_<ObsID>_<DDMMYY>D<hhmmss>T_ROE<r>.txt";
    let base = base_name(name);
    let stem = base.strip_suffix(".txt").unwrap_or(base);
    let fields: Vec<&str> = stem.split('_').collect();
    if fields.first().copied() != Some("HK") {
        return Err(bad(WHAT, name));
    }
    let (obsid, datetime, next) = obsid_and_time(&fields, WHAT, name)?;
    let roe = numbered(
        fields.get(next).ok_or_else(|| bad(WHAT, name))?,
        "ROE",
        WHAT,
        name,
    )?;
    if fields.len() != next + 1 {
        return Err(bad(WHAT, name));
    }
    Ok(FrameName {
        obsid,
        datetime,
        roe,
        ccd: None,
    })
}

/// Parse a daily master HK name `HK_<dd-mm-yy>_ROE<r>[_<NN>][.txt]`.
pub fn parse_hk_master_file_name(name: &str) -> Result<MasterHkName> {
    const WHAT: &str = "master HK name HK_<dd-mm-yy>_ROE<r>_<NN>.txt";
    let base = base_name(name);
    let stem = base.strip_suffix(".txt").unwrap_or(base);
    let fields: Vec<&str> = stem.split('_').collect();
    if fields.first().copied() != Some("HK") || !(3..=4).contains(&fields.len()) {
        return Err(bad(WHAT, name));
    }
    let date_text = fields.get(1).ok_or_else(|| bad(WHAT, name))?;
    let mut parts = date_text.split('-');
    let (Some(d), Some(m), Some(y), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(WHAT, name));
    };
    if y.len() != 2 {
        return Err(bad(WHAT, name));
    }
    let date = NaiveDate::from_ymd_opt(
        strptime_year(digits(y, WHAT)?),
        digits(m, WHAT)?,
        digits(d, WHAT)?,
    )
    .ok_or_else(|| bad(WHAT, name))?;
    let roe = numbered(
        fields.get(2).ok_or_else(|| bad(WHAT, name))?,
        "ROE",
        WHAT,
        name,
    )?;
    let nn = match fields.get(3) {
        Some(f) => Some(digits(f, WHAT).map_err(|_| bad(WHAT, name))?),
        None => None,
    };
    Ok(MasterHkName { date, roe, nn })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, mo, d)
            .and_then(|x| x.and_hms_opt(h, mi, s))
            .unwrap_or_default()
    }

    #[test]
    fn elvis_datetime_round_trip_and_year_rule() {
        let t = parse_elvis_datetime("251116D150614T").ok();
        assert_eq!(t, Some(dt(2016, 11, 25, 15, 6, 14)));
        assert_eq!(
            format_elvis_datetime(dt(2016, 11, 25, 15, 6, 14)),
            "251116D150614T"
        );
        // 19 -> 2019, 20 -> 2020 (the original's 1920 is a bug), 69 -> 1969.
        assert_eq!(
            parse_elvis_datetime("010119D000000T")
                .ok()
                .map(|t| t.year()),
            Some(2019)
        );
        assert_eq!(
            parse_elvis_datetime("010120D000000T")
                .ok()
                .map(|t| t.year()),
            Some(2020)
        );
        assert_eq!(
            parse_elvis_datetime("251126D120000T")
                .ok()
                .map(|t| t.year()),
            Some(2026)
        );
        assert_eq!(
            parse_elvis_datetime("050800D000000T")
                .ok()
                .map(|t| t.year()),
            Some(2000)
        );
        assert_eq!(elvis_year(u32::MAX), 1995);
        assert_eq!(elvis_year(22), 2022);
        assert_eq!(strptime_year(68), 2068);
        assert_eq!(strptime_year(69), 1969);
        for bad in [
            "",
            "D",
            "251116D1506T",
            "321316D150614T",
            "251116X150614T",
            "25111aD150614T",
            "251116D256014T",
        ] {
            assert!(parse_elvis_datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn day_folders() {
        let d = NaiveDate::from_ymd_opt(2018, 1, 19).unwrap_or_default();
        assert_eq!(day_folder_name(d), "19_Jan_18");
        assert_eq!(parse_day_folder("19_Jan_18").ok(), Some(d));
        assert_eq!(parse_day_folder("/data/19_jan_18/").ok(), None);
        assert_eq!(parse_day_folder("19_jan_18/").ok(), Some(d));
        assert!(parse_day_folder("19_Foo_18").is_err());
        assert_eq!(explog_file_name(d), "EXP_LOG_190118.txt");
        assert_eq!(
            parse_explog_file_name("/x/EXP_LOG_190118.txt").ok(),
            Some(d)
        );
    }

    #[test]
    fn frame_names() {
        let t = dt(2018, 1, 19, 7, 0, 4);
        let n = fits_file_name(1000, t, 1, 2);
        assert_eq!(n, "EUC_1000_190118D070004T_ROE1_CCD2.fits");
        let p = parse_fits_file_name(&format!("/a/b/{n}")).ok();
        assert_eq!(
            p,
            Some(FrameName {
                obsid: 1000,
                datetime: t,
                roe: 1,
                ccd: Some(2)
            })
        );
        // Real sample with the extra underscore.
        let p = parse_fits_file_name("EUC_2112_231016D_135042T_ROE1_CCD1.fits").ok();
        assert_eq!(
            p.map(|p| (p.obsid, p.datetime)),
            Some((2112, dt(2016, 10, 23, 13, 50, 42)))
        );
        let h = hk_file_name(191, dt(2000, 8, 5, 0, 0, 0), 1);
        assert_eq!(h, "HK_191_050800D000000T_ROE1.txt");
        assert_eq!(parse_hk_file_name(&h).ok().map(|p| p.obsid), Some(191));
        assert!(parse_hk_file_name("HK_19-01-18_ROE1_01.txt").is_err());
        assert!(parse_fits_file_name("EUC_x_190118D070004T_ROE1_CCD2.fits").is_err());
        assert!(parse_fits_file_name("EUC_1_190118D070004T_ROE1_CCD2_extra.fits").is_err());
    }

    #[test]
    fn master_names() {
        let d = NaiveDate::from_ymd_opt(2018, 1, 19).unwrap_or_default();
        assert_eq!(
            hk_master_file_name(d, 1, Some(3)),
            "HK_19-01-18_ROE1_03.txt"
        );
        assert_eq!(hk_master_file_name(d, 1, None), "HK_19-01-18_ROE1.txt");
        let m = parse_hk_master_file_name("HK_19-01-18_ROE1_03.txt").ok();
        assert_eq!(
            m,
            Some(MasterHkName {
                date: d,
                roe: 1,
                nn: Some(3)
            })
        );
        assert_eq!(
            parse_hk_master_file_name("HK_19-01-18_ROE1.txt")
                .ok()
                .map(|m| m.nn),
            Some(None)
        );
        assert!(parse_hk_master_file_name("HK_1000_190118D070004T_ROE1.txt").is_err());
    }
}
