"""Patient search as PDS does it: parameter validation, matching and scoring."""
