//! The validation profile: the institution-tunable settings of RULES.md §5, a versioned
//! JSON document (`schemas/profile.schema.json`). The default, `phec-real` version 1, ships
//! in `schemas/profiles/phec-real.json`; `REALDQ_PROFILE=path` loads another, and a bad
//! profile stops the service at start naming the bad field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::{self, Domain, QuestionFormat, Severity};
use crate::codemap::{CodeMaps, MapField, MapIndex};
use crate::codesets::CodeSets;

/// The default profile document.
const PHEC_REAL_JSON: &str = include_str!("../schemas/profiles/phec-real.json");

/// Completeness thresholds: a rate below `warn_below` warns, below `fail_below` fails.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Rates below this warn.
    pub warn_below: f64,
    /// Rates below this fail.
    pub fail_below: f64,
}

impl Thresholds {
    /// `pass`, `warn` or `fail` for a rate.
    pub fn judge(&self, rate: f64) -> &'static str {
        if rate < self.fail_below {
            "fail"
        } else if rate < self.warn_below {
            "warn"
        } else {
            "pass"
        }
    }
}

/// Domains a profile requires, for every patient and additionally for minors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequiredDomains {
    /// Required for every patient.
    pub all: Vec<Domain>,
    /// Required only while the patient is a minor (or of unknown age).
    pub minors: Vec<Domain>,
}

/// A per-rule severity override: a severity, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SeverityOverride {
    /// Report as an error.
    Error,
    /// Report as a warning.
    Warning,
    /// Report as info.
    Info,
    /// Do not report at all.
    Off,
}

/// One validation profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name, e.g. `phec-real`.
    pub name: String,
    /// Its version; results keep the version they were validated with.
    pub version: u32,
    /// What the profile is for.
    #[serde(default)]
    pub description: String,
    /// One or two race/ethnicity questions.
    pub question_format: QuestionFormat,
    /// The age from which a patient reports for themself.
    pub self_report_age: u32,
    /// The age from which a patient is an adult (no caregiver required).
    pub adult_age: u32,
    /// Months after which demographics should be collected again.
    pub recollection_months: u32,
    /// Completeness thresholds for reports.
    pub thresholds: Thresholds,
    /// Thresholds of one unit, by domain (or `real_complete`), overriding `thresholds`.
    #[serde(default)]
    pub thresholds_by_unit: BTreeMap<String, BTreeMap<String, Thresholds>>,
    /// Required domains.
    pub required_domains: RequiredDomains,
    /// Required domains of one unit, replacing `required_domains` there (e.g. an ED that
    /// defers caregiver data).
    #[serde(default)]
    pub required_domains_by_unit: BTreeMap<String, RequiredDomains>,
    /// Severity overrides by rule ID, including `off`.
    #[serde(default)]
    pub severity: BTreeMap<String, SeverityOverride>,
    /// Macrolanguages too broad to book an interpreter for (`zh`: Mandarin or Cantonese?).
    pub broad_macrolanguages: Vec<String>,
    /// How far in the future `recorded_at` may be (clock skew), in minutes.
    pub future_tolerance_minutes: i64,
    /// The age from which SOGI is asked (of the adolescent, in private).
    #[serde(default = "default_sogi_min_age")]
    pub sogi_min_age: u32,
    /// Months after which a social-needs screening is due again.
    #[serde(default = "default_sdoh_rescreen_months")]
    pub sdoh_rescreen_months: u32,
    /// Local codes mapped to standard ones before validation.
    #[serde(default)]
    pub code_maps: CodeMaps,
    /// `code_maps`, compiled for lookups.
    #[serde(skip)]
    pub(crate) maps: MapIndex,
}

fn default_sogi_min_age() -> u32 {
    12
}

fn default_sdoh_rescreen_months() -> u32 {
    12
}

/// What is wrong with a profile document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("profile field `{field}`: {message}")]
pub struct ProfileError {
    /// The bad field's path, e.g. `thresholds.warn_below`.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

impl ProfileError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        ProfileError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Profile {
    /// The default PHEC REaL profile (`schemas/profiles/phec-real.json`).
    pub fn phec_real() -> Self {
        Profile::from_json(PHEC_REAL_JSON).expect("the shipped default profile is valid")
    }

