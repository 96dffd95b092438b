//! The FHIR R4 elements real-dq reads, as lenient typed structs (see [`super::lenient`]):
//! a Patient, a RelatedPerson, a `Parameters` wrapper and a Bundle. Every other element is
//! skipped without being built, in one pass over the text; a key given twice in one object
//! keeps its last value, as in a JSON tree.

use serde::de::DeserializeOwned;

use super::lenient::lenient_struct;
pub use super::lenient::{Flag, List, Node, Text};

lenient_struct! {
    /// A resource: the union of the Patient, RelatedPerson and Parameters elements mapped.
    pub struct Resource {
        /// `resourceType`.
        "resourceType" => resource_type: Text,
        /// `id`.
        "id" => id: Text,
        /// `meta`.
        "meta" => meta: Node<Meta>,
        /// `identifier`.
        "identifier" => identifier: List<Node<Identifier>>,
        /// `birthDate`.
        "birthDate" => birth_date: Text,
        /// `managingOrganization`.
        "managingOrganization" => managing_organization: Node<Reference>,
        /// `extension`.
        "extension" => extension: List<Node<Extension>>,
        /// `communication`.
        "communication" => communication: List<Node<Communication>>,
        /// `RelatedPerson.relationship`.
        "relationship" => relationship: List<Node<CodeableConcept>>,
        /// `RelatedPerson.patient`.
        "patient" => patient: Node<Reference>,
        /// `Parameters.parameter`.
        "parameter" => parameter: List<Node<Parameter>>,
    }
}

impl Resource {
    /// The extension with this URL, if any (the first).
    pub fn extension(&self, url: &str) -> Option<&Extension> {
        find_extension(&self.extension, url)
    }

    /// `$validate`'s resource: a `Parameters` resource's `resource` parameter, else itself.
    pub fn unwrap_parameters(self) -> Resource {
        if self.resource_type.get() != Some("Parameters") {
            return self;
        }
        let wrapped = self
            .parameter
            .iter()
            .find(|p| p.name.get() == Some("resource"))
            .and_then(|p| p.resource.as_deref())
            .map(|r| r.0.clone());
        wrapped.unwrap_or(self)
    }
}

fn find_extension<'a>(extensions: &'a [Node<Extension>], url: &str) -> Option<&'a Extension> {
    extensions
        .iter()
        .map(|e| &e.0)
        .find(|e| e.url.get() == Some(url))
}

lenient_struct! {
    /// `Resource.meta`.
    pub struct Meta {
        /// `meta.source`.
        "source" => source: Text,
        /// `meta.lastUpdated`.
        "lastUpdated" => last_updated: Text,
    }
}

lenient_struct! {
    /// An `Identifier`.
    pub struct Identifier {
        /// `system`.
        "system" => system: Text,
        /// `value`.
        "value" => value: Text,
        /// `type`.
        "type" => kind: Node<CodeableConcept>,
    }
}

lenient_struct! {
    /// A `Reference`.
    pub struct Reference {
        /// `reference`.
        "reference" => reference: Text,
        /// `display`.
        "display" => display: Text,
        /// `identifier`.
        "identifier" => identifier: Node<Identifier>,
    }
}

lenient_struct! {
    /// A `CodeableConcept`.
    pub struct CodeableConcept {
        /// `coding`.
        "coding" => coding: List<Node<Coding>>,
        /// `text`.
        "text" => text: Text,
    }
}

lenient_struct! {
    /// A `Coding`.
    pub struct Coding {
        /// `system`.
        "system" => system: Text,
        /// `code`.
        "code" => code: Text,
        /// `display`.
        "display" => display: Text,
    }
}

lenient_struct! {
    /// An `Extension`, with the value types real-dq reads.
    pub struct Extension {
        /// `url`.
        "url" => url: Text,
        /// Nested `extension` (complex extensions such as us-core-race).
        "extension" => extension: List<Node<Extension>>,
        /// `valueCoding`: `None` when absent (or `null`); any other shape reads as an empty
        /// Coding, which the rules then report.
        "valueCoding" => value_coding: Option<Node<Coding>>,
        /// `valueString`.
        "valueString" => value_string: Text,
        /// `valueCode`.
        "valueCode" => value_code: Text,
        /// `valueBoolean`.
        "valueBoolean" => value_boolean: Flag,
    }
}

