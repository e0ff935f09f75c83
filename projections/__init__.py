"""Read models rebuilt from the event store: schema, catch-up projector, queries."""
