//! A Bundle read into a compact index: for each entry, where its text lies in the body and
//! whether it is a Patient, a RelatedPerson or something else, with the links between
//! entries (a RelatedPerson's `patient.reference` to a Patient's `fullUrl` or
//! `Patient/{id}`). An entry's resource is read into the typed model
//! ([`super::model`]) only when it is checked, so a Bundle of a million entries costs a
//! dozen bytes an entry besides its body, not a typed resource each. Anything oddly shaped
//! (an entry that is not an object, an `entry` that is not an array) is kept as an empty
//! entry, not rejected.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::lenient::{absent_for, lenient_struct, FieldName, Node, Text};
use super::model::{self, Resource};

/// Why a body is not a Bundle to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleError {
    /// Not JSON (400).
    NotJson(String),
    /// JSON, but not a Bundle (422).
    NotABundle,
}

/// One entry, read: its resource.
#[derive(Debug, Clone, Default)]
pub struct BundleEntry {
    /// The resource (empty when absent).
    pub resource: Resource,
}

impl BundleEntry {
    /// `resource.resourceType` (empty when absent or not a string).
    pub fn kind(&self) -> &str {
        self.resource.resource_type.get().unwrap_or("")
    }
}

/// What an entry is, as far as linking entries needs to know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A Patient.
    Patient,
    /// A RelatedPerson.
    RelatedPerson,
    /// Anything else, an entry without a resource included.
    Other,
}

/// Where one entry's text lies in the body, and what it is: 12 bytes an entry.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
    kind: EntryKind,
}

/// A Bundle's index over its body (`B`: the body's bytes, owned or borrowed).
#[derive(Debug)]
pub struct ParsedBundle<B> {
    /// `Bundle.type`.
    pub kind: String,
    body: B,
    entries: Vec<Span>,
    /// RelatedPerson entry index → its Patient's entry index.
    pub owner: HashMap<usize, usize>,
    /// Patient entry index → its RelatedPerson entry indexes.
    pub related: HashMap<usize, Vec<usize>>,
}

impl<B: AsRef<[u8]>> ParsedBundle<B> {
    /// Reads a Bundle body into its index. The whole text is checked as the typed model
    /// checks it, so an entry read later never fails.
    pub fn parse(body: B) -> Result<Self, BundleError> {
        let text = body.as_ref();
        // Checked first: skipped strings are not checked for UTF-8 as they are read; offsets
        // are kept in 32 bits (the Bundle limit is far below 4 GiB).
        if std::str::from_utf8(text).is_err() {
            return Err(BundleError::NotJson("the body is not UTF-8".into()));
        }
        if u32::try_from(text.len()).is_err() {
            return Err(BundleError::NotJson("the body is too large to read".into()));
        }
        let unreadable = RefCell::new(None);
        let mut deserializer = serde_json::Deserializer::from_slice(text);
        let read = TopSeed {
            base: text.as_ptr() as usize,
            unreadable: &unreadable,
        }
        .deserialize(&mut deserializer)
        .and_then(|top| deserializer.end().map(|()| top));
        let top = match (read, unreadable.into_inner()) {
            (Ok(top), None) => top,
            // An entry the typed model could not read stopped the reading: its error, placed
            // in the whole body, is the one a single read of the body would have met first.
            (_, Some((at, error))) => {
                let (line, column) = position(text, at, error.line(), error.column());
                return Err(not_json(line, column));
            }
            (Err(error), None) => return Err(not_json(error.line(), error.column())),
        };
        if top.resource_type.get() != Some("Bundle") {
            return Err(BundleError::NotABundle);
        }
        let mut bundle = ParsedBundle {
            kind: top.kind.0.unwrap_or_default(),
            body,
            entries: top.entries,
            owner: HashMap::new(),
            related: HashMap::new(),
        };
        bundle.entries.shrink_to_fit();
        bundle.link(top.references);
        Ok(bundle)
    }

