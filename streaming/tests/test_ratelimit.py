from __future__ import annotations

from streaming.ratelimit import TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_is_allowed_then_the_rate_holds() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, burst=5, clock=clock)
    assert [bucket.take() for _ in range(7)] == [True] * 5 + [False] * 2
    clock.now = 0.5  # five more tokens
    assert sum(bucket.take() for _ in range(10)) == 5


def test_tokens_never_pile_up_beyond_the_burst() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=100, burst=3, clock=clock)
    clock.now = 60.0
    assert sum(bucket.take() for _ in range(10)) == 3


def test_it_says_how_long_until_the_next_token() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=4, burst=1, clock=clock)
    assert bucket.seconds_to_next() == 0.0
    assert bucket.take()
    assert bucket.seconds_to_next() == 0.25
    clock.now = 0.125
    assert bucket.seconds_to_next() == 0.125
