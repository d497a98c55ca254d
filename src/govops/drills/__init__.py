"""govops.drills."""
