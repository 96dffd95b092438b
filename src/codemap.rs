//! Local code maps: an EHR's own race, ethnicity and language codes mapped to the standard
//! ones (CDCREC, BCP 47). A profile carries them (`code_maps`), globally and per source;
//! the built-in `iso-639-2` map turns ISO 639-2 codes (`chi`, `ger`, `fre`, `eng`) and their
//! English names (`Spanish`) into BCP 47.
//!
//! A map key is never itself a valid standard value (the profile check refuses one), so a
//! map only ever rewrites values that would otherwise be invalid, and lookup order does not
//! matter.

use std::collections::BTreeMap;

use foldhash::HashMap;

use serde::{Deserialize, Serialize};

use crate::codesets::CodeSets;

/// The Library of Congress ISO 639-2 rows that have an ISO 639-1 code.
const ISO_639_2: &str = include_str!("../data/codesets/iso-639-2-alpha2.txt");
/// v3 RoleCode relationships and v2-0131 contact roles to table 0063.
const RELATIONSHIPS: &str = include_str!("../data/codesets/relationship-to-v2-0063.txt");

/// A map shipped with the service, named in a profile's `code_maps.builtin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BuiltinMap {
    /// ISO 639-2/B and /T codes and their English names to ISO 639-1 (BCP 47).
    #[serde(rename = "iso-639-2")]
    Iso639_2,
    /// HL7 v3 RoleCode personal relationships and v2-0131 contact roles (FHIR
    /// `RelatedPerson.relationship`) to HL7 v2 table 0063.
    #[serde(rename = "v3-rolecode")]
    V3RoleCode,
}

/// Local codes of each mapped field: local code (matched case-insensitively) → standard code.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldMaps {
    /// Race codes to CDCREC codes.
    #[serde(default)]
    pub race: BTreeMap<String, String>,
    /// Ethnicity codes to CDCREC codes.
    #[serde(default)]
    pub ethnicity: BTreeMap<String, String>,
    /// Language codes or names to BCP 47 tags.
    #[serde(default)]
    pub language: BTreeMap<String, String>,
    /// Caregiver relationships (words, other tables' codes) to HL7 table 0063 codes.
    #[serde(default)]
    pub relationship: BTreeMap<String, String>,
}

impl FieldMaps {
    /// The four maps with the field each one is for.
    pub fn fields(&self) -> [(MapField, &BTreeMap<String, String>); 4] {
        [
            (MapField::Race, &self.race),
            (MapField::Ethnicity, &self.ethnicity),
            (MapField::Language, &self.language),
            (MapField::Relationship, &self.relationship),
        ]
    }
}

/// A profile's `code_maps`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeMaps {
    /// Built-in maps to include (under the profile's own entries).
    #[serde(default)]
    pub builtin: Vec<BuiltinMap>,
    /// Race codes to CDCREC codes, for every source.
    #[serde(default)]
    pub race: BTreeMap<String, String>,
    /// Ethnicity codes to CDCREC codes, for every source.
    #[serde(default)]
    pub ethnicity: BTreeMap<String, String>,
    /// Language codes or names to BCP 47 tags, for every source.
    #[serde(default)]
    pub language: BTreeMap<String, String>,
    /// Caregiver relationships to HL7 table 0063 codes, for every source.
    #[serde(default)]
    pub relationship: BTreeMap<String, String>,
    /// Maps of one sending system (`source`), consulted before the global ones.
    #[serde(default)]
    pub by_source: BTreeMap<String, FieldMaps>,
}

impl CodeMaps {
    /// The global maps with the field each one is for.
    pub fn fields(&self) -> [(MapField, &BTreeMap<String, String>); 4] {
        [
            (MapField::Race, &self.race),
            (MapField::Ethnicity, &self.ethnicity),
            (MapField::Language, &self.language),
            (MapField::Relationship, &self.relationship),
        ]
    }
}

/// Which field a code was sent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapField {
    /// A race code.
    Race,
    /// An ethnicity code.
    Ethnicity,
    /// A language tag.
    Language,
    /// A caregiver's relationship to the patient.
    Relationship,
}