    /// Parses and checks a profile document.
    pub fn from_json(text: &str) -> Result<Profile, ProfileError> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let profile: Profile =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
                let path = e.path().to_string();
                let message = e.inner().to_string();
                let message = message
                    .rfind(" at line ")
                    .map_or(message.as_str(), |cut| &message[..cut])
                    .to_string();
                match message.strip_prefix("missing field ") {
                    Some(field) => {
                        let field = field.trim_matches('`');
                        let full = if path == "." {
                            field.to_string()
                        } else {
                            format!("{path}.{field}")
                        };
                        ProfileError::new(full, "required")
                    }
                    None => {
                        ProfileError::new(if path == "." { String::new() } else { path }, message)
                    }
                }
            })?;
        let mut profile = profile;
        profile.check()?;
        profile.maps = MapIndex::build(&profile.code_maps, CodeSets::get());
        Ok(profile)
    }

    /// Reads and checks a profile file.
    pub fn load(path: &std::path::Path) -> Result<Profile, ProfileError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ProfileError::new("", format!("cannot read {}: {e}", path.display())))?;
        Profile::from_json(&text)
    }

    /// The checks a document's shape cannot express.
    fn check(&self) -> Result<(), ProfileError> {
        if self.name.trim().is_empty() || self.name.contains('@') {
            return Err(ProfileError::new(
                "name",
                "must be non-empty and without `@`",
            ));
        }
        if self.version == 0 {
            return Err(ProfileError::new("version", "must be 1 or more"));
        }
        if self.self_report_age >= self.adult_age {
            return Err(ProfileError::new(
                "self_report_age",
                "must be below adult_age",
            ));
        }
        if self.sdoh_rescreen_months == 0 {
            return Err(ProfileError::new(
                "sdoh_rescreen_months",
                "must be 1 or more",
            ));
        }
        check_thresholds("thresholds", &self.thresholds)?;
        for (unit, domains) in &self.thresholds_by_unit {
            for (domain, thresholds) in domains {
                let field = format!("thresholds_by_unit.{unit}.{domain}");
                let known = domain == "real_complete" || Domain::from_name(domain).is_some();
                if !known {
                    return Err(ProfileError::new(field, "is not a completeness domain"));
                }
                check_thresholds(&field, thresholds)?;
            }
        }
        for rule in self.severity.keys() {
            if catalog::by_id(rule).is_none() {
                return Err(ProfileError::new(
                    format!("severity.{rule}"),
                    "is not a rule ID of the catalog",
                ));
            }
        }
        let collection = |field: String, domains: &RequiredDomains| match domains
            .all
            .iter()
            .chain(&domains.minors)
            .find(|d| **d == Domain::Collection)
        {
            Some(_) => Err(ProfileError::new(
                field,
                "collection has no status and cannot be required",
            )),
            None => Ok(()),
        };
        collection("required_domains".into(), &self.required_domains)?;
        for (unit, domains) in &self.required_domains_by_unit {
            collection(format!("required_domains_by_unit.{unit}"), domains)?;
        }
        self.check_maps()
    }

    /// Every map entry turns a value that is not standard into one that is.
    fn check_maps(&self) -> Result<(), ProfileError> {
        let maps = &self.code_maps;
        let scopes = std::iter::once(("code_maps".to_string(), maps.fields())).chain(
            maps.by_source
                .iter()
                .map(|(source, fields)| (format!("code_maps.by_source.{source}"), fields.fields())),
        );
        for (scope, fields) in scopes {
            for (field, entries) in fields {
                for (from, to) in entries {
                    let at = format!("{scope}.{}.{from}", field.as_str());
                    check_map_entry(field, from, to)
                        .map_err(|message| ProfileError::new(at, message))?;
                }
            }
        }
        Ok(())
    }

    /// The compiled code maps.
    pub fn maps(&self) -> &MapIndex {
        &self.maps
    }

    /// The severity a rule reports at under this profile; `None` when it is off.
    pub fn severity_of(&self, rule: &catalog::Rule, default: Severity) -> Option<Severity> {
        match self.severity.get(rule.id) {
            None => Some(default),
            Some(SeverityOverride::Off) => None,
            Some(SeverityOverride::Error) => Some(Severity::Error),
            Some(SeverityOverride::Warning) => Some(Severity::Warning),
            Some(SeverityOverride::Info) => Some(Severity::Info),
        }
    }

    /// The domains required in `unit`.
    pub fn required_in(&self, unit: &str) -> &RequiredDomains {
        self.required_domains_by_unit
            .get(unit)
            .unwrap_or(&self.required_domains)
    }

    /// Whether `domain` is required anywhere (any unit, any age): optional domains get a
    /// status and a report column only then.
    pub fn requires_anywhere(&self, domain: Domain) -> bool {
        std::iter::once(&self.required_domains)
            .chain(self.required_domains_by_unit.values())
            .any(|r| r.all.contains(&domain) || r.minors.contains(&domain))
    }

    /// The thresholds of `domain` (or `real_complete`) in `unit`; `None` for all units.
    pub fn thresholds_for(&self, unit: Option<&str>, domain: &str) -> &Thresholds {
        unit.and_then(|u| self.thresholds_by_unit.get(u))
            .and_then(|domains| domains.get(domain))
            .unwrap_or(&self.thresholds)
    }

    /// `name@version`, as results and reports name it.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

