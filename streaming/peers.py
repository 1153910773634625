"""One viewer's WebRTC peer connection, answering the viewer's offer."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamTrack
from aiortc.sdp import candidate_from_sdp

from streaming.encoders import CODECS
from streaming.ice import Network, candidate_allowed, filter_sdp_candidates
from streaming.resources import AsyncResource
from streaming.tracks import ScreencastTrack

log = logging.getLogger(__name__)

_CLOSE_SECONDS = 3.0


class NegotiationError(Exception):
    pass


def ice_servers(config: Sequence[dict[str, Any]]) -> list[RTCIceServer]:
    return [
        RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential"))
        for s in config
    ]


def negotiated_video_codec(sdp: str) -> str:
    """The codec of the first payload type on the answer's video line."""
    media = re.search(r"^m=video \d+ \S+ (\d+)", sdp, re.MULTILINE)
    if media is None:
        raise NegotiationError("the offer has no video to receive")
    payload_type = media.group(1)
    rtpmap = re.search(rf"^a=rtpmap:{payload_type} ([A-Za-z0-9]+)/", sdp, re.MULTILINE)
    if rtpmap is None or rtpmap.group(1).upper() not in CODECS:
        raise NegotiationError("no video codec in common (VP8 or H264 required)")
    return rtpmap.group(1).upper()


class ViewerPeer(AsyncResource):
    def __init__(
        self,
        track: MediaStreamTrack,
        servers: Sequence[dict[str, Any]],
        remote_networks: Sequence[Network],
        on_state: Callable[[str], Awaitable[None]],
    ) -> None:
        # An explicit empty list: aiortc's default is a public STUN server.
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=ice_servers(servers)))
        self._track = track
        self._remote_networks = remote_networks
        self.codec: str | None = None

        @self._pc.on("connectionstatechange")
        async def _changed() -> None:
            await on_state(self._pc.connectionState)

    async def answer(self, offer_sdp: str) -> str:
        offer = RTCSessionDescription(
            sdp=filter_sdp_candidates(offer_sdp, self._remote_networks), type="offer"
        )
        try:
            await self._pc.setRemoteDescription(offer)
        except Exception as exc:
            raise NegotiationError(f"invalid offer: {exc}") from exc
        video = [t for t in self._pc.getTransceivers() if t.kind == "video"]
        if not video or video[0].direction not in ("recvonly", "sendrecv", "sendonly"):
            raise NegotiationError("the offer has no video to receive")
        sender = self._pc.addTrack(self._track)
        if isinstance(self._track, ScreencastTrack):
            # A picture-loss request from this viewer: a keyframe of the shared stream.
            setattr(sender, "_send_keyframe", self._track.request_keyframe)  # noqa: B010
        await self._pc.setLocalDescription(await self._pc.createAnswer())
        answer_sdp = self._pc.localDescription.sdp
        self.codec = negotiated_video_codec(answer_sdp)
        if isinstance(self._track, ScreencastTrack):
            self._track.bind(self.codec)
        return answer_sdp

    async def add_candidate(self, candidate: str, sdp_mid: str | None, index: int | None) -> None:
        line = candidate.removeprefix("a=")
        if not line:
            return  # the end of candidates
        try:
            parsed = candidate_from_sdp(line.removeprefix("candidate:"))
        except Exception as exc:
            raise NegotiationError(
                "invalid ICE candidate: expected 'candidate:<foundation> <component> "
                f"<protocol> <priority> <address> <port> typ <type> ...' ({exc!r})"
            ) from exc
        if not candidate_allowed(line, self._remote_networks):
            return  # outside RBS_ICE_REMOTE_NETWORKS: ignored, as documented
        parsed.sdpMid = sdp_mid
        parsed.sdpMLineIndex = index
        await self._pc.addIceCandidate(parsed)

    async def aclose(self) -> None:
        self._track.stop()
        try:
            await asyncio.wait_for(self._pc.close(), _CLOSE_SECONDS)
        except TimeoutError:
            # aiortc's sender.stop() waits for events its RTP/RTCP tasks set on the way
            # out; a task that died on an unexpected path never sets them, and the
            # close would hang forever (and with it a session's end, and shutdown).
            log.warning("a peer connection did not close within %s s; dropped", _CLOSE_SECONDS)
