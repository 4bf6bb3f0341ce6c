"""A thin read-only client over the official ``kubernetes`` package: config, GET, paged lists."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftctl import __version__
from driftctl.config import KubeSettings
from driftctl.errors import InputError, OperationalError

DEFAULT_KUBECONFIG = "~/.kube/config"
SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")


class ApiFailure(Exception):
    """One request failed; ``status`` is the HTTP status, None when the server was unreachable."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


def _first_line(text: object) -> str:
    return (str(text).strip().splitlines() or [""])[0][:300]


def _kubeconfig_path(settings: KubeSettings) -> str | None:
    """The kubeconfig to read: the site config's, else ``$KUBECONFIG``, else ``~/.kube/config``."""
    if settings.kubeconfig:
        return os.path.expanduser(settings.kubeconfig)
    if os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"]
    default = os.path.expanduser(DEFAULT_KUBECONFIG)
    return default if os.path.exists(default) else None


def _read_within(raw: Any, deadline: float, path: str) -> bytes:
    """The body by whatever arrives, ending at ``deadline`` (just inside ``get``'s budget), so
    the worker of a request whose body drips ends too and its connection is closed, not pooled."""
    parts: list[bytes] = []
    while chunk := raw.read1(1 << 20):
        parts.append(chunk)
        if time.monotonic() > deadline:
            raw.close()  # never back to the pool with an unread body
            raise ApiFailure(f"{path}: response not complete within the request timeout", None)
    return b"".join(parts)


