"""Financy."""
