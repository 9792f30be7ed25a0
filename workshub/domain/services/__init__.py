"""Domain services: the only writers, plus the reads the API and pages need."""
