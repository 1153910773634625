"""Prometheus metrics of this server process (prometheus-client), in a registry of its own.

Counters are per process, as Prometheus expects: totals of ended sessions are kept here
and the live sessions' current counts added at scrape time, so they only grow.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    InfoMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

from streaming.host import SessionHost

START_BUCKETS = (0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)


Identity = Callable[[], dict[str, str]]


class HostMetrics:
    def __init__(self, hosts: Callable[[], list[SessionHost]], identity: Identity) -> None:
        self.registry = CollectorRegistry()
        self.start_seconds = Histogram(
            "rbs_session_start_seconds",
            "Session start to a running browser with its first page requested.",
            ["start"],
            buckets=START_BUCKETS,
            registry=self.registry,
        )
        self.started = Counter(
            "rbs_sessions_started", "Sessions started.", ["start"], registry=self.registry
        )
        self.ended = Counter(
            "rbs_sessions_ended", "Sessions ended, by reason.", ["reason"], registry=self.registry
        )
        self._retired: Tally[str] = Tally()
        self.registry.register(_LiveCollector(hosts, self._retired, identity))

    def session_started(self, host: SessionHost) -> None:
        kind = "warm" if host.warm_start else "cold"
        self.started.labels(kind).inc()
        if host.started_at is not None:
            self.start_seconds.labels(kind).observe(host.started_at - host.created_at)

    def session_ended(self, host: SessionHost, reason: str) -> None:
        self.ended.labels(reason or "ended").inc()
        self._retired.update(_counts(host))


def _counts(host: SessionHost) -> dict[str, int]:
    return {
        "frames": host.frames_encoded,
        "bytes": host.bytes_encoded,
        "input": host.input_events,
        "blocked": host.blocked_requests,
    }


class _LiveCollector(Collector):
    def __init__(
        self, hosts: Callable[[], list[SessionHost]], retired: Tally[str], identity: Identity
    ) -> None:
        self._hosts = hosts
        self._retired = retired
        self._identity = identity

    def collect(self) -> Iterator[Metric]:
        # Which process these numbers come from, for joins on the scrape's instance
        # (Prometheus' convention for constant labels).
        yield InfoMetricFamily(
            "rbs_process", "This server process: its name, machine and start.",
            value=self._identity(),
        )  # fmt: skip
        hosts = self._hosts()
        states = GaugeMetricFamily(
            "rbs_sessions", "Sessions in this process, by state.", labels=["state"]
        )
        by_state = Tally({"starting": 0, "running": 0})
        by_state.update(host.state for host in hosts)
        for state, count in sorted(by_state.items()):
            states.add_metric([state], count)
        yield states
        yield GaugeMetricFamily(
            "rbs_viewers", "Viewers connected to this process's sessions.",
            value=sum(host.viewer_count for host in hosts),
        )  # fmt: skip
        totals = Tally(self._retired)
        for host in hosts:
            totals.update(_counts(host))
        described = {
            # One encode serves every viewer of a codec: these count encodes.
            "frames": ("rbs_frames_encoded", "Video frames encoded for viewers."),
            "bytes": ("rbs_bytes_encoded", "Encoded video bytes."),
            "input": ("rbs_input_events", "Input events relayed to remote browsers."),
            "blocked": ("rbs_egress_blocked", "Requests of remote browsers refused by policy."),
        }
        for key, (name, text) in described.items():
            yield CounterMetricFamily(name, text, value=totals.get(key, 0))
