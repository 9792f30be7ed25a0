"""`workshub bench`: the measuring instrument for SPEC §9 (push latency against a plain
socket.io floor, CPU and memory per dashboard, recompute cost, write throughput, page times).

Loaded only by the `bench` command (`workshub.bench.cli`), with the `bench` extra's
dependencies (psutil, Playwright). Its child processes (`workshub.bench.floor`,
`workshub.bench.loadgen`) import nothing of WorksHub's server, so this file imports nothing.
"""
