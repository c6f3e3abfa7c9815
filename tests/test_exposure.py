"""What the web app may read and fetch for a visitor: only shared folders, only public addresses.

Real loopback servers stand in for the inside of a network; a name is made to resolve to one
of them (the machine has no DNS to ask), and one server redirects to another.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from oneframe.core.errors import SourceError
from oneframe.ingest.pipeline import ingest
from oneframe.library.folders import Library
from oneframe.sources.netguard import guarded
from oneframe.sources.policy import ServePolicy

PAGE = """<html><head><title>Clip</title></head><body>
<video controls src="{video}"></video></body></html>"""


class _Counting(http.server.SimpleHTTPRequestHandler):
    requests: list[str]
    redirect_to: str | None = None

    def do_GET(self) -> None:
        self.requests.append(self.path)
        if self.redirect_to:
            self.send_response(302)
            self.send_header("Location", self.redirect_to + self.path)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture()
def servers(tmp_path: Path, scene_video: Path) -> Iterator[dict]:
    """``inside``: a page with a video on 127.0.0.1; ``front``: 127.0.0.2, redirecting to it."""
    root = tmp_path / "www"
    root.mkdir()
    shutil.copyfile(scene_video, root / "clip.mp4")
    (root / "page.html").write_text(PAGE.format(video="clip.mp4"))
    made, info = [], {}
    for name, host in (("inside", "127.0.0.1"), ("front", "127.0.0.2")):
        seen: list[str] = []
        handler = type(name, (_Counting,), {"requests": seen})
        server = http.server.ThreadingHTTPServer(
            (host, 0), functools.partial(handler, directory=str(root)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append(server)
        info[name] = {"url": f"http://{host}:{server.server_address[1]}", "requests": seen,
                      "handler": handler}
    info["front"]["handler"].redirect_to = info["inside"]["url"]
    try:
        yield info
    finally:
        for server in made:
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize(("source", "says"), [
    ("/etc/passwd", "not a web link"),
    ("/srv/films/clip.mp4", "not a web link"),
    ("file:///etc/passwd", "Only http:// and https:// links"),
    ("ftp://films.example/clip.mp4", "Only http:// and https:// links"),
    ("http://127.0.0.1:8501/oneframe/video/x", "loopback"),
    ("http://localhost:8501/", "an address on this server"),
    ("http://[::1]/clip.mp4", "loopback"),
    ("http://[::ffff:127.0.0.1]/clip.mp4", "loopback"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("http://10.1.2.3/clip.mp4", "private"),
    ("http://192.168.1.20/clip.mp4", "private"),
    ("http://224.0.0.1/clip.mp4", "multicast"),
    ("http://0.0.0.0:8501/", "private or reserved"),
    ("http://[2002:7f00:1::]/clip.mp4", "loopback"),  # 6to4 of 127.0.0.1
    ("http://[2002:a9fe:a9fe::1]/latest/meta-data/", "link-local"),  # 6to4 of 169.254.169.254
    ("http://[64:ff9b::a9fe:a9fe]/latest/meta-data/", "link-local"),  # NAT64
    ("http://[64:ff9b::7f00:1]/clip.mp4", "loopback"),
])
def test_the_web_app_refuses_server_files_and_inside_addresses(source: str, says: str) -> None:
    with pytest.raises(SourceError, match=says):
        ServePolicy().check_source(source)
    before = os.listdir(Library().root) if Library().root.exists() else []
    with pytest.raises(SourceError, match=says):
        ingest(source, policy=ServePolicy())
    assert (os.listdir(Library().root) if Library().root.exists() else []) == before


def test_public_links_pass_and_the_cli_keeps_local_paths(scene_video: Path) -> None:
    link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert ServePolicy().check_source(link) == link
    assert ServePolicy().check_source("https://93.184.216.34/clip.mp4")
    assert ingest(str(scene_video)).frames > 0  # no policy: the CLI's user owns the machine


def test_media_folders_are_opt_in_and_closed(tmp_path: Path, scene_video: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    media, outside = tmp_path / "films", tmp_path / "private"
    media.mkdir()
    outside.mkdir()
    shutil.copyfile(scene_video, media / "clip.mp4")
    shutil.copyfile(scene_video, outside / "secret.mp4")
    (outside / "secret.vtt").write_text("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nsecret\n")
    (media / "link.mp4").symlink_to(outside / "secret.mp4")
    (media / "clip.vtt").symlink_to(outside / "secret.vtt")  # a sidecar leading outside
    monkeypatch.setenv("ONEFRAME_MEDIA_DIRS", str(media))
    policy = ServePolicy.from_env()
    assert policy.check_source(str(media / "clip.mp4")) == str((media / "clip.mp4").resolve())
    for escape in (media / ".." / "private" / "secret.mp4", media / "link.mp4", Path("clip.mp4")):
        with pytest.raises(SourceError):
            policy.check_source(str(escape))
    record = ingest(str(media / "clip.mp4"), policy=policy)
    assert record.cues == 0 and record.caption_kind is None  # the escaping sidecar is ignored
    by_cli = ingest(str(media / "clip.mp4"))  # the CLI's user reads the sidecar: another entry
    assert by_cli.cues == 1 and by_cli.outcome == "beside" and Library().get(record.id).cues == 0


def test_a_name_that_resolves_inside_is_refused_before_any_request(
        servers: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo
    port = int(servers["inside"]["url"].rsplit(":", 1)[1])

    def fake_dns(host, *args, **kwargs):
        return real("127.0.0.1" if host == "films.example" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    link = f"http://films.example:{port}/page.html"
    assert ServePolicy().check_source(link) == link  # a name passes the quick check...
    with pytest.raises(SourceError, match=r"films\.example \(127\.0\.0\.1\).*loopback"):
        ingest(link, policy=ServePolicy())  # ...and is refused once resolved
    assert servers["inside"]["requests"] == []
    allowed = ServePolicy(networks=(__import__("ipaddress").ip_network("127.0.0.1/32"),))
    assert ingest(link, policy=allowed).frames > 0  # the operator may allow it
    assert servers["inside"]["requests"]


def test_a_redirect_inside_is_refused(servers: dict) -> None:
    import ipaddress

    front = ServePolicy(networks=(ipaddress.ip_network("127.0.0.2/32"),))
    with pytest.raises(SourceError, match=r"127\.0\.0\.1.*loopback"):
        ingest(servers["front"]["url"] + "/page.html", policy=front)
    assert servers["front"]["requests"] and servers["inside"]["requests"] == []
    assert not Library().list()


def test_the_guard_holds_only_in_its_own_thread(servers: dict) -> None:
    inside = servers["inside"]["url"] + "/page.html"
    answers: list[int] = []
    with guarded(ServePolicy()):
        with pytest.raises(OSError, match="refused to connect"):
            urllib.request.urlopen(inside, timeout=5)
        other = threading.Thread(target=lambda: answers.append(
            urllib.request.urlopen(inside, timeout=5).status))
        other.start()
        other.join()
    assert answers == [200]
    assert urllib.request.urlopen(inside, timeout=5).status == 200  # and only while active


def test_a_page_pointing_at_a_server_file_is_not_read(web) -> None:
    base, root = web
    (root / "page.html").write_text(PAGE.format(video="file:///etc/passwd"))
    allowed = ServePolicy(all_networks=True)
    with pytest.raises(SourceError):
        ingest(f"{base}/page.html", policy=allowed)
    assert not Library().list()


def test_a_name_is_resolved_once_and_the_checked_address_connected(
        servers: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: a name that answers a public address when checked and an inside one
    when connected must never reach inside; the connection goes to the address checked."""
    real = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        return real("8.8.8.8" if host == "localhost" else host, *args, **kwargs)

    # Python's lookups (the check) answer a public address; the C library's, which a plain
    # connect to a name makes, answers loopback for "localhost": a rebinding name, as seen here
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = int(servers["inside"]["url"].rsplit(":", 1)[1])
    with guarded(ServePolicy()):
        sock = socket.socket()
        sock.settimeout(3)
        try:  # checked as 8.8.8.8, so it may only go to 8.8.8.8 (unreachable here)
            sock.connect(("localhost", port))
            sock.sendall(b"GET /rebound HTTP/1.0\r\n\r\n")
            sock.recv(100)
        except OSError:
            pass
        finally:
            sock.close()
    assert "/rebound" not in servers["inside"]["requests"]


