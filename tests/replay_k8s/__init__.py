"""A replay Kubernetes API server for tests: TLS, bearer auth, lists, selectors, paging, faults."""
