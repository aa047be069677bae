"""Notification adapters: Apprise (the only module that imports it), a fake for
tests, and the message texts (Chinese by default, English available)."""
