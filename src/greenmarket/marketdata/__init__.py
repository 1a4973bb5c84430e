"""Public market data: trade tape, daily reports, order-book depth, registry statistics, streams."""
