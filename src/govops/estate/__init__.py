"""govops.estate."""
