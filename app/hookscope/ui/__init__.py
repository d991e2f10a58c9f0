"""The desktop app: the only package that imports PySide6 or qasync.

A package per tab (captures, compose, targets, deliveries) and one for the settings dialog;
widgets/ holds what they share. app.py builds everything; window.py is the main window.
"""
