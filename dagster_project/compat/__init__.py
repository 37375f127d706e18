"""Workarounds for what the pinned libraries offer nothing public for, each in one module
with a test that fails when the pinned version changes."""
