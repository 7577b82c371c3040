"""Tamper evidence for the ledger that holds against whoever owns the database.

The database guards (`consent.ledger`) are a first line only: an owner can drop triggers. What
makes tampering evident is what they cannot redo without the signing key: signed Merkle
checkpoints over every site's events and chain heads (`checkpoints`, `merkle`), signed receipts
(`receipts`), and a verifier that recomputes all of it from the stored rows (`verify`).
"""
