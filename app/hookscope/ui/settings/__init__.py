"""The settings dialog: a module per tab, one place that saves, the checks as pure functions."""
