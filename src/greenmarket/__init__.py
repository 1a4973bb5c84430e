"""greenmarket: market infrastructure for carbon credits and green bonds."""

__version__ = "0.1.0"
