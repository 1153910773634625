from __future__ import annotations

import pytest

from streaming.peers import NegotiationError, negotiated_video_codec


def _answer(payload_types: str, maps: list[str]) -> str:
    return "\r\n".join(["v=0", f"m=video 9 UDP/TLS/RTP/SAVPF {payload_types}", *maps]) + "\r\n"


def test_the_first_payload_type_of_the_answer_is_the_codec() -> None:
    sdp = _answer("102 97", ["a=rtpmap:97 VP8/90000", "a=rtpmap:102 H264/90000"])
    assert negotiated_video_codec(sdp) == "H264"
    sdp = _answer("97 102", ["a=rtpmap:97 VP8/90000", "a=rtpmap:102 H264/90000"])
    assert negotiated_video_codec(sdp) == "VP8"


def test_an_answer_without_video_or_a_known_codec_is_an_error() -> None:
    with pytest.raises(NegotiationError):
        negotiated_video_codec("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n")
    with pytest.raises(NegotiationError):
        negotiated_video_codec(_answer("45", ["a=rtpmap:45 AV1/90000"]))
