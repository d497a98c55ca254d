"""govops.lab."""
