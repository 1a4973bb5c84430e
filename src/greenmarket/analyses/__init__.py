"""Analysis runs: where greenium and impact runs are kept so that the web pages can show the latest."""
