"""Deterministic synthetic population for the mock Spine, and the LA extract built on it."""
