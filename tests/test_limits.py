"""Limits that no real source reaches (`safecity.limits`, `safecity.fetch`): a gzip bomb, a line without end, a
header of thousands of columns and an endless or oversized download are each refused with one line naming the
file or URL, and exit status 2, in a process whose memory is capped at 1 GB; a server that sends its headers
slowly is timed out by the request's deadline.

Hostile files are made in the test's own folder (a bomb is a small file: one compressed block, repeated)."""

from __future__ import annotations

import gzip
import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from safecity import fetch, limits
from safecity.errors import DataError
from safecity.sources import ice_aor_arrests, state_dept_monthly
from safecity.validate import display_path

from conftest import DATA, ROOT
from test_fetch import TODAY, Upstream, _published

VISAS = "state-dept-monthly-visas"
SEATTLE = "ice-seattle-aor-arrests"
#: The memory (address space) a refusing process may use.
CAP = 1 << 30


def _capped(*command: str) -> subprocess.CompletedProcess:
    """`python COMMAND` in a subprocess whose address space is capped at 1 GB, with the default limits."""
    env = {k: v for k, v in os.environ.items() if k not in {v for v, _ in limits.SETTINGS.values()}}
    env[fetch.DATE_VARIABLE] = TODAY

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))

    return subprocess.run([sys.executable, *command], cwd=ROOT, env=env, preexec_fn=cap, capture_output=True,
                          text=True, timeout=300)


