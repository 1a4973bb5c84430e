"""Bonds: reference data, day counts, coupon schedules, zero curves and Z-spreads.

The pricing core (``daycount``, ``schedule``, ``curves``, ``zspread``) is pure and works on numpy
arrays so that many bonds and days are priced at once; ``reference`` and ``cli`` are the file and
command-line edges. Formats follow ``FORMATS.md`` (sections Bonds, Prices, Curves, Z-spread).
"""
