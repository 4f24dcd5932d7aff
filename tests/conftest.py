"""Shared fixtures live in tests/fixtures/; each domain adds its own module there."""

pytest_plugins = [
    "tests.fixtures.database",
    "tests.fixtures.app",
    "tests.fixtures.auth",
    "tests.fixtures.spine",
    "tests.fixtures.trace",
    "tests.fixtures.cpis",
]
