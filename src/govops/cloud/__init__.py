"""govops.cloud."""
