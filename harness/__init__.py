"""Real components for the end-to-end tests and the benchmark: a Daphne server on a
loopback port, test pages, a scripted aiortc viewer and a real client browser."""