def test_ipv6_addresses_that_carry_a_public_ipv4_one_pass() -> None:
    import ipaddress

    policy = ServePolicy()
    for public in ("2002:808:808::1", "64:ff9b::808:808", "::ffff:8.8.8.8", "2606:4700::1111"):
        assert policy.why_refused(ipaddress.ip_address(public)) is None


@pytest.mark.parametrize("inside", ["192.0.0.8", "192.0.0.100", "64:ff9b:1::808:808", "3fff::1",
                                    "5f00::1", "100.64.0.1", "2001:db8::1", "fd00::1"])
def test_addresses_not_globally_reachable_are_refused_whatever_the_python(inside: str) -> None:
    """The first five are global to Python 3.11.7's ipaddress (3.11.10 fixed the first three;
    none knows the last two): the guard's own table of IANA's registries refuses them."""
    import ipaddress

    assert ServePolicy().why_refused(ipaddress.ip_address(inside)) == (
        "a private or reserved address inside a network")


def test_behind_a_proxy_links_are_refused_unless_the_operator_trusts_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Behind a proxy every connection is to the proxy: a public page redirecting inside could
    not be seen, and the internal service was fetched. Links are off there by default."""
    asked: list[str] = []

    class Proxy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_error(502)

        def log_message(self, format: str, *args: object) -> None:
            pass

    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
        link = "http://films.example/page.html"
        with pytest.raises(SourceError, match="through a proxy .*ONEFRAME_TRUST_PROXY=1") as no:
            ServePolicy.from_env().check_source(link)
        assert "ONEFRAME_TRUST_PROXY" not in no.value.for_visitor()  # a visitor can't set it
        with pytest.raises(SourceError, match="through a proxy"):
            ingest(link, policy=ServePolicy.from_env())
        assert asked == [] and not Library().list()
        monkeypatch.setenv("ONEFRAME_TRUST_PROXY", "1")
        trusted = ServePolicy.from_env()
        assert trusted.check_source(link) == link
        with pytest.raises(SourceError):  # the proxy answers 502, but it was asked
            ingest(link, policy=trusted)
        assert asked
    finally:
        proxy.shutdown()
        proxy.server_close()


def test_a_download_for_the_web_app_never_hands_off_to_ffmpeg(
        servers: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """yt-dlp gives an HLS stream with SAMPLE-AES to ffmpeg, a process whose connections the
    guard can't see (it fetched /internal-key from 127.0.0.1). For the web app, yt-dlp is
    pointed at no ffmpeg: such a stream is refused, and nothing runs outside this process."""
    import ipaddress
    import stat

    ran = tmp_path / "ffmpeg-ran.txt"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ffmpeg", "ffprobe"):  # looks like ffmpeg to yt-dlp; notes each run
        script = bin_dir / tool
        script.write_text(f'#!/bin/sh\necho "$0 $*" >> {ran}\n'
                          f'echo "{tool} version 6.1 Copyright (c) 2000-2023"\n')
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    inside, front = servers["inside"]["url"], servers["front"]["url"]
    servers["front"]["handler"].redirect_to = None  # the allowed host serves the playlist
    www = tmp_path / "www"
    (www / "v.m3u8").write_text(
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n"
        f'#EXT-X-KEY:METHOD=SAMPLE-AES,URI="{inside}/internal-key",IV=0x0\n'
        f"#EXTINF:4.0,\n{inside}/segment0.ts\n#EXT-X-ENDLIST\n")
    policy = ServePolicy(networks=(ipaddress.ip_network("127.0.0.2/32"),))
    with pytest.raises(SourceError):
        ingest(f"{front}/v.m3u8", policy=policy)
    assert not ran.exists() or "v.m3u8" not in ran.read_text()
    assert not [p for p in servers["inside"]["requests"] if "internal-key" in p or "segment" in p]
    assert not Library().list()
