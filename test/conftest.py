"""Shared pytest configuration: nothing here touches the environment or does I/O at import."""