fn check_map_entry(field: MapField, from: &str, to: &str) -> Result<(), String> {
    let codes = CodeSets::get();
    if from.trim().is_empty() {
        return Err("a local code must not be blank".into());
    }
    match field {
        MapField::Race | MapField::Ethnicity => {
            if codes.cdcrec.lookup(from.trim()).is_ok() {
                return Err("is already a CDCREC code; only non-standard codes are mapped".into());
            }
            codes
                .cdcrec
                .lookup(to.trim())
                .map(|_| ())
                .map_err(|_| format!("maps to \"{to}\", which is not a CDCREC code"))
        }
        MapField::Language => {
            if codes.languages.check(from.trim()).is_ok() {
                return Err(
                    "is already a registered BCP 47 tag; only non-standard codes are mapped".into(),
                );
            }
            match codes.languages.check(to.trim()) {
                Ok(tag) if tag.deprecated.is_none() => Ok(()),
                Ok(_) => Err(format!("maps to \"{to}\", which is deprecated")),
                Err(_) => Err(format!("maps to \"{to}\", which is not a valid BCP 47 tag")),
            }
        }
        MapField::Relationship => {
            let is_code = |value: &str| {
                codes
                    .relationships
                    .contains(value.trim().to_ascii_uppercase().as_str())
            };
            if is_code(from) {
                return Err(
                    "is already a code of HL7 table 0063; only non-standard values are mapped"
                        .into(),
                );
            }
            if is_code(to) && to.trim() == to.trim().to_ascii_uppercase() {
                Ok(())
            } else {
                Err(format!(
                    "maps to \"{to}\", which is not a code of HL7 table 0063"
                ))
            }
        }
    }
}

fn check_thresholds(field: &str, thresholds: &Thresholds) -> Result<(), ProfileError> {
    let in_range = |v: f64| (0.0..=1.0).contains(&v);
    if !in_range(thresholds.warn_below) || !in_range(thresholds.fail_below) {
        return Err(ProfileError::new(
            field,
            "thresholds are rates between 0 and 1",
        ));
    }
    if thresholds.fail_below > thresholds.warn_below {
        return Err(ProfileError::new(
            format!("{field}.fail_below"),
            "must not be above warn_below",
        ));
    }
    Ok(())
}

