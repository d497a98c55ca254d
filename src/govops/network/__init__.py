"""govops.network."""
