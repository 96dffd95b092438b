//! FHIR R4 over HTTP: the conformance corpus (tests/fixtures/fhir-synthea, fhir-uscore).
