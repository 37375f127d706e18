"""Disclosure control across publications: the ledger of released figures and the LP audit."""
