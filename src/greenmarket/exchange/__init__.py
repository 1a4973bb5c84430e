"""The exchange core: contracts, calendars, continuous matching, call and sealed-bid auctions, block trades.

Pure Python with no I/O: time comes from each command, never from a clock, so replaying the same
commands rebuilds the same books, ids and events.
"""
