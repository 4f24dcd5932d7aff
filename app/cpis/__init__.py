"""CP-IS style child-protection flags: LA writes, care-setting reads, access events, alerts."""
