//! Who may do what: API keys ([`key`]), the roles they carry and the units they are limited
//! to. Pure: no I/O and no clock reads; the store keeps keys, the API enforces them.

pub mod key;
pub mod session;

use std::sync::Arc;

/// What a key may do (issue "Access control"; the route table in `api::access` says which
/// role reaches which operation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Interface engines: post records, batches, FHIR and HL7; validate.
    Ingest,
    /// Registration staff: validate, and read records with their patient ids.
    Feedback,
    /// The quality team: aggregates and drill-down lists without patient ids or birth dates.
    Report,
    /// Everything, plus keys and the audit log.
    Admin,
}

impl Role {
    /// Every role, in the order of the route table's columns.
    pub const ALL: [Role; 4] = [Role::Ingest, Role::Feedback, Role::Report, Role::Admin];

    /// The role's name as stored and sent.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Ingest => "ingest",
            Role::Feedback => "feedback",
            Role::Report => "report",
            Role::Admin => "admin",
        }
    }

    /// Parses a role name.
    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The units a key is limited to; `All` when it is not limited.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Units {
    /// Every unit.
    #[default]
    All,
    /// Only these units (never empty).
    Only(Arc<[String]>),
}

impl Units {
    /// Whether records of `unit` are within reach.
    pub fn allows(&self, unit: &str) -> bool {
        match self {
            Units::All => true,
            Units::Only(units) => units.iter().any(|u| u == unit),
        }
    }

    /// The units, or `None` for all.
    pub fn list(&self) -> Option<&[String]> {
        match self {
            Units::All => None,
            Units::Only(units) => Some(units),
        }
    }

    /// Units from a list (an empty list means every unit); duplicates and blanks dropped.
    pub fn from_list<I: IntoIterator<Item = String>>(units: I) -> Units {
        let mut list: Vec<String> = units
            .into_iter()
            .map(|u| u.trim().to_string())
            .filter(|u| !u.is_empty())
            .collect();
        list.sort();
        list.dedup();
        if list.is_empty() {
            Units::All
        } else {
            Units::Only(list.into())
        }
    }
}

/// The holder of a key, as a request carries it once authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The key's name (never the key).
    pub name: Arc<str>,
    /// Its role.
    pub role: Role,
    /// The units it may read and write.
    pub units: Units,
}

impl Principal {
    /// Whether the key may read or write records of `unit`.
    pub fn allows_unit(&self, unit: &str) -> bool {
        self.units.allows(unit)
    }

    /// Whether its answers may carry patient ids and birth dates.
    pub fn sees_identifiers(&self) -> bool {
        self.role != Role::Report
    }
}

/// Checks a key's name: 1 to 64 letters, digits, `.`, `_`, `-` or `@` (it appears in the
/// audit log and becomes the `source` of FHIR and HL7 messages that name none).
pub fn check_key_name(name: &str) -> Result<(), &'static str> {
    let fits = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_@".contains(&b));
    if fits {
        Ok(())
    } else {
        Err("must be 1 to 64 letters, digits, '.', '_', '-' or '@'")
    }
}

/// When a key given `--expires TEXT` stops working: a date (`2027-06-30`: at 00:00 UTC that
/// day) or an RFC 3339 instant.
pub fn parse_expiry(text: &str) -> Result<chrono::DateTime<chrono::Utc>, &'static str> {
    let text = text.trim();
    if let Ok(date) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc());
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|_| "must be a date (YYYY-MM-DD) or an RFC 3339 instant")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_are_short_and_plain() {
        assert!(check_key_name("epic-prod").is_ok());
        assert!(check_key_name("quality.team@nicu_1").is_ok());
        for bad in ["", "has space", "semi;colon", &"x".repeat(65)] {
            assert!(check_key_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_expiry_is_a_date_at_midnight_utc_or_an_instant() {
        assert_eq!(
            parse_expiry("2027-06-30").unwrap().to_rfc3339(),
            "2027-06-30T00:00:00+00:00"
        );
        assert_eq!(
            parse_expiry("2027-06-30T12:00:00+02:00")
                .unwrap()
                .to_rfc3339(),
            "2027-06-30T10:00:00+00:00"
        );
        assert!(parse_expiry("next week").is_err());
    }

    #[test]
    fn every_role_parses_back_from_its_name() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Admin"), None);
        assert_eq!(Role::parse(""), None);
    }

    #[test]
    fn a_unit_list_limits_a_key_and_an_empty_one_does_not() {
        let only = Units::from_list(["ED".to_string(), " NICU ".into(), "ED".into()]);
        assert!(only.allows("ED") && only.allows("NICU"));
        assert!(!only.allows("PICU") && !only.allows("ed"));
        assert_eq!(only.list(), Some(&["ED".to_string(), "NICU".into()][..]));
        let all = Units::from_list(Vec::<String>::new());
        assert_eq!(all, Units::All);
        assert!(all.allows("anything"));
    }

    #[test]
    fn only_the_report_role_is_kept_from_identifiers() {
        for role in Role::ALL {
            let principal = Principal {
                name: "k".into(),
                role,
                units: Units::All,
            };
            assert_eq!(principal.sees_identifiers(), role != Role::Report);
        }
    }
}
