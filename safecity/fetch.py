"""`python -m safecity data fetch [SOURCE]`: download the months a source has published since its latest file.

Only the monthly visa tables (`raw/state-dept-monthly-visas`) are fetched. For each kind (non-immigrant,
immigrant) the month after the latest file present is requested from the base URL, then the next, up to
the first month not yet published (HTTP 404) and never past the current month. Months are requested
only after the latest one present, per kind: a historical gap (non-immigrant May 2019) is never filled
in or asked for again, and stays a missing month.

The base URL and the remote folder of each kind are the `fetch` entry of the source's
`datapackage.json`, and `--base-url` overrides the URL for one run. Each downloaded month is stored as
the project stores the others: `<kind>/YYYY-MM-01.jsonl.gz`, the bytes as published, gzip level 9 with
no timestamp. It is then recorded by `safecity.datarecord` (checksum, size, the importer's checks) and
its retrieval date and URL go into the resource's `fileRetrieved`; the package's `fetched` says when
the last new month was fetched, from where, and the latest month of each kind.

Nothing is written unless every download succeeded and the recorded package passes the importer:
everything is downloaded and recorded in a scratch folder first, and only then are the new files moved
in and `datapackage.json` replaced. A failure (network error, timeout, an HTTP error other than 404, a
truncated or malformed file, a file over the response limit of `safecity.limits`) is one line naming the URL
and the reason. The timeout is one deadline per request, covering connecting, the headers and the body.

The retrieval date is today's date, or `SAFECITY_FETCH_DATE` (YYYY-MM-DD) when set, so that a test or
a re-run can fix it.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import http.client
import io
import json
import os
import re
import shutil
import socket
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import datarecord, limits
from .errors import DataError, Problem
from .packages import boundary_problems, display_path, inside, load_descriptor, package_paths

SOURCE = "state-dept-monthly-visas"
KINDS = ("nonimmigrant", "immigrant")

#: Where the months come from when the data package says nothing else.
DEFAULT_URL = "https://raw.githubusercontent.com/chapmanjacobd/us_visa_statistics/main/"
DEFAULT_FOLDERS = {"nonimmigrant": "nonimmigrant_data", "immigrant": "immigrant_data"}
#: Seconds a whole download may take (connecting, waiting, reading) before it is a failure.
DEFAULT_TIMEOUT = 60.0

DATE_VARIABLE = "SAFECITY_FETCH_DATE"
LOCAL_NAME = re.compile(r"(\d{4})-(\d{2})-01\.jsonl\.gz")
TITLE_END = re.compile(r"(?P<head>.*\b[A-Z][a-z]+ \d{4}\s*[-–]\s*)(?P<end>[A-Z][a-z]+ \d{4})$")
USER_AGENT = "safecity-data-fetch"


class FetchError(Exception):
    """A download that failed: one problem naming the URL."""

    def __init__(self, url: str, reason: str):
        self.problem = Problem(url, reason)
        super().__init__(str(self.problem))


@dataclass(frozen=True)
class Download:
    kind: str
    month: dt.date
    rel: str  # path in the source folder, e.g. "nonimmigrant/2025-06-01.jsonl.gz"
    url: str
    body: bytes  # as published (uncompressed JSON lines)


def today() -> dt.date:
    """The retrieval date: `SAFECITY_FETCH_DATE` when set, else the system's date."""
    fixed = os.environ.get(DATE_VARIABLE)
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            raise DataError(Problem(DATE_VARIABLE, f"must be a date YYYY-MM-DD, not {fixed!r}"))
    return dt.date.today()


def _next_month(month: dt.date) -> dt.date:
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def _latest(paths: list[str]) -> dt.date | None:
    months = [dt.date(int(m.group(1)), int(m.group(2)), 1)
              for m in (LOCAL_NAME.fullmatch(Path(p).name) for p in paths) if m]
    return max(months, default=None)


class _Deadline(io.RawIOBase):
    """A socket's reads, each allowed only the time left before the request's deadline (a socket timeout
    alone bounds each read, so a server sending a byte at a time would never be timed out)."""

    def __init__(self, sock, deadline: float):
        self.sock, self.deadline = sock, deadline
        self.raw = sock.makefile("rb", buffering=0)  # keeps the socket open until the response is closed

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("past the deadline")
        self.sock.settimeout(left)
        return self.raw.readinto(buffer)

    def close(self):
        self.raw.close()
        super().close()


class _DeadlineSocket:
    """What an HTTP response reads from: the socket, through `_Deadline`."""

    def __init__(self, sock, deadline: float):
        self.reader = io.BufferedReader(_Deadline(sock, deadline))

    def makefile(self, *args, **kwargs):
        return self.reader


def _connection(base: type, deadline: float) -> type:
    """`base` (HTTPConnection or HTTPSConnection) connecting, and reading headers and body, within `deadline`."""

    class Response(http.client.HTTPResponse):
        def __init__(self, sock, *args, **kwargs):
            super().__init__(_DeadlineSocket(sock, deadline), *args, **kwargs)

    class Connection(base):
        response_class = Response

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **{**kwargs, "timeout": max(deadline - time.monotonic(), 1e-3)})

    return Connection