@dataclass
class KubeApi:
    """An authenticated API client with fixed timeouts; only GET requests are ever sent."""

    client: Any
    host: str
    context: str
    timeout: tuple[float, float]
    page_size: int

    @property
    def where(self) -> str:
        return f"context {self.context}, server {self.host}"

    def get(self, path: str, query: dict[str, str | int] | None = None) -> bytes:
        """The body of ``GET path`` within one request budget, whatever the server does.

        Socket timeouts bound each read, not a server that drips its TLS handshake, headers or
        body; so the request runs on a daemon thread and is abandoned (its connection with it)
        when the budget is spent.
        """
        budget = sum(self.timeout) + 1.0
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["body"] = self._get(path, query)
            except BaseException as exc:  # handed to the caller below
                box["error"] = exc

        worker = threading.Thread(target=work, name=f"kube GET {path}", daemon=True)
        worker.start()
        worker.join(budget)
        if worker.is_alive():
            raise ApiFailure(f"{path}: no complete response within {budget:.1f} s", None)
        if "error" in box:
            raise box["error"]
        body: bytes = box["body"]
        return body

    def _get(self, path: str, query: dict[str, str | int] | None) -> bytes:
        """One GET; 401 and TLS failures raise OperationalError (nothing works)."""
        from urllib3.exceptions import HTTPError, MaxRetryError, SSLError

        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=list((query or {}).items()),
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            started = time.monotonic()
            response = self.client.call_api(method, url, headers, _request_timeout=self.timeout)
            body = _read_within(response.response, started + sum(self.timeout), path)
        except MaxRetryError as exc:
            reason = exc.reason
            if isinstance(reason, SSLError):
                raise self._tls_error(reason) from None
            raise ApiFailure(f"{path}: {_first_line(reason)}", None) from None
        except HTTPError as exc:
            if isinstance(exc, SSLError):
                raise self._tls_error(exc) from None
            raise ApiFailure(f"{path}: {_first_line(exc)}", None) from None
        except OSError as exc:
            raise ApiFailure(f"{path}: {_first_line(exc)}", None) from None
        except Exception as exc:  # the client wraps SSLError in ApiException(status=0)
            if getattr(exc, "status", None) == 0 and "SSL" in str(getattr(exc, "reason", "")):
                raise self._tls_error(exc.reason) from None  # type: ignore[attr-defined]
            raise
        status = int(response.status)
        if status == 401:
            raise OperationalError(
                f"kubernetes: 401 Unauthorized from {self.host} (context {self.context}): "
                "the credentials were rejected"
            )
        if not 200 <= status < 300:
            raise ApiFailure(f"{path}: HTTP {status} {self._status_message(body)}", status)
        return body

    def _tls_error(self, reason: object) -> OperationalError:
        text = str(reason)
        detail = "certificate verify failed" if "CERTIFICATE_VERIFY_FAILED" in text else ""
        return OperationalError(
            f"kubernetes: TLS handshake with {self.host} failed (context {self.context}): "
            + (f"{detail}: " if detail else "")
            + _first_line(text.replace("SSLError\n", ""))
        )

    @staticmethod
    def _status_message(body: bytes) -> str:
        try:
            doc = json.loads(body)
            return _first_line(doc.get("reason", "") + ": " + doc.get("message", ""))
        except (ValueError, AttributeError, TypeError):
            return _first_line(body[:200].decode("utf-8", errors="replace"))

    def list_items(
        self,
        path: str,
        query: dict[str, str | int] | None = None,
        keep: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> list[dict[str, Any]]:
        """Every item of a list, paged with ``limit``/``continue``; a 410 on a page restarts once."""
        for attempt in (1, 2):
            items: list[dict[str, Any]] = []
            token: str | None = None
            try:
                while True:
                    page_query: dict[str, str | int] = {**(query or {}), "limit": self.page_size}
                    if token:
                        page_query["continue"] = token
                    doc = self._json(path, self.get(path, page_query))
                    page = [i for i in doc.get("items") or [] if isinstance(i, dict)]
                    items.extend(map(keep, page) if keep else page)
                    meta = doc.get("metadata")
                    token = (meta.get("continue") if isinstance(meta, dict) else None) or None
                    if not token:
                        return items
            except ApiFailure as exc:
                # An expired continue token: the consistent snapshot is gone, list again once.
                if exc.status == 410 and token and attempt == 1:
                    continue
                raise
        raise AssertionError("unreachable")

    @staticmethod
    def _json(path: str, body: bytes) -> dict[str, Any]:
        try:
            doc = json.loads(body)
        except ValueError as exc:
            raise ApiFailure(f"{path}: response is not JSON ({exc})", 200) from None
        if not isinstance(doc, dict):
            raise ApiFailure(f"{path}: response is not a JSON object", 200)
        return doc


def connect(settings: KubeSettings) -> KubeApi:
    """Load kubeconfig (or in-cluster config) into a client that always verifies TLS, no retries."""
    from kubernetes import client
    from kubernetes import config as kconfig
    from kubernetes.config.config_exception import ConfigException

    cfg = client.Configuration()
    path = _kubeconfig_path(settings)
    try:
        if path is not None:
            where = f"kubeconfig {path}"
            kconfig.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path,
                context=settings.context,
                client_configuration=cfg,
                persist_config=False,
            )
            context = settings.context or kconfig.list_kube_config_contexts(path)[1]["name"]  # type: ignore[no-untyped-call]
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and SA_TOKEN.exists():
            where = "in-cluster config"
            if settings.context:
                raise InputError(f"kubernetes.context {settings.context!r} given but no kubeconfig")
            kconfig.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
            context = "in-cluster"
        else:
            raise OperationalError(
                "kubernetes: no kubeconfig ($KUBECONFIG, ~/.kube/config, kubernetes.kubeconfig) "
                "and not running in a pod"
            )
    except (ConfigException, OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{where}: {_first_line(exc)}") from None
    if not cfg.verify_ssl:
        raise InputError(
            f"{where}: context {context} disables TLS verification (insecure-skip-tls-verify); "
            "driftctl always verifies the API server certificate"
        )
    cfg.retries = 0
    api_client = client.ApiClient(cfg)
    api_client.user_agent = f"driftctl/{__version__}"
    timeout = float(settings.timeout_seconds)
    return KubeApi(api_client, cfg.host, context, (timeout, timeout), settings.page_size)
