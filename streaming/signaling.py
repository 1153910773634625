"""Each viewer's WebRTC peer: offers answered and candidates added in the order the
viewer sent them, one peer connection per viewer at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiortc.mediastreams import MediaStreamTrack

from streaming.config import StreamingConfig
from streaming.ice import Network
from streaming.outbox import Outbox
from streaming.peers import NegotiationError, ViewerPeer
from streaming.protocol import error
from streaming.turn import ice_servers_for
from streaming.viewers import Viewer


class Signaling:
    def __init__(
        self,
        new_track: Callable[[], MediaStreamTrack],
        config: StreamingConfig,
        remote_networks: tuple[Network, ...],
        outbox: Outbox,
    ) -> None:
        self._new_track = new_track
        self._config = config
        self._remote_networks = remote_networks
        self._outbox = outbox

    async def offer(self, viewer: Viewer, sdp: str) -> None:
        async with viewer.signaling:
            await self._close(viewer)
            peer = ViewerPeer(
                self._new_track(),
                # The server's own TURN credentials, fresh for each peer (they expire).
                ice_servers_for(self._config.ice_servers, self._config.turn, "rbs-server"),
                self._remote_networks,
                lambda state: self._outbox.send(viewer.channel, {"type": "peer", "state": state}),
            )
            viewer.peer = peer
            try:
                answer = await peer.answer(sdp)
            except NegotiationError as exc:
                await self._close(viewer)
                await self._outbox.send(
                    viewer.channel, error("negotiation_failed", str(exc), "offer")
                )
                return
        await self._outbox.send(
            viewer.channel, {"type": "answer", "sdp": answer, "codec": peer.codec}
        )

    async def candidate(self, viewer: Viewer, message: dict[str, Any]) -> None:
        async with viewer.signaling:
            if viewer.peer is None:
                text = "Send an offer before ICE candidates."
                await self._outbox.send(viewer.channel, error("no_peer", text, "ice"))
                return
            try:
                await viewer.peer.add_candidate(
                    message["candidate"], message.get("sdpMid"), message.get("sdpMLineIndex")
                )
            except NegotiationError as exc:
                await self._outbox.send(viewer.channel, error("bad_candidate", str(exc), "ice"))

    async def close(self, viewer: Viewer) -> None:
        """Without waiting for the viewer's signaling: its tasks are cancelled first."""
        await self._close(viewer)

    async def _close(self, viewer: Viewer) -> None:
        peer, viewer.peer = viewer.peer, None
        if peer is not None:
            await peer.aclose()
