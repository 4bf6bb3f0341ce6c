"""Hostile list answers of the replay server: paging that never ends, bodies of any size."""

from __future__ import annotations

import base64
import gzip
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from replay_k8s.server import Fault

CHUNK = 1 << 20


def _token(start: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"start": start}).encode()).decode()


def endless_tokens(fault: Fault, page: dict[str, Any], query: dict[str, str]) -> None:
    """Give ``page`` a continue token although the list may be done: a fresh one each time
    (``endless_continue``: the start moves on past the end, pages turn empty) or always the same
    one (``same_continue``)."""
    if fault.same_continue:
        page["metadata"]["continue"] = _token(0)
    elif fault.endless_continue:
        start = 0
        if query.get("continue"):
            start = int(json.loads(base64.urlsafe_b64decode(query["continue"]))["start"])
        page["metadata"]["continue"] = _token(start + max(1, int(query.get("limit") or 1)))


def huge_list_parts(
    size: int, list_kind: str, api_version: str, items: list[dict[str, Any]]
) -> tuple[int, bytes, bytes, int, bytes]:
    """A valid List of at least ``size`` bytes as (length, head, one repeated block, times, tail),
    so it can be sent without ever being held whole."""
    one = json.dumps(items[0] if items else {"metadata": {"name": "x"}}, separators=(",", ":"))
    per = max(1, CHUNK // (len(one) + 1))
    block = ((one + ",") * per).encode()
    times = max(1, -(-size // len(block)))
    head = f'{{"kind":"{list_kind}","apiVersion":"{api_version}","metadata":{{}},"items":['.encode()
    tail = (one + "]}").encode()
    return len(head) + len(block) * times + len(tail), head, block, times, tail


def send_huge_list(
    handler: BaseHTTPRequestHandler,
    fault: Fault,
    list_kind: str,
    api_version: str,
    items: list[dict[str, Any]],
) -> None:
    """Stream the huge List, with Content-Length or chunked, until done or the client leaves."""
    length, head, block, times, tail = huge_list_parts(
        fault.huge_body, list_kind, api_version, items
    )
    chunked = fault.gzip or not fault.declare_length
    if fault.gzip:  # one gzip member per part: concatenated members are one valid gzip stream
        head, block, tail = (gzip.compress(part, mtime=0) for part in (head, block, tail))
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    if fault.gzip:
        handler.send_header("Content-Encoding", "gzip")
    if chunked:
        handler.send_header("Transfer-Encoding", "chunked")
    else:
        handler.send_header("Content-Length", str(length))
    handler.end_headers()
    handler.close_connection = True

    def write(data: bytes) -> None:
        if chunked:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        else:
            handler.wfile.write(data)

    try:
        write(head)
        for _ in range(times):
            write(block)
        write(tail)
        if chunked:
            handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except OSError:  # the client stopped reading, as it should
        return
