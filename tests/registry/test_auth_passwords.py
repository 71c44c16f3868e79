"""argon2id password hashing, rehash when the parameters change, and token hashing (pure)."""

from __future__ import annotations

import hashlib

from argon2 import extract_parameters

from services.registry.auth.passwords import Argon2Params, Passwords, new_token, token_hash

CHEAP = Argon2Params(time_cost=1, memory_cost_kib=8, parallelism=1)
STRONGER = Argon2Params(time_cost=2, memory_cost_kib=16, parallelism=1)


def test_a_password_is_hashed_with_argon2id_and_verifies() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("临沧2022巡检")
    assert stored.startswith("$argon2id$")
    assert "临沧2022巡检" not in stored
    assert passwords.verify(stored, "临沧2022巡检").ok


def test_a_wrong_password_and_a_missing_user_both_fail() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("correct horse")
    assert not passwords.verify(stored, "wrong horse").ok
    assert not passwords.verify(None, "correct horse").ok
    assert not passwords.verify("not a hash", "correct horse").ok


def test_a_missing_user_costs_the_same_argon2_work_as_a_real_one() -> None:
    passwords = Passwords(STRONGER)
    assert extract_parameters(passwords._dummy) == extract_parameters(passwords.hash("x"))


def test_a_hash_with_older_parameters_is_replaced_on_a_successful_check() -> None:
    old = Passwords(CHEAP).hash("s3cret-password")
    check = Passwords(STRONGER).verify(old, "s3cret-password")
    assert check.ok and check.new_hash is not None
    assert extract_parameters(check.new_hash).time_cost == 2
    assert Passwords(STRONGER).verify(check.new_hash, "s3cret-password").new_hash is None


def test_a_current_hash_is_not_rehashed_and_a_failed_check_offers_no_hash() -> None:
    passwords = Passwords(CHEAP)
    stored = passwords.hash("s3cret-password")
    assert passwords.verify(stored, "s3cret-password").new_hash is None
    assert Passwords(STRONGER).verify(stored, "wrong").new_hash is None


def test_tokens_are_long_random_and_stored_as_their_sha256() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) >= 43
    assert token_hash(first) == hashlib.sha256(first.encode()).hexdigest()
    assert first not in token_hash(first)
