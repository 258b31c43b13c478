"""`python -m safecity data fetch`: new State Department months from a local HTTP server standing in for the
repository the visa files come from. No test reaches the internet.

Every failure must leave the data folder exactly as it was (every file, byte for byte, and no leftovers)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from safecity import fetch, validate
from safecity.__main__ import main
from safecity.sources import state_dept_monthly

from conftest import DATA

VISAS = "state-dept-monthly-visas"
TODAY = "2026-12-05"
KIND_FOLDER = {"nonimmigrant": "nonimmigrant_data", "immigrant": "immigrant_data"}


def _published(kind: str, month: str = "2025-05") -> bytes:
    """A month's JSON lines as the repository publishes them (the project's file, uncompressed)."""
    return gzip.decompress((DATA / "raw" / VISAS / kind / f"{month}-01.jsonl.gz").read_bytes())


class Upstream:
    """A local HTTP server for `<folder>/YYYY-MM-01.jsonl`: a 404 for any file it does not have, and per file
    a way to misbehave ("500", "cut" (Content-Length larger than what is sent), "slow", "endless" (the file's
    lines again and again, with no Content-Length), "announced" (a Content-Length of a terabyte), "trickle"
    (the headers one byte at a time, for 2 s))."""

    def __init__(self):
        self.files: dict[str, bytes] = {}
        self.behaviour: dict[str, str] = {}
        self.requested: list[str] = []
        self.release = threading.Event()  # ends a slow answer at teardown
        upstream = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                path = self.path.lstrip("/")
                upstream.requested.append(path)
                how = upstream.behaviour.get(path)
                if how == "slow":
                    upstream.release.wait(10)
                if how == "trickle":  # then the file, complete: only a deadline on the whole request refuses it
                    self.wfile.write(b"HTTP/1.0 200 OK\r\nX-Slow: ")
                    for _ in range(40):
                        if upstream.release.wait(0.05):
                            return
                        self.wfile.write(b"x")
                    body = upstream.files[path]
                    self.wfile.write(b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
                    return
                if how in ("endless", "announced"):
                    self.send_response(200)
                    if how == "announced":
                        self.send_header("Content-Length", str(10 ** 12))
                    self.end_headers()
                    block = upstream.files[path] * (1 + (1 << 16) // len(upstream.files[path]))
                    try:
                        while not upstream.release.is_set():
                            self.wfile.write(block)
                    except OSError:  # the client stopped reading
                        pass
                    return
                if how == "500":
                    self.send_error(500, "Internal Server Error")
                    return
                if path not in upstream.files:
                    self.send_error(404, "Not Found")
                    return
                body = upstream.files[path]
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body) * 2 if how == "cut" else len(body)))
                self.end_headers()
                self.wfile.write(body)
                if how == "cut":
                    self.close_connection = True

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, kind: str, month: str, body: bytes, how: str | None = None) -> str:
        path = f"{KIND_FOLDER[kind]}/{month}-01.jsonl"
        self.files[path] = body
        if how:
            self.behaviour[path] = how
        return self.url + path

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A private copy of the whole data folder; the retrieval date is fixed."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    monkeypatch.setenv(fetch.DATE_VARIABLE, TODAY)
    return target


def _fetch(capsys, data, upstream, *extra) -> tuple[int, list[str], list[str]]:
    status = main(["data", "fetch", "--data-dir", str(data), "--base-url", upstream.url, *extra, VISAS])
    out, err = capsys.readouterr()
    return status, out.splitlines(), err.splitlines()


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder`, by relative path: any write, leftover or removal shows."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _package(data) -> dict:
    return json.loads((data / "raw" / VISAS / "datapackage.json").read_text(encoding="utf-8"))


def _resource(package: dict, kind: str) -> dict:
    return next(r for r in package["resources"] if r["name"] == kind)


# --------------------------------------------------------------------------- new months

def test_a_new_month_is_downloaded_stored_recorded_and_read(data, upstream, capsys):
    june = {kind: _published(kind) for kind in KIND_FOLDER}
    urls = {kind: upstream.publish(kind, "2025-06", body) for kind, body in june.items()}
    status, out, err = _fetch(capsys, data, upstream)
    assert (status, err) == (0, [])
    folder = data / "raw" / VISAS
    for kind, body in june.items():
        rel = f"{kind}/2025-06-01.jsonl.gz"
        stored = folder / rel
        assert any(line.startswith(validate.display_path(stored)) and urls[kind] in line for line in out), out
        assert gzip.decompress(stored.read_bytes()) == body  # the bytes as published
        resource = _resource(_package(data), kind)
        assert rel in resource["path"]
        assert resource["fileHashes"][rel] == "sha256:" + hashlib.sha256(stored.read_bytes()).hexdigest()
        assert resource["bytes"] == sum((folder / p).stat().st_size for p in resource["path"])
        assert resource["fileRetrieved"][rel] == {"date": TODAY, "url": urls[kind]}
        months = state_dept_monthly.read(data, kind).months
        assert months["month"].max() == pd.Timestamp("2025-06-01")
    package = _package(data)
    assert package["fetched"] == {"date": TODAY, "url": upstream.url,
                                  "latest_month": {"nonimmigrant": "2025-06", "immigrant": "2025-06"}}
    assert package["title"].endswith("March 2017 - June 2025")
    assert validate.check(data) == ([], [])  # listed, checksums match, valid
    # Recorded exactly as `data record` records: it finds nothing left to change.
    assert main(["data", "record", "--data-dir", str(data), VISAS]) == 0
    assert capsys.readouterr().out.strip().endswith("already recorded, nothing to change")
    # The book's "last fetched" reads the package, not the clock.
    assert state_dept_monthly.fetch_status(data) == {
        "fetched": TODAY, "latest_month": "2025-06", "fetched_by": "data fetch",
        "latest_month_by_kind": {"nonimmigrant": "2025-06", "immigrant": "2025-06"}}


def test_only_months_after_the_latest_are_asked_for_and_a_historical_gap_stays_missing(data, upstream, capsys):
    upstream.publish("nonimmigrant", "2019-05", _published("nonimmigrant", "2019-04"))  # never asked for
    upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"))
    upstream.publish("nonimmigrant", "2025-07", _published("nonimmigrant"))
    status, out, _ = _fetch(capsys, data, upstream)
    assert status == 0
    assert upstream.requested == ["nonimmigrant_data/2025-06-01.jsonl", "nonimmigrant_data/2025-07-01.jsonl",
                                  "nonimmigrant_data/2025-08-01.jsonl", "immigrant_data/2025-06-01.jsonl"]
    nonimmigrant = state_dept_monthly.read(data, "nonimmigrant")
    assert [f"{m:%Y-%m}" for m in nonimmigrant.missing_months] == ["2019-05"]
    assert not (data / "raw" / VISAS / "nonimmigrant" / "2019-05-01.jsonl.gz").exists()
    status = state_dept_monthly.fetch_status(data)
    assert status["latest_month_by_kind"] == {"nonimmigrant": "2025-07", "immigrant": "2025-05"}
    assert status["latest_month"] == "2025-05"  # the last month both kinds reach


def test_a_month_is_stored_as_the_project_stores_the_others():
    for rel in ("immigrant/2017-03-01.jsonl.gz", "nonimmigrant/2019-04-01.jsonl.gz"):
        stored = (DATA / "raw" / VISAS / rel).read_bytes()
        assert fetch.compress(gzip.decompress(stored)) == stored


def test_no_new_month_is_up_to_date_and_changes_nothing(data, upstream, capsys):
    before = _snapshot(data)
    status, out, err = _fetch(capsys, data, upstream)
    assert (status, err) == (0, [])
    assert len(out) == 1 and "up to date" in out[0], out
    assert upstream.requested == ["nonimmigrant_data/2025-06-01.jsonl", "immigrant_data/2025-06-01.jsonl"]
    assert _snapshot(data) == before


def test_a_404_in_the_middle_stops_at_the_first_month_not_published(data, upstream, capsys):
    upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"))
    upstream.publish("nonimmigrant", "2025-08", _published("nonimmigrant"))  # after a month not yet published
    status, out, err = _fetch(capsys, data, upstream)
    assert (status, err) == (0, [])
    folder = data / "raw" / VISAS / "nonimmigrant"
    assert (folder / "2025-06-01.jsonl.gz").exists()
    assert not (folder / "2025-08-01.jsonl.gz").exists()
    assert "nonimmigrant_data/2025-08-01.jsonl" not in upstream.requested
    assert _resource(_package(data), "nonimmigrant")["path"][-1] == "nonimmigrant/2025-06-01.jsonl.gz"
    assert validate.check(data)[0] == []


def test_no_month_past_the_retrieval_date_is_asked_for(data, upstream, capsys, monkeypatch):
    monkeypatch.setenv(fetch.DATE_VARIABLE, "2025-06-20")
    for month in ("2025-06", "2025-07"):
        upstream.publish("immigrant", month, _published("immigrant"))
    status, _, _ = _fetch(capsys, data, upstream)
    assert status == 0
    assert "immigrant_data/2025-07-01.jsonl" not in upstream.requested
    assert _resource(_package(data), "immigrant")["path"][-1] == "immigrant/2025-06-01.jsonl.gz"


# --------------------------------------------------------------------------- failures change nothing

def _fails(capsys, data, upstream, url: str, reason: str, *extra) -> None:
    """One line naming the URL and the reason, exit status 2, and the data folder as it was."""
    before = _snapshot(data)
    status, out, err = _fetch(capsys, data, upstream, *extra)
    assert status == 2
    assert out == []
    assert len(err) == 1, err
    assert err[0].startswith(f"error: {url}") and reason in err[0], err
    assert _snapshot(data) == before


def test_a_server_error_changes_nothing(data, upstream, capsys):
    upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"))  # fine, but not kept
    url = upstream.publish("immigrant", "2025-06", _published("immigrant"), how="500")
    _fails(capsys, data, upstream, url, "HTTP error 500")


def test_a_truncated_download_changes_nothing(data, upstream, capsys):
    url = upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"), how="cut")
    _fails(capsys, data, upstream, url, "truncated")


def test_a_file_cut_in_the_middle_of_a_line_changes_nothing(data, upstream, capsys):
    body = _published("immigrant")
    url = upstream.publish("immigrant", "2025-06", body[: len(body) // 2])  # complete as served, but cut
    _fails(capsys, data, upstream, url, "truncated")


def test_a_malformed_file_is_refused_by_the_importer_naming_the_url_and_line(data, upstream, capsys):
    body = _published("nonimmigrant")
    lines = body.count(b"\n")
    url = upstream.publish("nonimmigrant", "2025-06", body + b'{"Nationality": "Chad", "Visa Class": \n')
    _fails(capsys, data, upstream, f"{url}, line {lines + 1}", "malformed JSON")


def test_a_month_with_an_unknown_place_is_refused(data, upstream, capsys):
    body = b'{"Nationality":"Atlantis","Visa Class":"B1","Issuances":"3"}\n'
    url = upstream.publish("immigrant", "2025-06", _published("immigrant"))
    url = upstream.publish("nonimmigrant", "2025-06", body)
    _fails(capsys, data, upstream, f"{url}, line 1", "unknown place name 'Atlantis'")


def test_a_slow_server_runs_past_the_timeout_and_changes_nothing(data, upstream, capsys):
    url = upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"), how="slow")
    _fails(capsys, data, upstream, url, "timed out after 0.3 s", "--timeout", "0.3")


def test_a_network_error_changes_nothing(data, capsys):
    with socket.socket() as free:  # a port nobody listens on
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    before = _snapshot(data)
    status = main(["data", "fetch", "--data-dir", str(data), "--base-url", f"http://127.0.0.1:{port}/data/"])
    _, err = capsys.readouterr()
    assert status == 2
    assert err.splitlines() == [f"error: http://127.0.0.1:{port}/data/nonimmigrant_data/2025-06-01.jsonl: "
                                "network error: Connection refused (nothing was written)"]
    assert _snapshot(data) == before


def test_unrecorded_changes_are_refused_before_anything_is_downloaded(data, upstream, capsys):
    upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"))
    stray = data / "raw" / VISAS / "immigrant" / "2025-06-01.jsonl.gz"
    stray.write_bytes(gzip.compress(_published("immigrant"), mtime=0))
    before = _snapshot(data)
    status, _, err = _fetch(capsys, data, upstream)
    assert status == 2 and len(err) == 1 and "data record" in err[0], err
    assert upstream.requested == []
    assert _snapshot(data) == before


def test_the_book_knows_when_its_visa_data_were_fetched_before_any_fetch():
    status = state_dept_monthly.fetch_status(DATA)
    package = json.loads((DATA / "raw" / VISAS / "datapackage.json").read_text(encoding="utf-8"))
    assert status["fetched"] == package.get("fetched", {}).get("date", package["retrieved"])
    months = state_dept_monthly.read(DATA, "immigrant").months["month"]
    assert status["latest_month_by_kind"]["immigrant"] == f"{months.max():%Y-%m}"


def test_the_source_says_where_its_months_come_from():
    config = json.loads((DATA / "raw" / VISAS / "datapackage.json").read_text(encoding="utf-8"))["fetch"]
    assert config["url"] == fetch.DEFAULT_URL
    assert config["folders"] == KIND_FOLDER


def test_the_base_url_is_read_from_the_data_package(data, upstream, capsys):
    path = data / "raw" / VISAS / "datapackage.json"
    package = _package(data)
    package["fetch"]["url"] = upstream.url + "mirror"  # (a missing final slash is added)
    path.write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    status = main(["data", "fetch", "--data-dir", str(data)])
    out = capsys.readouterr().out
    assert status == 0 and "up to date" in out
    assert upstream.requested == ["mirror/nonimmigrant_data/2025-06-01.jsonl", "mirror/immigrant_data/2025-06-01.jsonl"]


def test_data_record_forgets_where_a_removed_file_was_fetched_from(data, upstream, capsys):
    upstream.publish("immigrant", "2025-06", _published("immigrant"))
    assert _fetch(capsys, data, upstream)[0] == 0
    rel = "immigrant/2025-06-01.jsonl.gz"
    assert rel in _resource(_package(data), "immigrant")["fileRetrieved"]
    (data / "raw" / VISAS / rel).unlink()
    assert main(["data", "record", "--data-dir", str(data), VISAS]) == 0
    capsys.readouterr()
    resource = _resource(_package(data), "immigrant")
    assert rel not in resource["path"] and rel not in resource["fileRetrieved"]
    assert validate.check(data)[0] == []


def test_the_sources_page_says_when_newer_files_were_fetched(data, upstream, capsys):
    from safecity import provenance

    def row():
        return next(r for r in provenance.sources(data) if r["folder"] == VISAS)

    copied = row()
    upstream.publish("immigrant", "2025-06", _published("immigrant"))
    assert _fetch(capsys, data, upstream)[0] == 0
    assert (row()["retrieved"], row()["fetched"]) == (copied["retrieved"], TODAY)
    assert (copied["covers"]["end"], row()["covers"]["end"]) == ("2025-05-31", "2025-06-30")
