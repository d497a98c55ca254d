"""govops.monitoring."""
