"""The `begroting` command: a thin click layer over ledger and projections."""
