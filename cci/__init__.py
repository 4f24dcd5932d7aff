"""The `cci` command line: starts the services and runs operational tasks."""