def _errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def _bomb(path: Path, line: bytes, total: int, head: bytes = b"") -> Path:
    """A gzip file that decompresses to `head` then `total` bytes of `line` repeated (one compressed member,
    written again and again: a valid gzip file of a few MB)."""
    block = line * ((16 << 20) // len(line))
    member = gzip.compress(block, compresslevel=9, mtime=0)
    with open(path, "wb") as out:
        out.write(gzip.compress(head, mtime=0))
        for _ in range(total // len(block)):
            out.write(member)
    return path


@pytest.fixture
def data(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


# --------------------------------------------------------------------------- the cap is real


def test_the_real_data_pass_check_in_a_process_capped_at_1_gb():
    result = _capped("-m", "safecity", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "data: all inputs valid"


def test_the_bomb_would_exceed_the_cap_when_read_without_a_limit(tmp_path):
    bomb = _bomb(tmp_path / "2025-05-01.jsonl.gz", b'{"Nationality":"Chad","Visa Class":"B1","Issuances":"3"}\n',
                 2 << 30)
    assert bomb.stat().st_size < 8 << 20
    result = _capped("-c", "import gzip, sys; gzip.decompress(open(sys.argv[1], 'rb').read())", str(bomb))
    assert result.returncode != 0
    assert "MemoryError" in result.stderr


# --------------------------------------------------------------------------- how far a file may decompress


@pytest.mark.parametrize("rel, line, total, reason", [
    (f"{VISAS}/nonimmigrant/2025-05-01.jsonl.gz", b'{"Nationality":"Chad","Visa Class":"B1","Issuances":"3"}\n',
     2 << 30, ": holds more than 256 MiB (after decompression); no real source comes near "
              "(limit: SAFECITY_MAX_DATA_BYTES)"),
    (f"{SEATTLE}/arrests.csv.gz", b"1/2/2017|M|MEXICO|||SEATTLE|CAP LOCAL INCARCERATION|\n",
     2 << 30, ": holds more than 256 MiB (after decompression); no real source comes near "
              "(limit: SAFECITY_MAX_DATA_BYTES)"),
    (f"{SEATTLE}/arrests.csv.gz", b"0" * 1024, 1 << 30,
     ", line 8: a line longer than 1 MiB; no real source comes near (limit: SAFECITY_MAX_LINE_BYTES)"),
])
def test_a_gzip_bomb_is_refused_by_check_with_one_line(data, rel, line, total, reason):
    real = gzip.decompress((data / "raw" / rel).read_bytes())
    head = real[:real.index(b"\n", real.index(b"Arrest Date")) + 1] if rel.endswith(".csv.gz") else b""
    bomb = _bomb(data / "raw" / rel, line, total, head)  # the title rows and header as published, then records
    result = _capped("-m", "safecity", "check", "--data-dir", str(data))
    assert result.returncode == 2, result.stderr
    assert _errors(result) == [f"error: {display_path(bomb)}{reason}"]
    assert "Traceback" not in result.stderr


def test_the_importers_read_through_the_bounded_reader(data, monkeypatch):
    """Called without `check` first (as a notebook or `data record` calls them), the importers refuse too."""
    monkeypatch.setenv("SAFECITY_MAX_DATA_BYTES", str(4 << 20))  # a small limit keeps the test quick
    line = b'{"Nationality":"Chad","Visa Class":"B1","Issuances":"3"}\n'
    month = _bomb(data / "raw" / VISAS / "immigrant" / "2025-05-01.jsonl.gz", line, 64 << 20)
    with pytest.raises(DataError) as caught:
        state_dept_monthly.read(data, "immigrant")
    assert [str(p) for p in caught.value.problems] == [
        f"{display_path(month)}: holds more than 4 MiB (after decompression); no real source comes near "
        "(limit: SAFECITY_MAX_DATA_BYTES)"]
    arrests = data / "raw" / SEATTLE / "arrests.csv.gz"
    real = gzip.decompress(arrests.read_bytes())
    with gzip.open(arrests, "wb") as out:  # the real file, then more records than the limit allows
        out.write(real)
        for _ in range((4 << 20) // len(real) + 1):
            out.write(real[real.index(b"\n", real.index(b"Arrest Date")) + 1:])
    with pytest.raises(DataError) as caught:
        ice_aor_arrests.read(arrests)
    assert "holds more than 4 MiB (after decompression)" in str(caught.value)


def test_a_workbook_that_would_decompress_too_far_is_refused(monkeypatch):
    workbook = DATA / "raw" / "prm-refugee-admissions" / "PRM-Refugee-Admissions-Report-2024.xlsx"
    limits.check_zip(workbook)
    monkeypatch.setenv("SAFECITY_MAX_DATA_BYTES", str(1 << 20))  # the real workbook holds 1.4 MB unpacked
    with pytest.raises(DataError) as caught:
        limits.check_zip(workbook)
    assert str(caught.value) == (f"{display_path(workbook)}: holds more than 1 MiB (after decompression); "
                                 "no real source comes near (limit: SAFECITY_MAX_DATA_BYTES)")


# --------------------------------------------------------------------------- how wide a header may be


def test_a_header_of_20000_columns_is_refused_by_check_with_one_line(data):
    table = data / "raw" / "ice-safe-city" / "arrests_by_area.csv"
    lines = table.read_bytes().split(b"\n")
    lines[0] += b"".join(b",extra%d" % i for i in range(20_000 - lines[0].count(b",") - 1))
    table.write_bytes(b"\n".join(lines))
    assert 100_000 < len(lines[0]) < 300_000
    result = _capped("-m", "safecity", "check", "--data-dir", str(data))
    assert result.returncode == 2, result.stderr
    assert _errors(result) == [f"error: {display_path(table)}, line 1: a header of 20,000 columns, more than 1,000; "
                               "no real source comes near (limit: SAFECITY_MAX_COLUMNS)"]


def test_a_wide_header_in_a_file_only_its_importer_reads_is_refused(data):
    arrests = data / "raw" / SEATTLE / "arrests.csv.gz"
    lines = gzip.decompress(arrests.read_bytes()).split(b"\n")
    for number in range(7):  # the title rows and the header (line 7), as wide as each other
        lines[number] += b"".join(b"|extra%d" % i for i in range(5_000))
    arrests.write_bytes(gzip.compress(b"\n".join(lines)))
    with pytest.raises(DataError) as caught:
        ice_aor_arrests.read(arrests)
    assert str(caught.value) == (f"{display_path(arrests)}, line 7: a header of 5,008 columns, more than 1,000; "
                                 "no real source comes near (limit: SAFECITY_MAX_COLUMNS)")


def test_each_limit_is_a_setting(data, monkeypatch):
    from safecity import validate

    monkeypatch.setenv("SAFECITY_MAX_COLUMNS", "50")  # the State Department's annual table has 98
    errors, _ = validate.check(data)
    assert [str(p) for p in errors] == [
        f"{display_path(data / 'raw' / 'state-dept-annual-visas' / 'niv-detail-fy2016.csv')}, line 1: a header of "
        "98 columns, more than 50; no real source comes near (limit: SAFECITY_MAX_COLUMNS)"]
    monkeypatch.setenv("SAFECITY_MAX_COLUMNS", "many")
    assert [str(p) for p in validate.check(data)[0]] == [
        "SAFECITY_MAX_COLUMNS: must be a whole number of columns, not 'many'"]


# --------------------------------------------------------------------------- how large a fetched file may be


@pytest.fixture
def upstream():
    server = Upstream()
    yield server
    server.close()


def test_an_endless_download_is_refused_with_one_line(data, upstream):
    url = upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"), how="endless")
    before = sorted(p.relative_to(data) for p in data.rglob("*"))
    result = _capped("-m", "safecity", "data", "fetch", "--data-dir", str(data), "--base-url", upstream.url)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: {url}: the response holds more than 64 MiB; no published month comes near "
        "(limit: SAFECITY_MAX_RESPONSE_BYTES) (nothing was written)"]
    assert sorted(p.relative_to(data) for p in data.rglob("*")) == before


def test_a_download_announced_too_large_is_refused_before_it_is_read(upstream):
    url = upstream.publish("nonimmigrant", "2025-06", _published("nonimmigrant"), how="announced")
    with pytest.raises(fetch.FetchError) as caught:
        fetch.download(url, 30)
    assert str(caught.value) == (f"{url}: the server announces 1,000,000,000,000 bytes, more than 64 MiB; no "
                                 "published month comes near (limit: SAFECITY_MAX_RESPONSE_BYTES)")


# --------------------------------------------------------------------------- one deadline per request


def test_a_server_sending_its_headers_slowly_is_timed_out_by_the_deadline(upstream):
    body = _published("nonimmigrant")
    url = upstream.publish("nonimmigrant", "2025-06", body, how="trickle")
    with pytest.raises(fetch.FetchError) as caught:  # a byte every 0.05 s: no single wait reaches 0.5 s
        fetch.download(url, 0.5)
    assert str(caught.value) == f"{url}: timed out after 0.5 s"


def test_a_slow_but_complete_answer_within_the_deadline_is_read(upstream):
    body = _published("nonimmigrant")
    url = upstream.publish("nonimmigrant", "2025-06", body, how="trickle")
    assert fetch.download(url, 60) == body


@pytest.mark.parametrize("compress", [False, True])
def test_a_line_is_measured_across_blocks_and_named(tmp_path, monkeypatch, compress):
    monkeypatch.setenv("SAFECITY_MAX_LINE_BYTES", "10")  # lines of 10 bytes pass; the 11-byte line is refused
    body = b"abc\n" + b"0123456789\n" * 50 + b"x" * 11 + b"\n"
    path = tmp_path / ("t.csv.gz" if compress else "t.csv")
    path.write_bytes(gzip.compress(body) if compress else body)
    with pytest.raises(DataError) as caught:
        limits.read_data(path, "t")
    assert str(caught.value) == "t, line 52: a line longer than 10 bytes; no real source comes near " \
                                "(limit: SAFECITY_MAX_LINE_BYTES)"
    path.write_bytes(gzip.compress(body[:-12]) if compress else body[:-12])
    assert limits.read_data(path, "t") == body[:-12]
