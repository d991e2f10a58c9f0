"""The Captures tab: the live list of captures, its filters, and one capture in detail."""
