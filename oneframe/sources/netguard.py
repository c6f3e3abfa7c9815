"""Every connection the web app's downloads make is checked at the socket, after DNS.

A link's host can resolve to an inside address, change its answer between a check and the
connection (DNS rebinding), or redirect there; yt-dlp follows redirects inside its HTTP
libraries. So the check sits where every one of them ends up, ``socket.connect``: while
:func:`guarded` is active in a thread, a connection from that thread to an address the
:class:`~oneframe.exposure.ServePolicy` refuses fails, and :func:`refusal` says why. Other
threads (the Streamlit server, model downloads) are not affected.

Behind a proxy the connection goes to the proxy, and where a redirect leads can't be seen
here: the web app then refuses links, unless the operator trusts the proxy
(``ONEFRAME_TRUST_PROXY``, see ``ServePolicy.check_link``); a trusted proxy is allowed here.
"""

from __future__ import annotations

import _socket
import contextlib
import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from oneframe.sources.policy import PROXY_VARS, ServePolicy, refused

_STATE = threading.local()
_INSTALL = threading.Lock()


class RefusedAddress(ConnectionRefusedError):
    """A connection the policy does not allow (an OSError, so HTTP libraries unwind as usual)."""


def _proxies() -> set[str]:
    hosts = set()
    for name in PROXY_VARS:
        if value := os.environ.get(name):
            host = urlsplit(value if "://" in value else "http://" + value).hostname
            if host:
                hosts.add(host)
    return hosts


def _check(sock: socket.socket, address: Any) -> Any:
    """The address to connect to, checked: a name is resolved once here and the connection
    made to the address that was checked, so a second answer (DNS rebinding) never counts."""
    policy: ServePolicy | None = getattr(_STATE, "policy", None)
    if policy is None or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return address
    host = str(address[0]) if isinstance(address, tuple) and address else ""
    try:
        ips = [ipaddress.ip_address(host.split("%")[0])]
    except ValueError:  # a name: resolve it as connect() would, and connect to what was checked
        infos = socket.getaddrinfo(host, None, sock.family, socket.SOCK_STREAM)
        ips = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
        if not ips:
            raise RefusedAddress(f"oneframe could not resolve {host}") from None
        assert isinstance(address, tuple)
        address = (str(ips[0]), *address[1:])
    if host in _STATE.proxies or any(str(ip) in _STATE.proxy_ips for ip in ips):
        return address
    for ip in ips:
        if reason := policy.why_refused(ip):
            _STATE.refused = refused(str(ip), reason)
            raise RefusedAddress(f"oneframe refused to connect to {ip}: {reason}")
    return address


def _connect(self: socket.socket, address: Any) -> None:
    return _socket.socket.connect(self, _check(self, address))


def _connect_ex(self: socket.socket, address: Any) -> int:
    return _socket.socket.connect_ex(self, _check(self, address))


def _install() -> None:
    with _INSTALL:
        if socket.socket.connect is not _connect:
            socket.socket.connect = _connect  # type: ignore[method-assign,assignment]
            socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign,assignment]


@contextlib.contextmanager
def guarded(policy: ServePolicy | None) -> Iterator[None]:
    """Within this block, this thread connects only where ``policy`` allows (None: anywhere)."""
    if policy is None or policy.all_networks:
        yield
        return
    _install()
    previous = getattr(_STATE, "policy", None)
    _STATE.policy, _STATE.refused = policy, None
    _STATE.proxies = _proxies() if policy.trust_proxy else set()
    _STATE.proxy_ips = set()
    for host in _STATE.proxies:
        with contextlib.suppress(OSError):
            _STATE.proxy_ips |= {str(i[4][0]) for i in socket.getaddrinfo(host, None)}
    try:
        yield
    finally:
        _STATE.policy, _STATE.refused = previous, None


def refusal() -> str | None:
    """Why a connection of this thread's guarded block was refused, for the user (None outside
    a guarded block, or if none was)."""
    return getattr(_STATE, "refused", None)


def guarding() -> bool:
    """Whether this thread is inside a :func:`guarded` block with a policy to enforce."""
    return getattr(_STATE, "policy", None) is not None
