"""Network clients: downloads, HTTP requests, sockets, TLS, remote shells.

``curl``/``wget`` to stdout inspect, to a file act; a request to a local service
(``curl localhost:8000``) is marked ``local_probe``, which :mod:`terminal_gym.egs.tor`
turns into verify once something has acted. Network diagnostics (``ping``, ``dig``,
``ss``...) inspect; ``ssh`` acts.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re

from terminal_gym.egs.classify.core import Acc, Ctx, acc, opts, word_set
from terminal_gym.egs.classify.registry import handles

_NETWORK_INFO = word_set(
    "netstat ss route arp ping ping6 traceroute tracepath mtr dig nslookup host whois"
)

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "0.0.0.0", "::1", "[::1]"})


_URL = re.compile(r"^(?:[a-zA-Z][\w+.-]*://)?(?:[^@/\s]*@)?(\[[^\]]*\]|[^:/\s?#]+)")


def _is_local_url(url: str) -> bool:
    m = _URL.match(url)
    if not m:
        return False
    host = m.group(1).lower()
    # single-label hosts (`localhost`, `app`, `db`) are services of this sandbox
    return host in _LOCAL_HOSTS or host.startswith("127.") or "." not in host


@handles(*_NETWORK_INFO)
def _h_network_info(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """Network diagnostics: they look, and name no paths."""
    return acc(name, "inspect")


@handles("ssh", "sshpass")
def _h_remote_shell(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    """What runs on the other host is out of sight: count it as acting."""
    return acc(name, "act")


@handles("curl")
def _h_curl(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-o --output -d --data --data-raw --data-binary --data-urlencode "
            "--data-ascii -F --form --json -T --upload-file -X --request -H "
            "--header -u --user -A --user-agent -e --referer -w --write-out -m "
            "--max-time --connect-timeout -b --cookie -c --cookie-jar --retry "
            "--retry-delay --retry-max-time -x --proxy -r --range -C --continue-at "
            "--cacert --cert --key -E --url --resolve -y -Y -z --limit-rate "
            "--interface -K --config --unix-socket --max-redirs -D --dump-header "
            "--trace --trace-ascii --stderr"
        ),
    )
    urls = o.operands + o.values("--url")
    local = bool(urls) and all(_is_local_url(u) for u in urls)
    writes = ctx.paths(o.values("-o", "--output", "-D", "--dump-header"))
    if o.has("-O", "--remote-name", "--remote-name-all") or o.has("-J"):
        writes += ctx.paths(
            posixpath.basename(u.split("?")[0].rstrip("/")) or "index.html" for u in urls
        )
    reads = ctx.paths(v.lstrip("@") for v in o.values("-T", "--upload-file", "-K", "--config"))
    reads += ctx.paths(
        v[1:]
        for v in o.values("-d", "--data", "--data-binary", "-F", "--form")
        if v.startswith("@")
    )
    method = next(iter(o.values("-X", "--request")), "").upper()
    sends = o.has(
        "-d",
        "--data",
        "--data-raw",
        "--data-binary",
        "--data-urlencode",
        "-F",
        "--form",
        "--json",
        "-T",
        "--upload-file",
    ) or method not in ("", "GET", "HEAD")
    if writes:
        return acc(name, "act", reads, writes)
    if local:
        return acc(name, "inspect", reads, local_probe=True)
    return acc(name, "act" if sends else "inspect", reads)


@handles("wget", "wget2")
def _h_wget(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(
        args,
        word_set(
            "-O -o -a -P -i -t -T -U -e --output-document --output-file "
            "--append-output --directory-prefix --input-file --tries --timeout "
            "--user-agent --header --post-data --post-file --method --body-data "
            "--user --password -w --wait -l --level -A -R --accept --reject"
        ),
    )
    urls = o.operands
    reads = ctx.paths(o.values("-i", "--input-file", "--post-file"))
    local = bool(urls) and all(_is_local_url(u) for u in urls)
    document = o.values("-O", "--output-document")
    if o.has("--spider") or document == ["-"]:
        return acc(name, "inspect", reads, local_probe=local)
    if document:
        writes = ctx.paths(document)
    else:
        prefix = ctx.path_or_cwd(o.values("-P", "--directory-prefix"))
        sub = dataclasses.replace(ctx, cwd=prefix)
        writes = sub.paths(
            posixpath.basename(u.split("?")[0].rstrip("/")) or "index.html" for u in urls
        ) or [prefix]
    if not writes:  # -O /dev/null
        return acc(name, "inspect", reads, local_probe=local)
    return acc(name, "act", reads, writes)


@handles("http", "https", "xh")
def _h_http(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    words = [a for a in args if not a.startswith("-")]
    method = "GET"
    if words and words[0].isalpha() and words[0].isupper():
        method, words = words[0], words[1:]
    sends = method not in ("GET", "HEAD", "OPTIONS") or any("=" in w for w in words[1:])
    if words and _is_local_url(words[0]):
        return acc(name, "inspect", local_probe=True)
    return acc(name, "act" if sends else "inspect")


@handles("nc", "ncat", "netcat", "telnet")
def _h_nc(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    o = opts(args, word_set("-w -p -s -i -q -W -e -c"))
    if o.has("-l"):
        return acc(name, "act")
    hosts = o.operands[:1]
    return acc(name, "inspect", local_probe=bool(hosts) and _is_local_url(hosts[0]))


@handles("openssl")
def _h_openssl(ctx: Ctx, name: str, args: list[str]) -> list[Acc]:
    sub = args[0] if args and not args[0].startswith("-") else ""
    label = f"{name} {sub}".strip()
    values = {"-out", "-keyout", "-in", "-CAfile", "-config", "-key", "-signkey", "-inkey"}
    pairs = [(a, args[i + 1]) for i, a in enumerate(args[:-1]) if a in values]
    writes = ctx.paths(v for a, v in pairs if a in ("-out", "-keyout"))
    reads = ctx.paths(v for a, v in pairs if a not in ("-out", "-keyout"))
    if writes or sub in ("genrsa", "genpkey"):
        return acc(label, "act", reads, writes)
    return acc(label, "verify" if sub == "verify" else "inspect", reads)
