"""The Targets tab: the Kardow API emulator's registry, where fires are sent."""
