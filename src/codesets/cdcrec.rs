//! The CDC Race & Ethnicity Code Set (CDCREC, OID 2.16.840.1.113883.6.238): all 966
//! concepts, their OMB categories and their SPD-15 (2024) categories, indexed for O(1)
//! look-up by code.

use foldhash::{HashMap, HashMapExt};

use serde::Serialize;

/// The CDCREC concept table shipped with the project (see `data/codesets/SOURCES.md`).
const CONCEPTS_CSV: &str = include_str!("../../data/codesets/cdcrec_concepts.csv");

/// FHIR and HL7 system identifiers under which CDCREC codes are accepted: the preferred
/// OID URI, the bare OID, the retired aliases of the NamingSystem, and the HL7 v3
/// Race/Ethnicity code systems that carry the same codes.
pub const ACCEPTED_SYSTEMS: &[&str] = &[
    "urn:oid:2.16.840.1.113883.6.238",
    "2.16.840.1.113883.6.238",
    "http://terminology.hl7.org/CodeSystem/PHRaceAndEthnicityCDC",
    "http://terminology.hl7.org/CodeSystem/v2-0005",
    "http://terminology.hl7.org/CodeSystem/v3-Race",
    "http://terminology.hl7.org/CodeSystem/v3-Ethnicity",
    "urn:oid:2.16.840.1.113883.5.104",
    "urn:oid:2.16.840.1.113883.5.50",
    "CDCREC",
];

/// The race root (abstract).
pub const RACE_ROOT: &str = "1000-9";
/// The ethnicity root (abstract).
pub const ETHNICITY_ROOT: &str = "2133-7";
/// CDCREC's sixth race category, not an OMB one.
pub const OTHER_RACE: &str = "2131-1";
/// OMB ethnicity category: Hispanic or Latino.
pub const HISPANIC: &str = "2135-2";
/// OMB ethnicity category: Not Hispanic or Latino.
pub const NOT_HISPANIC: &str = "2186-5";
/// Middle Eastern or North African: under White in CDCREC, a category of its own in SPD-15.
pub const MENA: &str = "2118-8";
/// The five OMB 1997 race categories, in report order.
pub const OMB_RACE_CATEGORIES: [&str; 5] = ["1002-5", "2028-9", "2054-5", "2076-8", "2106-3"];
/// CDCREC concepts filed under White that SPD-15 moves to Middle Eastern or North African.
const MENA_ROOTS: [&str; 2] = ["2118-8", "2129-5"];

/// Whether a concept answers the race or the ethnicity question.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A race concept.
    Race,
    /// An ethnicity concept.
    Ethnicity,
}

/// Where a concept sits in the hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `1000-9` Race or `2133-7` Ethnicity: abstract, never a value.
    Root,
    /// One of the OMB categories.
    OmbCategory,
    /// `2131-1` Other Race.
    OtherRace,
    /// Anything below a category.
    Detailed,
}

/// The seven SPD-15 (2024) minimum categories of the combined question, in report order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Spd15Category {
    /// American Indian or Alaska Native.
    AmericanIndianOrAlaskaNative,
    /// Asian.
    Asian,
    /// Black or African American.
    BlackOrAfricanAmerican,
    /// Hispanic or Latino.
    HispanicOrLatino,
    /// Middle Eastern or North African.
    MiddleEasternOrNorthAfrican,
    /// Native Hawaiian or Pacific Islander.
    NativeHawaiianOrPacificIslander,
    /// White.
    White,
}

/// One CDCREC concept.
#[derive(Debug, Clone)]
pub struct Concept {
    /// The code, e.g. `2106-3`.
    pub code: String,
    /// The preferred display, e.g. `White`.
    pub display: String,
    /// Race or ethnicity.
    pub kind: Kind,
    /// Place in the hierarchy.
    pub level: Level,
    /// The OMB category this concept rolls up to (itself for a category); none for roots
    /// and Other Race.
    pub omb_category: Option<String>,
    /// The SPD-15 category, MENA moved out of White; none for roots, Other Race and
    /// Not Hispanic.
    pub spd15: Option<Spd15Category>,
}