class _DeadlineHandler:
    """For urllib's HTTP and HTTPS handlers: every connection of a request (redirects too) shares one deadline."""

    def __init__(self, deadline: float):
        super().__init__()
        self.deadline = deadline

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_connection(http_class, self.deadline), req, **kwargs)


class _HTTP(_DeadlineHandler, urllib.request.HTTPHandler):
    pass


class _HTTPS(_DeadlineHandler, urllib.request.HTTPSHandler):
    pass


def download(url: str, timeout: float) -> bytes | None:
    """The body at `url`; None when the server says 404 (not published yet); FetchError for anything else.

    `timeout` bounds the whole request: connecting, the headers and the body (one deadline, not a bound on
    each wait). A body larger than the response limit (`safecity.limits`) is refused as soon as the server
    announces it or once that many bytes have arrived.
    """
    deadline = time.monotonic() + timeout
    opener = urllib.request.build_opener(_HTTP(deadline), _HTTPS(deadline))
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    most = limits.limit("response_bytes")
    too_large = (f"more than {limits.size(most)}; no published month comes near "
                 f"(limit: {limits.SETTINGS['response_bytes'][0]})")
    try:
        with opener.open(request) as response:
            expected = response.headers.get("Content-Length")
            if expected is not None and expected.isdigit() and int(expected) > most:
                raise FetchError(url, f"the server announces {int(expected):,} bytes, {too_large}")
            chunks, size = [], 0
            while chunk := response.read1(1 << 16):
                chunks.append(chunk)
                size += len(chunk)
                if size > most:
                    raise FetchError(url, f"the response holds {too_large}")
            body = b"".join(chunks)
    except FetchError:
        raise
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise FetchError(url, f"HTTP error {exc.code} {exc.reason}")
    except http.client.IncompleteRead as exc:
        raise FetchError(url, f"truncated: the connection closed after {len(exc.partial):,} bytes")
    except (TimeoutError, socket.timeout):
        raise FetchError(url, f"timed out after {timeout:g} s")
    except urllib.error.URLError as exc:
        reason = exc.reason
        if isinstance(reason, (TimeoutError, socket.timeout)):
            raise FetchError(url, f"timed out after {timeout:g} s")
        raise FetchError(url, f"network error: {getattr(reason, 'strerror', None) or reason}")
    except (http.client.HTTPException, OSError, ValueError) as exc:
        raise FetchError(url, f"network error: {type(exc).__name__}: {exc}")
    if expected is not None and expected.isdigit() and int(expected) != len(body):
        raise FetchError(url, f"truncated: received {len(body):,} of {int(expected):,} bytes")
    if not body.strip():
        raise FetchError(url, "empty file")
    if not body.endswith(b"\n"):
        raise FetchError(url, "truncated: the file does not end with a line break (every published month does)")
    return body


def _config(descriptor: dict, base_url: str | None) -> tuple[str, dict[str, str], float]:
    config = descriptor.get("fetch", {})
    url = base_url or config.get("url") or DEFAULT_URL
    return (url if url.endswith("/") else url + "/", {**DEFAULT_FOLDERS, **config.get("folders", {})},
            float(config.get("timeout", DEFAULT_TIMEOUT)))


def new_months(descriptor: dict, base_url: str, folders: dict[str, str], timeout: float,
               until: dt.date) -> list[Download]:
    """Every month published after the latest file of each kind, up to the first not published."""
    found = []
    for kind in KINDS:
        resource = next((r for r in descriptor.get("resources", []) if r.get("name") == kind), None)
        paths = (resource or {}).get("path", [])
        latest = _latest(paths if isinstance(paths, list) else [paths])
        if latest is None:
            raise DataError(Problem(kind, "no monthly file to start from: record the first month by hand"))
        month = _next_month(latest)
        while month <= until:
            url = f"{base_url}{folders[kind]}/{month:%Y-%m}-01.jsonl"
            body = download(url, timeout)
            if body is None:
                break
            found.append(Download(kind, month, f"{kind}/{month:%Y-%m}-01.jsonl.gz", url, body))
            month = _next_month(month)
    return found


def compress(body: bytes) -> bytes:
    """A month as the project stores it: gzip level 9, no file name, no timestamp."""
    return gzip.compress(body, compresslevel=9, mtime=0)


def _scratch_copy(data_dir: Path, source: str, scratch: Path) -> Path:
    """A data folder in `scratch` holding every file of `data_dir` (hard links: `datarecord.same_file`), with its
    own copy of the source's datapackage.json (which recording may rewrite). Returns the source folder in it."""
    raw = scratch / "raw"
    raw.mkdir()
    for entry in sorted(Path(data_dir, "raw").iterdir()):
        for path in sorted(entry.rglob("*")):
            if not path.is_file():
                continue
            target = raw / entry.name / path.relative_to(entry)
            if entry.name == source and path.name == "datapackage.json":
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
            else:
                datarecord.same_file(path, target)
    return raw / source


def _title(title: str, latest: dt.date) -> str:
    """A title ending "March 2017 - May 2025" with its end month moved to `latest`."""
    match = TITLE_END.fullmatch(title or "")
    return f"{match['head']}{latest:%B %Y}" if match else title


