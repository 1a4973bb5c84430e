"""The registry: who holds which serialized carbon credit (issuance, transfer, retirement, holds)."""
