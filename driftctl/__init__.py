"""driftctl: catch deployment drift between air-gapped sites before it becomes an outage."""

__version__ = "0.1.0"
