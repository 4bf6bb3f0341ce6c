"""The planned push: one typed Release from a release file, an image, rendered manifests or a chart."""
