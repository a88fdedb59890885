"""Realtime benchmark: Socket.IO fan-out latency and server CPU (`python -m bench.realtime`)."""
