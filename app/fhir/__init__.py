"""FHIR R4 plumbing shared by every route: media types, errors, bundles, capability."""
