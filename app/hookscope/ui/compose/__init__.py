"""Sending: compose and fire an event, replay a capture; one plan, previewed, then sent."""
