"""Code shared by the gateway (`app`) and the mock Spine (`mock_spine`).

Neither service imports the other; both may import this package. Keep it small:
pure identifier rules and the FHIR/Spine error vocabulary.
"""
