"""The domain: tables, services (the only writers), metrics and dashboard computations."""
