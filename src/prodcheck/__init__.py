"""prodcheck: production-readiness auditor for Python web services."""

__version__ = "0.1.0"