impl Concept {
    /// Whether this is a Hispanic or Latino ethnicity concept (the category or below it).
    pub fn is_hispanic(&self) -> bool {
        self.kind == Kind::Ethnicity && self.omb_category.as_deref() == Some(HISPANIC)
    }
}

/// Why a string is not a usable CDCREC code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeProblem {
    /// Not of the form `dddd-d`.
    Malformed,
    /// The last digit is not the mod-10 (Luhn) check digit of the first four.
    CheckDigit,
    /// Well-formed but not in the code set.
    Unknown,
}

/// The loaded code set.
#[derive(Debug)]
pub struct Cdcrec {
    concepts: Vec<Concept>,
    /// Index by the four-digit stem: `by_stem[1002]` is the position of `1002-5`.
    by_stem: Vec<Option<u16>>,
    /// Lower-cased display → positions (displays are not unique).
    by_display: HashMap<String, Vec<u16>>,
}

impl Cdcrec {
    /// Loads the embedded concept table.
    pub fn load() -> Self {
        let mut reader = csv::Reader::from_reader(CONCEPTS_CSV.as_bytes());
        let mut concepts = Vec::with_capacity(966);
        let mut parents: HashMap<String, String> = HashMap::new();
        for row in reader.records() {
            let row = row.expect("embedded cdcrec_concepts.csv is well-formed");
            let code = row[0].to_string();
            let kind = match &row[2] {
                "race" => Kind::Race,
                _ => Kind::Ethnicity,
            };
            let level = match &row[3] {
                "root" => Level::Root,
                "omb_category" => Level::OmbCategory,
                "other_race" => Level::OtherRace,
                _ => Level::Detailed,
            };
            let omb_category = Some(row[5].to_string()).filter(|c| !c.is_empty());
            if !row[7].is_empty() {
                parents.insert(code.clone(), row[7].to_string());
            }
            concepts.push(Concept {
                code,
                display: row[1].to_string(),
                kind,
                level,
                omb_category,
                spd15: None,
            });
        }
        for concept in &mut concepts {
            concept.spd15 = spd15_category(concept, &parents);
        }
        let mut by_stem = vec![None; 10_000];
        let mut by_display: HashMap<String, Vec<u16>> = HashMap::new();
        for (position, concept) in concepts.iter().enumerate() {
            let position = u16::try_from(position).expect("fewer than 65536 concepts");
            let stem: usize = concept.code[..4].parse().expect("numeric stem");
            by_stem[stem] = Some(position);
            by_display
                .entry(concept.display.to_lowercase())
                .or_default()
                .push(position);
        }
        Cdcrec {
            concepts,
            by_stem,
            by_display,
        }
    }

    /// How many concepts the set holds (966).
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether the set is empty (never, once loaded).
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// Parses and looks up a code: well-formed, check digit, known.
    pub fn lookup(&self, code: &str) -> Result<&Concept, CodeProblem> {
        let stem = parse_code(code)?;
        self.by_stem[usize::from(stem)]
            .map(|position| &self.concepts[usize::from(position)])
            .ok_or(CodeProblem::Unknown)
    }

    /// The concepts whose display equals `display`, ignoring case and surrounding space.
    pub fn by_display<'a>(&'a self, display: &str) -> impl Iterator<Item = &'a Concept> + 'a {
        self.by_display
            .get(&display.trim().to_lowercase())
            .into_iter()
            .flatten()
            .map(|position| &self.concepts[usize::from(*position)])
    }

    /// Whether `system` is absent or one of the accepted CDCREC system identifiers.
    pub fn accepts_system(system: Option<&str>) -> bool {
        system.is_none_or(|s| ACCEPTED_SYSTEMS.contains(&s))
    }
}

