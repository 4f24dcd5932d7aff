"""Trace: NHS-number retrieval, demographic search and `Patient/$match` against the Spine."""
