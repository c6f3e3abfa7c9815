"""What the web app may read and fetch for the people who reach it.

The command line's user owns the machine, so the CLI takes any path or link. The dashboard is a
server: whoever can reach it is a stranger, so what they type must not make it read the
server's files or call addresses inside its network. A :class:`ServePolicy` says what is
allowed; the operator widens it with two settings:

* ``ONEFRAME_MEDIA_DIRS``: folders (separated by ``:``, ``;`` on Windows) whose video files may
  be added by path. Nothing outside them, after symlinks and ``..`` are resolved. Unset: none,
  and local files come in by upload only.
* ``ONEFRAME_ALLOW_NETWORKS``: address ranges inside the network that links may point at
  (``192.168.1.0/24,10.0.0.7``), or ``all``. Unset: only public internet addresses; loopback,
  private, link-local (cloud metadata), multicast and reserved ones are refused, for the link
  itself, after DNS, and for every redirect (see :mod:`oneframe.netguard`).
"""

from __future__ import annotations

import ipaddress
import os
import socket
from dataclasses import dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

from oneframe.core import settings
from oneframe.core.errors import SourceError

MEDIA_DIRS_ENV = settings.MEDIA_DIRS
ALLOW_NETWORKS_ENV = settings.ALLOW_NETWORKS
TRUST_PROXY_ENV = settings.TRUST_PROXY
PROXY_VARS = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def proxy_set() -> str | None:
    """The proxy variable set in this process, if any."""
    return next((name for name in PROXY_VARS if os.environ.get(name)), None)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class ServePolicy:
    """The folders and networks the web app may use on a visitor's behalf."""

    media_dirs: tuple[Path, ...] = ()
    networks: tuple[Network, ...] = ()
    all_networks: bool = False
    trust_proxy: bool = False
    """Whether links may be fetched through a proxy (``HTTPS_PROXY``...). Behind one, every
    connection goes to the proxy, so where a link's redirects lead can't be checked here: links
    are refused unless the operator trusts the proxy to refuse inside addresses itself."""

    @classmethod
    def from_env(cls) -> ServePolicy:
        """The operator's settings (see the module's docstring)."""
        dirs = tuple(settings.folders(MEDIA_DIRS_ENV))
        allowed = (settings.text(ALLOW_NETWORKS_ENV) or "").replace(";", ",").split(",")
        allowed = [a.strip() for a in allowed if a.strip()]
        trust = settings.flag(TRUST_PROXY_ENV)
        if any(a.lower() in ("all", "*") for a in allowed):
            return cls(dirs, (), True, trust)
        try:
            networks = tuple(ipaddress.ip_network(a, strict=False) for a in allowed)
        except ValueError as exc:
            raise settings.SettingError(f"{ALLOW_NETWORKS_ENV} is not a list of address ranges "
                                        f"({exc}); write it like 192.168.1.0/24,10.0.0.7 or "
                                        "all.") from exc
        return cls(dirs, networks, trust_proxy=trust)

    def with_folder(self, folder: Path) -> ServePolicy:
        """This policy, plus one folder the server made itself (an upload's)."""
        return replace(self, media_dirs=(*self.media_dirs, folder.resolve()))

    def check_source(self, source: str) -> str:
        """``source`` if the web app may ingest it: an http(s) link, or a file inside a media
        folder (returned resolved). SourceError saying why not, and what to do, otherwise."""
        source = source.strip()
        parts = urlsplit(source)
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            self.check_link(source)
            return source
        if "://" in source or parts.scheme.lower() in ("file", "data", "ftp"):
            raise SourceError("Only http:// and https:// links can be added here. Give a "
                              "video page's web address, or upload the file.")
        if not self.media_dirs:
            raise SourceError("That is not a web link. Paste a video page's address (https://…),"
                              " or upload the file under “Video file”. (Adding files from this "
                              f"server's own folders is off unless its operator sets "
                              f"{MEDIA_DIRS_ENV}.)")
        return str(self.check_path(Path(source)))

    def check_path(self, path: Path) -> Path:
        """``path`` resolved, if it lies inside a media folder; SourceError otherwise."""
        if not path.is_absolute():
            raise SourceError("Give the full path of a video file inside one of this server's "
                              "media folders.")
        resolved = path.resolve()
        if not any(resolved.is_relative_to(d) for d in self.media_dirs):
            raise SourceError("That file is not in one of the media folders this server "
                              "shares, so it can't be added. Upload it instead.")
        return resolved

    def allows_path(self, path: Path) -> bool:
        try:
            self.check_path(path)
        except SourceError:
            return False
        return True

    def check_link(self, url: str) -> None:
        """Refuse a link whose host is an address literal (or ``localhost``) the server may not
        call. Names are resolved and checked when the connection is made (netguard), which
        can't see past a proxy: behind one, links are refused unless the proxy is trusted."""
        if (proxy := proxy_set()) and not (self.trust_proxy or self.all_networks):
            raise SourceError(
                f"This server reaches the web through a proxy ({proxy}), where oneframe can't "
                "check where a link's redirects lead, so it adds no links; upload the file "
                f"instead. (Its operator can allow links with {TRUST_PROXY_ENV}=1 once the "
                "proxy itself refuses addresses inside the network.)",
                visitor="This server adds no links (it reaches the web through a proxy it "
                "can't check redirects behind); upload the file instead, or ask whoever runs "
                "it.")
        host = (urlsplit(url).hostname or "").strip("[]").lower()
        if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
            raise SourceError(refused(host, "an address on this server or its network"))
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return
        if reason := self.why_refused(address):
            raise SourceError(refused(host, reason))

    def why_refused(self, address: Address) -> str | None:
        """Why the web app may not connect to ``address``, or None if it may. An IPv6 address
        that carries an IPv4 one (mapped, 6to4, NAT64, Teredo) is judged by that one too."""
        if self.all_networks or any(address in n for n in self.networks):
            return None
        inner = embedded_ipv4(address)
        if inner is not None and inner != address:
            if why := self.why_refused(inner):
                return why
            if isinstance(address, ipaddress.IPv6Address) and (
                    address.ipv4_mapped or address.sixtofour):
                return None  # a way to reach that IPv4 address (Python 3.12.4+ calls 6to4 private)
        if address.is_loopback:
            return "a loopback address, this server itself"
        if address.is_link_local:
            return "a link-local address (where cloud servers keep their secrets)"
        if address.is_multicast:
            return "a multicast address"
        if address.is_private or not address.is_global or not_global(address):
            return "a private or reserved address inside a network"
        return None

    def check_host(self, host: str, port: int) -> None:
        """Resolve ``host`` and refuse it if any address it has is not allowed."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError:
            return  # the download reports the name that can't be found
        for *_, sockaddr in infos:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
            if reason := self.why_refused(address):
                raise SourceError(refused(f"{host} ({address})", reason))


NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
NOT_GLOBAL = tuple(ipaddress.ip_network(n) for n in (
    # IANA's special-purpose registries, "globally reachable: false" (IPv4 and IPv6, 2024)
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "240.0.0.0/4",
    "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20",
    "5f00::/16", "fc00::/7", "fe80::/10"))
GLOBAL_INSIDE_THEM = tuple(ipaddress.ip_network(n) for n in (
    "192.0.0.9/32", "192.0.0.10/32", "2001:1::1/128", "2001:1::2/128", "2001:1::3/128",
    "2001:3::/32", "2001:4:112::/48", "2001:20::/28", "2001:30::/28"))


def not_global(address: Address) -> bool:
    """Whether ``address`` is in a block the registries say is not globally reachable, by this
    table rather than by ``ipaddress`` alone: before Python 3.11.10 (gh-113171) it called
    192.0.0.0/24 and 64:ff9b:1::/48 global, and no release knows 3fff::/20 or 5f00::/16. The
    guard refuses what either of the two calls inside a network."""
    return any(address in n for n in NOT_GLOBAL) and not any(
        address in n for n in GLOBAL_INSIDE_THEM)


def embedded_ipv4(address: Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one reaches: IPv4-mapped (``::ffff:a.b.c.d``), 6to4
    (``2002:AABB:CCDD::``), NAT64 (``64:ff9b::a.b.c.d``) or a Teredo client; None for others."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address.sixtofour:
        return address.sixtofour
    if any(address in n for n in NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.teredo:
        return address.teredo[1]
    return None


def refused(host: str, reason: str) -> str:
    return (f"The link points at {host}, {reason}. This server only fetches videos from the "
            f"public internet; its operator can allow addresses inside the network with "
            f"{ALLOW_NETWORKS_ENV}.")
