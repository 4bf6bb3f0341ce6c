"""The replay API server: stdlib ThreadingHTTPServer + ssl serving recorded objects read-only."""

from __future__ import annotations

import base64
import json
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from replay_k8s.discovery import API_RESOURCES, CLUSTER_SCOPED, discovery_doc
from replay_k8s.hostile import endless_tokens, send_huge_list


@dataclass
class Fault:
    """An injected failure on one path (``"*"``: every path without its own entry; an empty
    ``Fault()`` on a path exempts it): a status, a delay, only on ``continue`` pages, N times."""

    status: int | None = None
    delay: float = 0.0
    on_continue: bool = False
    times: int | None = None  # None = always
    drip: float = 0.0  # send the body one byte per ``drip`` seconds
    drip_headers: bool = False  # … the status line and headers too
    endless_continue: bool = False  # every list page carries a fresh continue token
    same_continue: bool = False  # every list page carries the same continue token
    huge_body: int = 0  # a valid List of about this many bytes, made as it is sent
    declare_length: bool = True  # … with Content-Length, else chunked
    gzip: bool = False  # … gzip-encoded, unasked (a few KiB on the wire), and chunked
    items_json: str = ""  # each list page's ``items`` is this JSON instead (a malformed List)


@dataclass
class Store:
    """Objects by ``(apiPrefix, plural)``, e.g. ``("/apis/apps/v1", "deployments")``."""

    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    version: dict[str, str] = field(default_factory=dict)

    def add(self, prefix: str, plural: str, obj: dict[str, Any]) -> None:
        self.objects.setdefault((prefix, plural), []).append(obj)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    410: "Expired",
    500: "InternalError",
}


def _label_match(labels: dict[str, str], selector: str) -> bool:
    for req in filter(None, (r.strip() for r in selector.split(","))):
        if req.startswith("!"):
            if req[1:] in labels:
                return False
        elif "!=" in req:
            key, value = req.split("!=", 1)
            if labels.get(key) == value:
                return False
        elif "=" in req:
            key, value = req.replace("==", "=").split("=", 1)
            if labels.get(key) != value:
                return False
        elif req not in labels:
            return False
    return True


def _field_match(obj: dict[str, Any], selector: str) -> bool:
    for req in filter(None, (r.strip() for r in selector.split(","))):
        neg = "!=" in req
        path, value = req.replace("!=", "=").replace("==", "=").split("=", 1)
        cur: Any = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if (cur == value) == neg:
            return False
    return True


@dataclass(frozen=True)
class Drip:
    """One dripped reply: how long it dripped and whether the client hung up before its end."""

    path: str
    seconds: float
    sent: int
    total: int

    @property
    def cut(self) -> bool:
        return self.sent < self.total


