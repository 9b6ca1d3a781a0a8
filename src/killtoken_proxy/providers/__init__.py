"""Provider adapters: one module per provider, each translating the internal request to its wire format."""
