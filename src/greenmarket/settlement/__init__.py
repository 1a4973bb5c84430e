"""Settlement: the participants' cash ledger and delivery versus payment of trades."""
