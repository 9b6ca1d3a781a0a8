"""Fake provider servers: real HTTP servers on loopback that speak a provider's wire format."""