class ReplayServer:
    """Serves a Store over HTTPS; ``faults`` and ``requests`` are for tests to set and read."""

    def __init__(self, store: Store, token: str, certfile: str, keyfile: str) -> None:
        self.store = store
        self.token = token
        self.faults: dict[str, Fault] = {}
        self.requests: list[tuple[str, str]] = []
        self.drips: list[Drip] = []
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"replay": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(certfile, keyfile)
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def start(self) -> ReplayServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def take_fault(self, path: str, is_continue: bool) -> Fault | None:
        with self._lock:
            fault = self.faults.get(path, self.faults.get("*"))
            if fault is None or (fault.on_continue and not is_continue):
                return None
            if fault.times is not None:
                if fault.times <= 0:
                    return None
                fault.times -= 1
            return fault


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.1"
    # As the Go apiserver does: else the body waits for the ACK of the headers (Nagle against
    # delayed ACK), 40 ms per request that no real server costs.
    disable_nagle_algorithm = True
    _drip = 0.0
    _drip_headers = False
    _fault: Fault | None = None

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _send(self, code: int, body: Any) -> None:
        data = json.dumps(body, separators=(",", ":")).encode()
        if self._drip_headers:
            head = (
                f"HTTP/1.1 {code} OK\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            self._drip_bytes(head + data)
            self.close_connection = True
            return
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self._drip:
            self._drip_bytes(data)
            return
        self.wfile.write(data)

    def _drip_bytes(self, data: bytes) -> None:
        started, sent = time.monotonic(), 0
        try:
            for i in range(len(data)):
                try:
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                except OSError:  # the client gave up, as it should
                    return
                sent += 1
                time.sleep(self._drip)
        finally:
            drip = Drip(self.path, time.monotonic() - started, sent, len(data))
            self.replay.drips.append(drip)

    def _error(self, code: int, message: str) -> None:
        self._send(code, _status(code, REASONS.get(code, "Unknown"), message))

    def do_POST(self) -> None:
        self.replay.requests.append(("POST", self.path))
        self._error(405, "the replay server is read-only")

    do_PUT = do_PATCH = do_DELETE = do_POST

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        self.replay.requests.append(("GET", self.path))
        fault = self.replay.take_fault(path, "continue" in query)
        self._fault = fault
        self._drip = fault.drip if fault is not None else 0.0
        self._drip_headers = fault.drip_headers if fault is not None else False
        if fault is not None:
            time.sleep(fault.delay)
            if fault.status is not None:
                return self._error(fault.status, f"injected fault on {path}")
        # The scheme is case-insensitive (RFC 7235; the kube-apiserver agrees): the in-cluster
        # loader of the kubernetes client sends "bearer <token>".
        scheme, _, token = (self.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or token != self.replay.token:
            return self._error(401, "Unauthorized")
        if path == "/version":
            return self._send(200, self.replay.store.version)
        doc = discovery_doc(path, self.replay.url)
        if doc is not None:
            return self._send(200, doc)
        self._resource(path, query)

    def _resource(self, path: str, query: dict[str, str]) -> None:
        parts = path.strip("/").split("/")
        prefix_len = 2 if parts[0] == "api" else 3
        prefix, rest = "/" + "/".join(parts[:prefix_len]), parts[prefix_len:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        if not rest or (prefix, rest[0]) not in API_RESOURCES or len(rest) > 2:
            return self._error(404, f"the server could not find the requested resource {path}")
        plural = rest[0]
        _kind, list_kind, api_version = API_RESOURCES[(prefix, plural)]
        items = self.replay.store.objects.get((prefix, plural), [])
        if namespace is not None:
            if plural in CLUSTER_SCOPED:
                return self._error(404, f"{plural} are cluster-scoped")
            items = [o for o in items if o["metadata"].get("namespace") == namespace]
        if len(rest) == 2:
            found = [o for o in items if o["metadata"]["name"] == rest[1]]
            if not found:
                return self._error(404, f'{plural} "{rest[1]}" not found')
            return self._send(200, found[0])
        if "labelSelector" in query:
            sel = query["labelSelector"]
            items = [o for o in items if _label_match(o["metadata"].get("labels") or {}, sel)]
        if "fieldSelector" in query:
            items = [o for o in items if _field_match(o, query["fieldSelector"])]
        if self._fault is not None and self._fault.huge_body:
            return send_huge_list(self, self._fault, list_kind, api_version, items)
        page = self._page(items, query, list_kind, api_version)
        if self._fault is not None:
            endless_tokens(self._fault, page, query)
            if self._fault.items_json:
                page["items"] = json.loads(self._fault.items_json)
        self._send(200, page)

    def _page(
        self, items: list[dict[str, Any]], query: dict[str, str], list_kind: str, api_version: str
    ) -> dict[str, Any]:
        start = 0
        if query.get("continue"):
            start = int(json.loads(base64.urlsafe_b64decode(query["continue"]))["start"])
        limit = int(query.get("limit") or 0)
        end = start + limit if limit > 0 else len(items)
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if end < len(items):
            meta["continue"] = base64.urlsafe_b64encode(
                json.dumps({"start": end}).encode()
            ).decode()
            meta["remainingItemCount"] = len(items) - end
        # The apiserver leaves kind/apiVersion out of list items; clients must not rely on them.
        page = [
            {k: v for k, v in o.items() if k not in ("kind", "apiVersion")}
            for o in items[start:end]
        ]
        return {"kind": list_kind, "apiVersion": api_version, "metadata": meta, "items": page}
