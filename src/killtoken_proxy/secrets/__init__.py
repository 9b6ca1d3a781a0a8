"""Secrets: provider keys and the CLI's own tenant key, kept in the OS keyring or the encrypted vault."""
