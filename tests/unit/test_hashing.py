"""File hashing and keyed pseudonymisation of person keys."""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from warehouse.ingest import pseudonymise, sha256_file


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


def test_pseudonymise_is_keyed_deterministic_and_keeps_nulls():
    values = pd.Series(["P1234567", "P1234567", " P1234567 ", "P7654321", None], dtype=object)
    tokens = pseudonymise(values, b"k1")
    expected = hmac.new(b"k1", b"P1234567", hashlib.sha256).hexdigest()
    assert tokens[0] == tokens[1] == tokens[2] == expected
    assert tokens[3] != tokens[0]
    assert tokens[4] is None
    assert pseudonymise(values, b"k2")[0] != expected
    assert all("P1234567" not in str(t) for t in tokens)
