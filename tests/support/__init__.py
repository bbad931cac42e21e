"""Test support: real processes and network conditions for integration tests."""
