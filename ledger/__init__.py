"""The ledger: aggregates, the application service, input parsing and validation, storage."""