impl Default for Profile {
    fn default() -> Self {
        Profile::phec_real()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn default_document() -> Value {
        serde_json::from_str(PHEC_REAL_JSON).unwrap()
    }

    fn error_of(document: Value) -> ProfileError {
        Profile::from_json(&document.to_string()).expect_err("the profile is rejected")
    }

    #[test]
    fn the_shipped_default_is_phec_real_version_1_with_the_spec_defaults() {
        let profile = Profile::phec_real();
        assert_eq!(profile.id(), "phec-real@1");
        assert_eq!(profile.question_format, QuestionFormat::Omb1997);
        assert_eq!((profile.self_report_age, profile.adult_age), (12, 18));
        assert_eq!(profile.recollection_months, 24);
        assert_eq!(
            profile.thresholds,
            Thresholds {
                warn_below: 0.9,
                fail_below: 0.8
            }
        );
        assert_eq!(profile.required_in("ED"), &profile.required_domains);
        assert!(profile.severity.is_empty());
    }

    #[test]
    fn each_kind_of_mistake_names_its_field() {
        type Mistake = Box<dyn Fn(&mut Value)>;
        let cases: Vec<(Mistake, &str)> = vec![
            (Box::new(|d| d["colour"] = json!("blue")), "colour"),
            (
                Box::new(|d| d["self_report_age"] = json!("twelve")),
                "self_report_age",
            ),
            (
                Box::new(|d| {
                    d.as_object_mut().unwrap().remove("adult_age");
                }),
                "adult_age",
            ),
            (
                Box::new(|d| d["question_format"] = json!("census")),
                "question_format",
            ),
            (
                Box::new(|d| d["thresholds"]["warn_below"] = json!(1.5)),
                "thresholds",
            ),
            (
                Box::new(|d| d["thresholds"]["fail_below"] = json!(0.95)),
                "thresholds.fail_below",
            ),
            (
                Box::new(|d| d["severity"] = json!({"NOT_A_RULE": "off"})),
                "severity.NOT_A_RULE",
            ),
            (
                Box::new(|d| d["severity"] = json!({"RACE_MISSING": "loud"})),
                "severity.RACE_MISSING",
            ),
            (
                Box::new(|d| d["self_report_age"] = json!(18)),
                "self_report_age",
            ),
            (Box::new(|d| d["version"] = json!(0)), "version"),
            (Box::new(|d| d["name"] = json!("a@b")), "name"),
            (
                Box::new(|d| {
                    d["thresholds_by_unit"] =
                        json!({"ED": {"religion": {"warn_below": 0.5, "fail_below": 0.4}}})
                }),
                "thresholds_by_unit.ED.religion",
            ),
            (
                Box::new(|d| d["code_maps"]["race"]["2106-3"] = json!("2054-5")),
                "code_maps.race.2106-3",
            ),
            (
                Box::new(|d| d["code_maps"]["race"]["W"] = json!("9999-9")),
                "code_maps.race.W",
            ),
            (
                Box::new(|d| d["code_maps"]["language"]["Klingon"] = json!("tlh-xx-")),
                "code_maps.language.Klingon",
            ),
            (
                Box::new(|d| d["code_maps"]["language"]["es"] = json!("es")),
                "code_maps.language.es",
            ),
            (
                Box::new(|d| {
                    d["code_maps"]["by_source"] = json!({"cerner": {"ethnicity": {"1": "en"}}})
                }),
                "code_maps.by_source.cerner.ethnicity.1",
            ),
            (
                Box::new(|d| d["code_maps"]["builtin"] = json!(["iso-639-3"])),
                "code_maps.builtin[0]",
            ),
            (
                Box::new(|d| d["sdoh_rescreen_months"] = json!(0)),
                "sdoh_rescreen_months",
            ),
            (
                Box::new(|d| d["required_domains"]["all"] = json!(["race", "collection"])),
                "required_domains",
            ),
            (
                Box::new(|d| d["required_domains"]["all"] = json!(["race", "hobbies"])),
                "required_domains.all[1]",
            ),
            (
                Box::new(|d| d["required_domains_by_unit"] = json!({"ED": {"all": ["race"]}})),
                "required_domains_by_unit.ED.minors",
            ),
        ];
        for (mistake, field) in cases {
            let mut document = default_document();
            mistake(&mut document);
            let error = error_of(document);
            assert_eq!(error.field, field, "{error}");
            assert!(error.to_string().contains("profile field"), "{error}");
        }
    }

    #[test]
    fn severity_overrides_change_or_silence_a_rule() {
        let mut document = default_document();
        document["severity"] =
            json!({"RACE_HISPANIC_AS_RACE": "warning", "GRANULAR_ETHNICITY_MISSING": "off"});
        let profile = Profile::from_json(&document.to_string()).unwrap();
        assert_eq!(
            profile.severity_of(&catalog::RACE_HISPANIC_AS_RACE, Severity::Error),
            Some(Severity::Warning)
        );
        assert_eq!(
            profile.severity_of(&catalog::GRANULAR_ETHNICITY_MISSING, Severity::Info),
            None
        );
        assert_eq!(
            profile.severity_of(&catalog::RACE_MISSING, Severity::Warning),
            Some(Severity::Warning)
        );
    }

    #[test]
    fn units_can_have_their_own_required_domains_and_thresholds() {
        let mut document = default_document();
        document["required_domains_by_unit"] =
            json!({"ED": {"all": ["race", "ethnicity", "language", "interpreter"], "minors": []}});
        document["thresholds_by_unit"] =
            json!({"NICU": {"caregiver_language": {"warn_below": 0.99, "fail_below": 0.95}}});
        let profile = Profile::from_json(&document.to_string()).unwrap();
        assert!(profile.required_in("ED").minors.is_empty());
        assert_eq!(profile.required_in("NICU").minors.len(), 2);
        assert_eq!(
            profile
                .thresholds_for(Some("NICU"), "caregiver_language")
                .warn_below,
            0.99
        );
        assert_eq!(profile.thresholds_for(Some("NICU"), "race").warn_below, 0.9);
        assert_eq!(
            profile
                .thresholds_for(None, "caregiver_language")
                .warn_below,
            0.9
        );
    }
}
