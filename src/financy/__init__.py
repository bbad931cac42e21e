"""Financy: family and group finances from chat messages, understood on hardware you own."""

__version__ = "0.1.0"
