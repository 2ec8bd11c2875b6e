"""The domain: metric registry, fiscal periods, refresh, status and the scheduler."""
