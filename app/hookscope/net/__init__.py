"""aiohttp on the network thread: the capture listener, the Kardow API emulator, the sender."""
