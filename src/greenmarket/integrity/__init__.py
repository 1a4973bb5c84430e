"""Integrity: the transparency log over the journal, the token bridge and the meta-registry."""