impl MapField {
    /// The field's name in `code_maps`.
    pub fn as_str(self) -> &'static str {
        match self {
            MapField::Race => "race",
            MapField::Ethnicity => "ethnicity",
            MapField::Language => "language",
            MapField::Relationship => "relationship",
        }
    }
}

/// Lower-cased lookup tables of one scope (global or one source).
#[derive(Debug, Clone, Default, PartialEq)]
struct FieldIndex {
    race: HashMap<String, String>,
    ethnicity: HashMap<String, String>,
    language: HashMap<String, String>,
    relationship: HashMap<String, String>,
}

impl FieldIndex {
    fn of(&self, field: MapField) -> &HashMap<String, String> {
        match field {
            MapField::Race => &self.race,
            MapField::Ethnicity => &self.ethnicity,
            MapField::Language => &self.language,
            MapField::Relationship => &self.relationship,
        }
    }

    fn of_mut(&mut self, field: MapField) -> &mut HashMap<String, String> {
        match field {
            MapField::Race => &mut self.race,
            MapField::Ethnicity => &mut self.ethnicity,
            MapField::Language => &mut self.language,
            MapField::Relationship => &mut self.relationship,
        }
    }

    fn is_empty(&self) -> bool {
        self.race.is_empty()
            && self.ethnicity.is_empty()
            && self.language.is_empty()
            && self.relationship.is_empty()
    }

    /// Adds the entries of each field's map (later entries win).
    fn add(&mut self, fields: [(MapField, &BTreeMap<String, String>); 4]) {
        for (field, entries) in fields {
            let into = self.of_mut(field);
            for (from, to) in entries {
                into.insert(normalise(from), to.trim().to_string());
            }
        }
    }
}

