"""Training: one loop and dataset helpers for every model the package trains."""
