"""Pure Python: the records, the protocols and the formats, with no I/O and no toolkit."""
