"""Widgets and models every feature shares: labels, fields, tables, badges, the body view."""
