"""Dashboard snapshots: what each data type of SPEC §5 contains, computed from the database."""