    /// Links each RelatedPerson to the Patient its reference names. Only the keys some
    /// RelatedPerson names are looked for, so a Bundle of Patients alone builds nothing.
    fn link(&mut self, references: Vec<(usize, String)>) {
        if references.is_empty() {
            return;
        }
        // An absolute reference (`https://host/fhir/Patient/7`) names `Patient/7` too.
        let suffix = |reference: &str| {
            reference
                .rfind("Patient/")
                .map(|at| reference[at..].to_string())
        };
        let wanted: HashSet<String> = references
            .iter()
            .flat_map(|(_, reference)| [Some(reference.clone()), suffix(reference)])
            .flatten()
            .collect();
        let mut patients: HashMap<String, usize> = HashMap::new();
        for (index, span) in self.entries.iter().enumerate() {
            if span.kind != EntryKind::Patient {
                continue;
            }
            let head: Node<EntryHead> = serde_json::from_slice(self.text(span)).unwrap_or_default();
            if let Some(url) = head.0.full_url.0.filter(|url| wanted.contains(url)) {
                patients.insert(url, index);
            }
            if let Some(id) = head.0.resource.0.id.get() {
                let key = format!("Patient/{id}");
                if wanted.contains(&key) {
                    patients.insert(key, index);
                }
            }
        }
        for (index, reference) in references {
            let owner = patients
                .get(&reference)
                .or_else(|| patients.get(&suffix(&reference)?));
            if let Some(owner) = owner.copied() {
                self.owner.insert(index, owner);
                self.related.entry(owner).or_default().push(index);
            }
        }
    }

    fn text(&self, span: &Span) -> &[u8] {
        &self.body.as_ref()[span.start as usize..span.end as usize]
    }

    /// How many entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// What entry `index` is (`Other` when out of range).
    pub fn kind_of(&self, index: usize) -> EntryKind {
        self.entries.get(index).map_or(EntryKind::Other, |s| s.kind)
    }

    /// The Patient with the most RelatedPersons attached, and how many (`None` without any).
    pub fn most_related(&self) -> Option<(usize, usize)> {
        self.related
            .iter()
            .map(|(patient, related)| (*patient, related.len()))
            .max_by_key(|(patient, count)| (*count, std::cmp::Reverse(*patient)))
    }

    /// The entries cut into consecutive chunks to check, each of at most `budget`
    /// resources read (an entry, and for a Patient its RelatedPersons too), and of at least
    /// one entry: a chunk of Patients with many caregivers holds fewer Patients.
    pub fn chunks(&self, budget: usize) -> Vec<std::ops::Range<usize>> {
        let mut chunks = Vec::new();
        let (mut start, mut weight) = (0, 0);
        for index in 0..self.len() {
            let read = 1 + self.related.get(&index).map_or(0, Vec::len);
            if index > start && weight + read > budget {
                chunks.push(start..index);
                (start, weight) = (index, 0);
            }
            weight += read;
        }
        if start < self.len() {
            chunks.push(start..self.len());
        }
        chunks
    }

    /// Entry `index`, read into the typed model (empty when out of range).
    pub fn entry(&self, index: usize) -> BundleEntry {
        let Some(span) = self.entries.get(index) else {
            return BundleEntry::default();
        };
        // The text was read the same way when the index was built: it cannot fail here.
        let entry: model::BundleEntry = model::read(self.text(span)).unwrap_or_default();
        BundleEntry {
            resource: entry.resource.map(|r| r.0).unwrap_or_default(),
        }
    }
}

fn not_json(line: usize, column: usize) -> BundleError {
    BundleError::NotJson(format!(
        "the body is not JSON (line {line} column {column})"
    ))
}

/// The position in the whole body of `line`:`column` of the entry text starting at `at`.
fn position(body: &[u8], at: usize, line: usize, column: usize) -> (usize, usize) {
    let before = &body[..at];
    let lines_before = before.iter().filter(|b| **b == b'\n').count();
    if line > 1 {
        return (lines_before + line, column);
    }
    let line_start = before
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1);
    (lines_before + 1, at - line_start + column)
}

lenient_struct! {
    /// What linking reads of an entry.
    pub struct EntryHead {
        /// `fullUrl`.
        "fullUrl" => full_url: Text,
        /// `resource`.
        "resource" => resource: Node<ResourceHead>,
    }
}

