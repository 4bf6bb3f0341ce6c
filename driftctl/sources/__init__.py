"""Where raw data comes from: a dump directory, the live Kubernetes API, live SSH to nodes."""
