"""The meta-registry: other registries' public exports, read as exact serial intervals, and the finder of double counting across them."""