lenient_struct! {
    /// What linking reads of a Patient.
    pub struct ResourceHead {
        /// `id`.
        "id" => id: Text,
    }
}

/// Where an entry the typed model cannot read is kept: its offset in the body and why.
type Unreadable = RefCell<Option<(usize, serde_json::Error)>>;

/// The Bundle's own elements and its entries' index.
#[derive(Default)]
struct TopElements {
    resource_type: Text,
    kind: Text,
    entries: Vec<Span>,
    /// RelatedPerson entry index → the reference to its Patient.
    references: Vec<(usize, String)>,
}

/// Reads the top-level object: a repeated key keeps its last value, anything but an
/// object is an empty Bundle (which is then not a Bundle), as in the typed model.
struct TopSeed<'u> {
    base: usize,
    unreadable: &'u Unreadable,
}

impl<'de> DeserializeSeed<'de> for TopSeed<'_> {
    type Value = TopElements;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<TopElements, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopSeed<'_> {
    type Value = TopElements;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TopElements, A::Error> {
        const FIELDS: &[&str] = &["resourceType", "type", "entry"];
        let mut top = TopElements::default();
        while let Some(field) = map.next_key_seed(FieldName(FIELDS))? {
            match field {
                Some("resourceType") => top.resource_type = map.next_value()?,
                Some("type") => top.kind = map.next_value()?,
                Some("entry") => {
                    (top.entries, top.references) = map.next_value_seed(EntriesSeed {
                        base: self.base,
                        unreadable: self.unreadable,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(top)
    }
    absent_for!(TopElements::default(); bool, number, str, unit, seq);
}

/// Reads `Bundle.entry`: each entry kept as its place in the body, read once through the
/// typed model to check it and learn what it is; the RelatedPersons' references. Anything
/// but an array is no entries.
struct EntriesSeed<'u> {
    base: usize,
    unreadable: &'u Unreadable,
}

type Entries = (Vec<Span>, Vec<(usize, String)>);

impl<'de> DeserializeSeed<'de> for EntriesSeed<'_> {
    type Value = Entries;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Entries, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EntriesSeed<'_> {
    type Value = Entries;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entries, A::Error> {
        let mut entries = Vec::new();
        let mut references = Vec::new();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            let text = raw.get();
            let start = text.as_ptr() as usize - self.base;
            let entry = match model::read_str::<model::BundleEntry>(text) {
                Ok(entry) => entry,
                Err(error) => {
                    // Stop here, as one read of the whole body would have.
                    *self.unreadable.borrow_mut() = Some((start, error));
                    return Err(de::Error::custom("an entry cannot be read"));
                }
            };
            let resource = entry.resource.as_ref().map(|r| &r.0);
            let kind = match resource.and_then(|r| r.resource_type.get()) {
                Some("Patient") => EntryKind::Patient,
                Some("RelatedPerson") => {
                    if let Some(reference) = resource.and_then(super::patient::related_patient) {
                        references.push((entries.len(), reference.to_string()));
                    }
                    EntryKind::RelatedPerson
                }
                _ => EntryKind::Other,
            };
            // Offsets fit: the body's length was checked to fit in 32 bits.
            entries.push(Span {
                start: start as u32,
                end: (start + text.len()) as u32,
                kind,
            });
        }
        Ok((entries, references))
    }
    absent_for!((Vec::new(), Vec::new()); bool, number, str, unit, map);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_linked_by_id_full_url_and_absolute_reference() {
        let body = br#"{"resourceType":"Bundle","type":"batch","entry":[
            {"fullUrl":"urn:uuid:a","resource":{"resourceType":"Patient","id":"p1"}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"urn:uuid:a"}}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"https://x/fhir/Patient/p1"}}},
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/none"}}},
            7,
            {"resource":{"resourceType":"Observation"}}
        ]}"#;
        let bundle = ParsedBundle::parse(&body[..]).unwrap();
        assert_eq!(bundle.kind, "batch");
        assert_eq!(bundle.len(), 6);
        assert_eq!(bundle.owner.get(&1), Some(&0));
        assert_eq!(bundle.owner.get(&2), Some(&0));
        assert_eq!(bundle.owner.get(&3), None);
        assert_eq!(bundle.related.get(&0), Some(&vec![1, 2]));
        assert_eq!(bundle.kind_of(0), EntryKind::Patient);
        assert_eq!(bundle.kind_of(1), EntryKind::RelatedPerson);
        assert_eq!(bundle.entry(0).resource.id.get(), Some("p1"));
        assert_eq!(bundle.entry(4).kind(), "");
        assert_eq!(bundle.entry(5).kind(), "Observation");
        assert_eq!(bundle.entry(6).kind(), "", "out of range reads as empty");
    }

    #[test]
    fn chunks_weigh_each_patient_with_its_related_persons() {
        let mut body = String::from(r#"{"resourceType":"Bundle","entry":["#);
        // Entry 0: a Patient with four RelatedPersons (entries 1-4); then six Patients.
        body.push_str(r#"{"resource":{"resourceType":"Patient","id":"p"}}"#);
        for _ in 0..4 {
            body.push_str(r#",{"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/p"}}}"#);
        }
        for _ in 0..6 {
            body.push_str(r#",{"resource":{"resourceType":"Patient"}}"#);
        }
        body.push_str("]}");
        let bundle = ParsedBundle::parse(body.as_bytes()).unwrap();
        assert_eq!(bundle.most_related(), Some((0, 4)));
        // Entry 0 reads five resources, every other entry one.
        assert_eq!(bundle.chunks(6), [0..2, 2..8, 8..11]);
        assert_eq!(bundle.chunks(2), [0..1, 1..3, 3..5, 5..7, 7..9, 9..11]);
        assert_eq!(
            bundle.chunks(100),
            vec![(0..11)],
            "one chunk when it all fits"
        );
        let empty = ParsedBundle::parse(&br#"{"resourceType":"Bundle"}"#[..]).unwrap();
        assert!(empty.chunks(10).is_empty());
        assert_eq!(empty.most_related(), None);
    }

    #[test]
    fn the_last_of_two_patients_with_one_key_owns_its_related_persons() {
        let body = br#"{"resourceType":"Bundle","entry":[
            {"resource":{"resourceType":"RelatedPerson","patient":{"reference":"Patient/p"}}},
            {"resource":{"resourceType":"Patient","id":"p"}},
            {"resource":{"resourceType":"Patient","id":"p"}}
        ]}"#;
        let bundle = ParsedBundle::parse(&body[..]).unwrap();
        assert_eq!(bundle.owner.get(&0), Some(&2));
    }

    #[test]
    fn what_is_not_a_bundle_is_told_apart_from_what_is_not_json() {
        let parse = |body: &'static [u8]| ParsedBundle::parse(body).map(|b| b.len());
        assert!(matches!(parse(b"{oops"), Err(BundleError::NotJson(_))));
        assert!(matches!(parse(b"\xff\xfe"), Err(BundleError::NotJson(_))));
        assert_eq!(
            parse(br#"{"resourceType":"Patient"}"#).unwrap_err(),
            BundleError::NotABundle
        );
        assert_eq!(parse(b"[1,2]").unwrap_err(), BundleError::NotABundle);
        assert_eq!(
            parse(br#"{"resourceType":"Bundle","entry":{"x":1}}"#),
            Ok(0)
        );
        assert_eq!(
            parse(br#"{"resourceType":"Bundle","entry":[{},{}],"entry":[]}"#),
            Ok(0),
            "a repeated key keeps its last value"
        );
    }

    #[test]
    fn an_entry_the_model_cannot_read_is_not_json_where_it_is() {
        // Syntax is fine, but a read element holds a lone surrogate: the typed model refuses
        // it, as it would the whole Bundle read at once, at the same position.
        let body = "{\"resourceType\":\"Bundle\",\"entry\":[\n{\"resource\":{\"resourceType\":\"Patient\"}},\n  {\"resource\":{\"birthDate\":\"\\ud800\"}}]}";
        let whole = model::read::<model::Bundle>(body.as_bytes()).unwrap_err();
        let indexed = ParsedBundle::parse(body.as_bytes()).unwrap_err();
        assert_eq!(indexed, BundleError::NotJson(whole.0));
    }
}
