"""Shared fixtures live in tests/fixtures/; each domain adds its own module there."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.spine",
    "tests.fixtures.auth",
    "tests.fixtures.trace",
    "tests.fixtures.cpis",
]
