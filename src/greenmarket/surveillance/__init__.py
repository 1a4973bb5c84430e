"""Market surveillance (市場監視): rules over orders, trades and transfers that raise alerts
(IOSCO good practices 11 and 17-20)."""