fn normalise(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The compiled maps of a profile, ready for lookups.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MapIndex {
    global: FieldIndex,
    by_source: HashMap<String, FieldIndex>,
}

impl MapIndex {
    /// Compiles a profile's maps; built-ins first, so the profile's own entries win.
    pub fn build(maps: &CodeMaps, codes: &CodeSets) -> Self {
        let mut global = FieldIndex::default();
        for builtin in &maps.builtin {
            match builtin {
                BuiltinMap::Iso639_2 => {
                    for (from, to) in iso_639_2() {
                        // A name or code that is itself a registered tag is left alone.
                        if codes.languages.check(&from).is_err() {
                            global.language.insert(normalise(&from), to);
                        }
                    }
                }
                BuiltinMap::V3RoleCode => {
                    for (from, to) in role_codes() {
                        global.relationship.insert(normalise(from), to.to_string());
                    }
                }
            }
        }
        global.add(maps.fields());
        let by_source = maps
            .by_source
            .iter()
            .map(|(source, fields)| {
                let mut scoped = FieldIndex::default();
                scoped.add(fields.fields());
                (source.clone(), scoped)
            })
            .filter(|(_, scoped)| !scoped.is_empty())
            .collect();
        MapIndex { global, by_source }
    }

    /// Whether no map is in force at all (lookups can be skipped).
    pub fn is_empty(&self) -> bool {
        self.global.is_empty() && self.by_source.is_empty()
    }

    /// The standard code a local `value` of `field` from `source` maps to, if any.
    pub fn lookup(&self, source: &str, field: MapField, value: &str) -> Option<&str> {
        // Most values are already trimmed lower-case ASCII codes: look them up as they are
        // rather than allocate their normal form.
        let plain = value
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
        let normal;
        let key = if plain {
            value
        } else {
            normal = normalise(value);
            normal.as_str()
        };
        if key.is_empty() {
            return None;
        }
        self.by_source
            .get(source)
            .and_then(|scoped| scoped.of(field).get(key))
            .or_else(|| self.global.of(field).get(key))
            .map(String::as_str)
    }
}

/// The `v3-rolecode` built-in map's pairs.
pub fn role_codes() -> impl Iterator<Item = (&'static str, &'static str)> {
    RELATIONSHIPS
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .filter_map(|line| line.split_once('|'))
}

/// The `iso-639-2` built-in: each bibliographic and terminologic code and each English
/// name, paired with its ISO 639-1 code.
pub fn iso_639_2() -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for line in ISO_639_2.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let mut columns = line.split('|');
        let (Some(bibliographic), Some(terminologic), Some(alpha2), Some(names)) = (
            columns.next(),
            columns.next(),
            columns.next(),
            columns.next(),
        ) else {
            continue;
        };
        for from in [bibliographic, terminologic]
            .into_iter()
            .chain(names.split("; "))
            .filter(|from| !from.is_empty())
        {
            pairs.push((from.to_string(), alpha2.to_string()));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<&'static str>> {
        ISO_639_2
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.split('|').collect())
            .collect()
    }

    #[test]
    fn the_table_holds_every_iso_639_1_code_once() {
        let rows = rows();
        // ISO 639-1 has 184 codes; 20 languages have distinct bibliographic codes.
        assert_eq!(rows.len(), 184);
        assert_eq!(rows.iter().filter(|r| !r[1].is_empty()).count(), 20);
        let mut alpha2: Vec<&str> = rows.iter().map(|r| r[2]).collect();
        alpha2.sort_unstable();
        alpha2.dedup();
        assert_eq!(alpha2.len(), 184);
    }

    #[test]
    fn every_target_is_a_registered_tag_and_no_three_letter_code_is() {
        let codes = CodeSets::get();
        for row in rows() {
            assert!(
                codes.languages.check(row[2]).is_ok(),
                "{} unregistered",
                row[2]
            );
            for code in [row[0], row[1]].into_iter().filter(|c| !c.is_empty()) {
                assert!(
                    codes.languages.check(code).is_err(),
                    "{code} is a registered tag, so mapping it would change a valid value"
                );
            }
        }
    }

    #[test]
    fn bibliographic_terminologic_and_names_all_map() {
        let maps = CodeMaps {
            builtin: vec![BuiltinMap::Iso639_2],
            ..CodeMaps::default()
        };
        let index = MapIndex::build(&maps, CodeSets::get());
        for (from, to) in [
            ("chi", "zh"),
            ("zho", "zh"),
            ("ger", "de"),
            ("DEU", "de"),
            ("fre", "fr"),
            ("eng", "en"),
            ("spa", "es"),
            ("Spanish", "es"),
            ("castilian", "es"),
            ("Haitian Creole", "ht"),
            (" Vietnamese ", "vi"),
        ] {
            assert_eq!(
                index.lookup("any", MapField::Language, from),
                Some(to),
                "{from}"
            );
        }
        assert_eq!(index.lookup("any", MapField::Language, "es"), None);
        assert_eq!(index.lookup("any", MapField::Race, "spa"), None);
        assert_eq!(index.lookup("any", MapField::Language, "Klingon"), None);
    }

    #[test]
    fn a_source_map_wins_over_the_global_one_for_that_source_only() {
        let mut maps = CodeMaps::default();
        maps.race.insert("1".into(), "2106-3".into());
        maps.by_source.insert(
            "cerner".into(),
            FieldMaps {
                race: BTreeMap::from([("1".to_string(), "2054-5".to_string())]),
                ..FieldMaps::default()
            },
        );
        let index = MapIndex::build(&maps, CodeSets::get());
        assert_eq!(index.lookup("epic", MapField::Race, "1"), Some("2106-3"));
        assert_eq!(index.lookup("cerner", MapField::Race, "1"), Some("2054-5"));
        assert_eq!(index.lookup("cerner", MapField::Ethnicity, "1"), None);
        assert!(!index.is_empty());
        assert!(MapIndex::build(&CodeMaps::default(), CodeSets::get()).is_empty());
    }

    #[test]
    fn role_codes_map_non_0063_codes_to_0063_codes() {
        let codes = CodeSets::get();
        let pairs: Vec<_> = role_codes().collect();
        assert!(pairs.len() > 60, "{}", pairs.len());
        for (from, to) in pairs {
            assert!(
                !codes.relationships.contains(from),
                "{from} is a table 0063 code"
            );
            assert!(codes.relationships.contains(to), "{from} -> {to}");
        }
        let maps = CodeMaps {
            builtin: vec![BuiltinMap::V3RoleCode],
            ..CodeMaps::default()
        };
        let index = MapIndex::build(&maps, codes);
        assert_eq!(
            index.lookup("any", MapField::Relationship, "prn"),
            Some("PAR")
        );
        assert_eq!(index.lookup("any", MapField::Relationship, "MTH"), None);
    }
}
