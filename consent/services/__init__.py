"""Writes to the consent ledger, one module per concern. Views, the API, the admin and commands
all come through here: `subjects` (references to people), `decisions` (validating and recording a
request), `chain` (the hash-chained events and current states), `first_decision` (a new visitor's
first decision on PostgreSQL in one statement), `receipts`, `minors`, `audit`, and `sql` (the lean
row inserts both paths share). Listeners learn of changes from `consent.signals`, never from here.
"""