def _described(descriptor: dict, downloads: list[Download], base_url: str, date: dt.date) -> dict:
    """The recorded package with the provenance of the fetched files and of the fetch."""
    out = copy.deepcopy(descriptor)
    for resource in out.get("resources", []):
        mine = [d for d in downloads if d.kind == resource.get("name")]
        if mine:
            retrieved = resource.setdefault("fileRetrieved", {})
            for d in mine:
                retrieved[d.rel] = {"date": date.isoformat(), "url": d.url}
            resource["fileRetrieved"] = dict(sorted(retrieved.items()))
    latest = {}
    for resource in out.get("resources", []):
        if resource.get("name") in KINDS:
            month = _latest(resource["path"] if isinstance(resource["path"], list) else [resource["path"]])
            latest[resource["name"]] = f"{month:%Y-%m}"
    out["title"] = _title(out.get("title", ""), max(dt.date.fromisoformat(m + "-01") for m in latest.values()))
    fetched = {"date": date.isoformat(), "url": base_url, "latest_month": latest}
    ordered = {}
    for key, value in out.items():  # `fetched` goes after `retrieved` (or at the end)
        if key != "fetched":
            ordered[key] = value
        if key == "retrieved":
            ordered["fetched"] = fetched
    ordered.setdefault("fetched", fetched)
    return ordered


def _here(problem: Problem, scratch: Path, data_dir: Path, urls: dict[str, str]) -> Problem:
    """A problem found in the scratch folder as the user must see it: a fetched file by its URL, any
    other file in the real data folder."""
    if problem.file in urls:
        return Problem(urls[problem.file], problem.reason, problem.line, problem.column)
    inside, real = display_path(scratch), display_path(Path(data_dir))
    return Problem(problem.file.replace(inside, real), problem.reason.replace(inside, real), problem.line,
                   problem.column)


def fetch(data_dir: Path, source: str = SOURCE, base_url: str | None = None, timeout: float | None = None,
          date: dt.date | None = None, echo=print) -> list[Problem]:
    """Fetch, store and record the new months of `source`; returns the problems (nothing is written then)."""
    data_dir = Path(data_dir)
    if source != SOURCE:
        known = ", ".join(p.parent.name for p in package_paths(data_dir))
        return [Problem(source, f"no fetcher for this source: only {SOURCE} is fetched (sources: {known})")]
    try:
        date = date or today()
    except DataError as exc:
        return exc.problems
    problems = boundary_problems(data_dir)  # no link to write through, no path out of the folder
    if problems:
        return problems
    folder = data_dir / "raw" / source
    package = folder / "datapackage.json"
    before = datarecord.plan(data_dir, source)
    if before.problems:
        return before.problems
    if before.new_text != before.text:
        return [Problem(display_path(package), "the files differ from what it records: run "
                                               f"`python -m safecity data record {source}` (or restore them) first")]
    url, folders, configured = _config(before.descriptor, base_url)
    try:
        downloads = new_months(before.descriptor, url, folders, timeout or configured, date)
    except FetchError as exc:
        return [exc.problem]
    except DataError as exc:
        return exc.problems
    if not downloads:
        months = {kind: _latest(next(r for r in before.descriptor["resources"] if r["name"] == kind)["path"])
                  for kind in KINDS}
        echo(f"{source}: up to date (latest month: " +
             ", ".join(f"{kind} {m:%Y-%m}" for kind, m in months.items()) + f"; nothing new at {url})")
        return []

    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=data_dir) as name:
        scratch = Path(name)
        copy_folder = _scratch_copy(data_dir, source, scratch)
        urls = {}
        for d in downloads:
            (copy_folder / d.rel).parent.mkdir(parents=True, exist_ok=True)
            (copy_folder / d.rel).write_bytes(compress(d.body))
            urls[display_path(copy_folder / d.rel)] = d.url
        problems = datarecord.record(scratch, [source], echo=lambda _: None)
        if problems:
            return [_here(p, scratch, data_dir, urls) for p in problems]
        recorded = json.loads((copy_folder / "datapackage.json").read_text(encoding="utf-8"))
        (copy_folder / "datapackage.json").write_text(datarecord.dump(_described(recorded, downloads, url, date)),
                                                      encoding="utf-8")
        # Every check passed: the new files go in, then the package that lists them. Each is moved onto a path
        # checked to be inside the folder (`inside`); a move replaces whatever is there, never writes through it.
        for d in downloads:
            inside(data_dir, (folder / d.rel).parent).mkdir(parents=True, exist_ok=True)
            os.replace(copy_folder / d.rel, inside(data_dir, folder / d.rel))
        os.replace(copy_folder / "datapackage.json", inside(data_dir, package))
    for d in downloads:
        stored = folder / d.rel
        echo(f"{display_path(stored)}: added {d.kind} {d.month:%Y-%m} ({stored.stat().st_size:,} bytes) from {d.url}")
    echo(f"{display_path(package)}: updated (checksums, sizes, retrieved {date.isoformat()})")
    return []
