"""Persistent state in TinyDB files: tenants, credential metadata and the request ledger."""