impl Extension {
    /// The nested extension with this URL, if any (the first).
    pub fn extension(&self, url: &str) -> Option<&Extension> {
        find_extension(&self.extension, url)
    }
}

lenient_struct! {
    /// `Patient.communication` / `RelatedPerson.communication`.
    pub struct Communication {
        /// `language`.
        "language" => language: Node<CodeableConcept>,
        /// `preferred`.
        "preferred" => preferred: Flag,
    }
}

lenient_struct! {
    /// `Parameters.parameter`.
    pub struct Parameter {
        /// `name`.
        "name" => name: Text,
        /// `resource`.
        "resource" => resource: Option<Box<Node<Resource>>>,
    }
}

lenient_struct! {
    /// A Bundle.
    pub struct Bundle {
        /// `resourceType`.
        "resourceType" => resource_type: Text,
        /// `type`.
        "type" => kind: Text,
        /// `entry`.
        "entry" => entry: List<Node<BundleEntry>>,
    }
}

lenient_struct! {
    /// `Bundle.entry`.
    pub struct BundleEntry {
        /// `fullUrl`.
        "fullUrl" => full_url: Text,
        /// `resource`: `None` when absent.
        "resource" => resource: Option<Node<Resource>>,
    }
}

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotJson(pub String);

/// Reads a document (a resource or a Bundle, any JSON at all) in one pass. `Err` when it is
/// not JSON. Elements the model skips are checked for JSON syntax only: a lone `\ud800` or
/// a number too large for a double inside them is let through, as the element is not read.
pub fn read<T: DeserializeOwned + Default>(body: &[u8]) -> Result<T, NotJson> {
    // Checked first: skipped strings are not checked for UTF-8 as they are read.
    if std::str::from_utf8(body).is_err() {
        return Err(NotJson("the body is not UTF-8".into()));
    }
    // The lenient types accept every JSON shape, so any error is the text's.
    serde_json::from_slice::<Node<T>>(body)
        .map(|node| node.0)
        .map_err(|error| {
            NotJson(format!(
                "the body is not JSON (line {} column {})",
                error.line(),
                error.column()
            ))
        })
}

/// Reads a document from text, as [`read`] does; `Err` is the JSON error with its
/// position in `text`.
pub fn read_str<T: DeserializeOwned + Default>(text: &str) -> Result<T, serde_json::Error> {
    serde_json::from_str::<Node<T>>(text).map(|node| node.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_key_keeps_its_last_value() {
        let body =
            br#"{"resourceType": "Patient", "birthDate": "2019-01-01", "birthDate": "2020-02-02"}"#;
        let resource: Resource = read(body).unwrap();
        assert_eq!(resource.birth_date.get(), Some("2020-02-02"));
        assert_eq!(resource.resource_type.get(), Some("Patient"));
    }

    #[test]
    fn what_is_not_json_is_told_with_its_position() {
        let error = read::<Resource>(b"{\n  \"resourceType\": Patient}").unwrap_err();
        assert_eq!(error.0, "the body is not JSON (line 2 column 19)");
        assert!(read::<Resource>(b"\xff").is_err());
        assert!(read::<Resource>(b"[1, 2]")
            .unwrap()
            .resource_type
            .get()
            .is_none());
    }

    #[test]
    fn parameters_unwrap_to_their_resource() {
        let body = br#"{"resourceType": "Parameters", "parameter": [
            {"name": "mode", "valueCode": "create"},
            {"name": "resource", "resource": {"resourceType": "Patient", "id": "p1"}}]}"#;
        let resource = read::<Resource>(body).unwrap().unwrap_parameters();
        assert_eq!(resource.id.get(), Some("p1"));
        let plain = read::<Resource>(br#"{"resourceType": "Patient", "id": "p2"}"#)
            .unwrap()
            .unwrap_parameters();
        assert_eq!(plain.id.get(), Some("p2"));
    }
}
