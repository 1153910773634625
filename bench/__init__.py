"""The benchmark: real server, real Chromium, real WebRTC clients (see docs/benchmarks.md)."""
