"""All of the mock Spine's SQL."""