/// Checks the `dddd-d` shape and the Luhn check digit; returns the four-digit stem.
pub fn parse_code(code: &str) -> Result<u16, CodeProblem> {
    let bytes = code.as_bytes();
    if bytes.len() != 6 || bytes[4] != b'-' {
        return Err(CodeProblem::Malformed);
    }
    let digits = [bytes[0], bytes[1], bytes[2], bytes[3], bytes[5]];
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(CodeProblem::Malformed);
    }
    let value = |b: u8| u16::from(b - b'0');
    if luhn_check_digit(&digits[..4]) != value(digits[4]) {
        return Err(CodeProblem::CheckDigit);
    }
    Ok(digits[..4].iter().fold(0, |stem, b| stem * 10 + value(*b)))
}

/// The mod-10 (Luhn) check digit of a run of ASCII digits.
fn luhn_check_digit(digits: &[u8]) -> u16 {
    let sum: u16 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u16::from(b - b'0');
            if i % 2 == 0 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

fn spd15_category(concept: &Concept, parents: &HashMap<String, String>) -> Option<Spd15Category> {
    let mut ancestor = Some(concept.code.as_str());
    while let Some(code) = ancestor {
        if MENA_ROOTS.contains(&code) {
            return Some(Spd15Category::MiddleEasternOrNorthAfrican);
        }
        ancestor = parents.get(code).map(String::as_str);
    }
    match concept.omb_category.as_deref()? {
        "1002-5" => Some(Spd15Category::AmericanIndianOrAlaskaNative),
        "2028-9" => Some(Spd15Category::Asian),
        "2054-5" => Some(Spd15Category::BlackOrAfricanAmerican),
        "2076-8" => Some(Spd15Category::NativeHawaiianOrPacificIslander),
        "2106-3" => Some(Spd15Category::White),
        HISPANIC => Some(Spd15Category::HispanicOrLatino),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_966_concepts_load_and_pass_their_check_digit() {
        let set = Cdcrec::load();
        assert_eq!(set.len(), 966);
        for concept in &set.concepts {
            assert!(parse_code(&concept.code).is_ok(), "{}", concept.code);
        }
    }

    #[test]
    fn a_wrong_check_digit_is_caught() {
        assert_eq!(parse_code("2106-4"), Err(CodeProblem::CheckDigit));
        assert_eq!(parse_code("2106-3"), Ok(2106));
    }

    #[test]
    fn malformed_codes_are_caught() {
        for code in [
            "", "2106", "21063", "2106-", "21a6-3", "2106_3", "12106-3", "２106-3",
        ] {
            assert_eq!(parse_code(code), Err(CodeProblem::Malformed), "{code}");
        }
    }

    #[test]
    fn a_well_formed_code_outside_the_set_is_unknown() {
        let set = Cdcrec::load();
        // 0000-0 has a valid check digit but is no concept.
        assert_eq!(set.lookup("0000-0").err(), Some(CodeProblem::Unknown));
    }

    #[test]
    fn detailed_codes_roll_up_to_their_omb_category() {
        let set = Cdcrec::load();
        let korean = set.lookup("2040-4").unwrap();
        assert_eq!(korean.omb_category.as_deref(), Some("2028-9"));
        assert_eq!(korean.level, Level::Detailed);
        let mexican = set.lookup("2148-5").unwrap();
        assert!(mexican.is_hispanic());
    }

    #[test]
    fn spd15_moves_mena_and_its_descendants_out_of_white() {
        let set = Cdcrec::load();
        for code in ["2118-8", "2129-5", "2119-6"] {
            let concept = set.lookup(code).unwrap();
            assert_eq!(concept.omb_category.as_deref(), Some("2106-3"));
            assert_eq!(
                concept.spd15,
                Some(Spd15Category::MiddleEasternOrNorthAfrican)
            );
        }
        assert_eq!(
            set.lookup("2106-3").unwrap().spd15,
            Some(Spd15Category::White)
        );
        assert_eq!(set.lookup(OTHER_RACE).unwrap().spd15, None);
    }

    #[test]
    fn displays_are_found_ignoring_case_and_are_not_unique() {
        let set = Cdcrec::load();
        let dominican: Vec<_> = set
            .by_display(" dominican ")
            .map(|c| c.code.clone())
            .collect();
        assert_eq!(dominican.len(), 2);
    }
}
