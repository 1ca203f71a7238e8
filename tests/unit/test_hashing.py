"""File hashing and keyed pseudonymisation of person keys."""

from __future__ import annotations

import hashlib
import hmac
import threading

import pandas as pd
import pytest

from warehouse.ingest import hashed_ahead, pseudonymise, sha256_file


def test_sha256_of_a_file_matches_hashlib_on_its_bytes(tmp_path):
    path = tmp_path / "f.csv"
    payload = b"a,b\r\n1,2\r\n" * 100_000  # > 1 MiB, read in chunks
    path.write_bytes(payload)
    assert sha256_file(path) == hashlib.sha256(payload).hexdigest()


def test_sha256_of_known_content(tmp_path):
    # sha256("abc") is the FIPS 180-2 test vector, written out here rather than computed.
    path = tmp_path / "abc.txt"
    path.write_bytes(b"abc")
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_files_hashed_ahead_come_back_in_order_with_their_own_hashes(tmp_path):
    paths = []
    for number in range(12):  # sizes differ, so a hash handed to the wrong file would show
        path = tmp_path / f"f{number:02d}.csv"
        path.write_bytes(b"x,y\n" + f"{number},{number * number}\n".encode() * (number * 50_000 + 1))
        paths.append(path)
    got = [(path, hashing.result()) for path, hashing in hashed_ahead(paths)]
    assert [path for path, _ in got] == paths
    assert [sha for _, sha in got] == [hashlib.sha256(path.read_bytes()).hexdigest() for path in paths]


def test_a_file_that_cannot_be_hashed_raises_when_its_turn_comes(tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(b"a\n1\n")
    missing = tmp_path / "gone.csv"
    hashes = hashed_ahead([good, missing, good])
    path, hashing = next(hashes)
    assert (path, hashing.result()) == (good, hashlib.sha256(b"a\n1\n").hexdigest())
    path, hashing = next(hashes)
    assert path == missing
    with pytest.raises(FileNotFoundError, match="gone.csv"):
        hashing.result()
    hashes.close()  # leaving early: the pool is shut down, nothing left running
    assert not [thread.name for thread in threading.enumerate() if thread.name.startswith("sha256")]


def test_pseudonymise_is_keyed_deterministic_and_keeps_nulls():
    values = pd.Series(["P1234567", "P1234567", " P1234567 ", "P7654321", None], dtype=object)
    tokens = pseudonymise(values, b"k1")
    expected = hmac.new(b"k1", b"P1234567", hashlib.sha256).hexdigest()
    assert tokens[0] == tokens[1] == tokens[2] == expected
    assert tokens[3] != tokens[0]
    assert tokens[4] is None
    assert pseudonymise(values, b"k2")[0] != expected
    assert all("P1234567" not in str(t) for t in tokens)
