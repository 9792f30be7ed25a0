"""The response headers of WorksHub's writes: named once for the API that sends them and for
`workshub bench`, which reads them as a client (without importing the API's web stack)."""

from __future__ import annotations

__all__ = ["COMMITTED_HEADER", "REPLAYED_HEADER", "SEQ_HEADER"]

# Set on the answer to a repeated Idempotency-Key: the first answer, replayed.
REPLAYED_HEADER = "Idempotent-Replayed"
# The hub's sequence number of the write's last event: a client holding an optimistic edit
# waits for a snapshot whose `as_of` is at least this (SPEC §1).
SEQ_HEADER = "X-WorksHub-Seq"
# When the write committed, in the server machine's monotonic seconds (CLOCK_MONOTONIC, shared
# by every process on it): `workshub bench` counts push latency from it, as SPEC §9 does.
COMMITTED_HEADER = "X-WorksHub-Committed"
