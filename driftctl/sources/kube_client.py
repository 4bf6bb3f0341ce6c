"""A thin read-only client over the official ``kubernetes`` package: config, bounded GETs."""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from driftctl import __version__
from driftctl.config import KubeSettings
from driftctl.errors import InputError, OperationalError

if TYPE_CHECKING:  # urllib3 comes with the kubernetes client, imported when connecting
    from urllib3 import BaseHTTPResponse

DEFAULT_KUBECONFIG = "~/.kube/config"
SA_TOKEN = Path("/var/run/secrets/kubernetes.io/serviceaccount/token")
MiB = 1024 * 1024
# One response (a page, /version, one object): read as it streams, refused past this. A page of
# 500 objects is a few MiB; parsing a page costs several times its size in memory, so this also
# bounds what one page can cost (docs/site-config.md).
MAX_RESPONSE_BYTES = 32 * MiB


class ApiFailure(Exception):
    """One request failed; ``status`` is the HTTP status, None when the server was unreachable."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class DeadlineSpent(ApiFailure):
    """The Kubernetes phase deadline ran out before or during this request."""

    def __init__(self, message: str) -> None:
        super().__init__(message, None)


class RestResponse(Protocol):
    """What ``ApiClient.call_api`` returns (``kubernetes.client.rest.RESTResponse``), as read
    here: the status and the urllib3 response, its body not yet read."""

    status: int
    response: BaseHTTPResponse


class Client(Protocol):
    """The two calls made on ``kubernetes.client.ApiClient`` (the package has no types)."""

    def param_serialize(
        self,
        method: str,
        resource_path: str,
        *,
        query_params: list[tuple[str, str | int]],
        header_params: dict[str, str],
        auth_settings: list[str],
    ) -> tuple[str, str, dict[str, str], object, object]: ...

    def call_api(
        self,
        method: str,
        url: str,
        header_params: dict[str, str],
        *,
        _request_timeout: tuple[float, float],
    ) -> RestResponse: ...


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


def _read_body(raw: BaseHTTPResponse, ends: float, path: str, status: int) -> bytearray:
    """The body as it streams in, at most MAX_RESPONSE_BYTES and ending at ``ends`` (just inside
    ``get``'s budget), so the worker of a request whose body drips or never ends stops too and
    its connection is closed, never pooled with an unread body."""
    declared = raw.headers.get("Content-Length", "") if raw.headers is not None else ""
    if declared.isdigit() and (len(declared) > 15 or int(declared) > MAX_RESPONSE_BYTES):
        raw.close()
        raise ApiFailure(f"{path}: {_too_big(f'{declared[:15]} bytes declared, not read')}", status)
    body = bytearray()
    while chunk := raw.read1(1 * MiB):
        body += chunk
        if len(body) > MAX_RESPONSE_BYTES:
            raw.close()
            raise ApiFailure(f"{path}: {_too_big('reading stopped')}", status)
        if time.monotonic() > ends:
            raw.close()
            raise ApiFailure(f"{path}: response not complete within the request timeout", None)
    return body


def _too_big(what: str) -> str:
    return (
        f"response larger than the cap of {MAX_RESPONSE_BYTES // MiB} MiB ({what}); "
        "a smaller kubernetes.page_size makes pages smaller"
    )


@dataclass
class KubeApi:
    """An authenticated API client with fixed timeouts; only GET requests are ever sent."""

    client: Client
    host: str
    context: str
    timeout: tuple[float, float]
    page_size: int
    max_pages: int
    deadline_seconds: float
    deadline: float  # time.monotonic() when the Kubernetes phase must end

    @property
    def where(self) -> str:
        return f"context {self.context}, server {self.host}"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def deadline_spent(self, path: str, detail: str) -> DeadlineSpent:
        return DeadlineSpent(
            f"{path}: {detail}: the Kubernetes deadline of {self.deadline_seconds:g} s "
            "(kubernetes.deadline_seconds) was spent"
        )

    def get(self, path: str, query: dict[str, str | int] | None = None) -> bytearray:
        """The body of ``GET path`` within one request budget and the phase deadline, whatever
        the server does.

        Socket timeouts bound each read, not a server that drips its TLS handshake, headers or
        body; so the request runs on a daemon thread and is abandoned (its connection with it)
        when the budget is spent.
        """
        own = sum(self.timeout)
        full = own + 1.0
        budget = min(full, self.remaining())
        if budget <= 0:
            raise self.deadline_spent(path, "not requested")
        outcome: bytearray | BaseException | None = None

        def work() -> None:
            nonlocal outcome
            try:
                # The worker's own end stays just inside the budget, so it closes its connection
                # and reports why before it would be abandoned.
                outcome = self._get(path, query, time.monotonic() + min(own, budget))
            except BaseException as exc:  # handed to the caller below
                outcome = exc

        worker = threading.Thread(target=work, name=f"kube GET {path}", daemon=True)
        worker.start()
        worker.join(budget)
        # Out of time: the phase deadline when it, not this request's own budget, was the bound.
        cut = budget < full and self.remaining() <= 0
        if worker.is_alive():
            if cut:
                raise self.deadline_spent(path, "no complete response")
            raise ApiFailure(f"{path}: no complete response within {budget:.1f} s", None)
        if isinstance(outcome, BaseException):
            if cut and isinstance(outcome, ApiFailure) and outcome.status is None:
                raise self.deadline_spent(path, "no complete response")
            raise outcome
        assert outcome is not None  # the worker ended: it set one or the other
        return outcome

    def _get(self, path: str, query: dict[str, str | int] | None, ends: float) -> bytearray:
        """One GET ending by ``ends``; 401 and TLS failures raise OperationalError (nothing works)."""
        # Start-up time: urllib3 comes with the kubernetes client, loaded by connect().
        from urllib3.exceptions import HTTPError, MaxRetryError, SSLError

        try:
            method, url, headers, _, _ = self.client.param_serialize(
                "GET",
                path,
                query_params=list((query or {}).items()),
                header_params={"Accept": "application/json"},
                auth_settings=["BearerToken"],
            )
            # Each socket wait within what is left, so an abandoned worker ends by ``ends`` too.
            left = max(ends - time.monotonic(), 0.01)
            timeout = (min(self.timeout[0], left), min(self.timeout[1], left))
            response = self.client.call_api(method, url, headers, _request_timeout=timeout)
            status = int(response.status)
            body = _read_body(response.response, ends, path, status)
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
            why = getattr(exc, "reason", "")
            if getattr(exc, "status", None) == 0 and "SSL" in str(why):
                raise self._tls_error(why) from None
            raise
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
    def _status_message(body: bytes | bytearray) -> str:
        try:
            doc = json.loads(body)
            return _first_line(doc.get("reason", "") + ": " + doc.get("message", ""))
        except (ValueError, AttributeError, TypeError):
            return _first_line(bytes(body[:200]).decode("utf-8", errors="replace"))


def connect(settings: KubeSettings) -> KubeApi:
    """Load kubeconfig (or in-cluster config) into a client that always verifies TLS, no retries;
    the Kubernetes phase deadline starts now."""
    started = time.monotonic()
    # Start-up time: the kubernetes client costs 0.35-0.6 s to import; only a live collection
    # pays it (and the import counts against the phase deadline).
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
    return KubeApi(
        api_client,
        cfg.host,
        context,
        (timeout, timeout),
        settings.page_size,
        settings.max_pages,
        settings.deadline_seconds,
        started + settings.deadline_seconds,
    )
