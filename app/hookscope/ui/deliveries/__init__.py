"""The Deliveries tab: every outgoing attempt, what was sent and what came back, live."""
