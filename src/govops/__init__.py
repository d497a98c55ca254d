"""govops: infrastructure-as-code and operations automation for a provincial digital-government estate."""

__version__ = "0.1.0"
