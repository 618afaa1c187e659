"""Password rules after NIST SP 800-63B and the shipped list of common passwords
(spec/security.md, "Passwords")."""

import pytest

from deploy.tools import common_passwords
from src.service.ticketing.adapters.passwords import CommonPasswords
from src.service.ticketing.adapters.security import Argon2PasswordHasher
from src.service.ticketing.domain.errors import InvalidRequest
from src.service.ticketing.domain.passwords import check_new_password

COMMON = CommonPasswords()


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("seven77", "at least 8 characters"),
        ("x" * 129, "at most 128 characters"),
        (" \t" * 6, "only whitespace"),
        ("password1", "too common"),
        ("Qwerty123", "too common"),
        ("Sunshine2024", "too common"),
        ("1q2w3e4r5t", "too common"),
        ("annabelle@example.io", "too easy to guess"),
        ("ANNABELLE@Example.io", "too easy to guess"),
        ("annabelle", "too easy to guess"),
    ],
)
def test_passwords_that_may_not_be_chosen(password, message):
    with pytest.raises(InvalidRequest, match=message):
        check_new_password(password, COMMON, "annabelle@example.io", "Annabelle")


@pytest.mark.parametrize("password", ["bright-orange-kite", "x" * 128, "pässwörd-mit-ümlaut",
                                      "correct horse"])
def test_long_enough_uncommon_passwords_may_be_chosen(password):
    check_new_password(password, COMMON, "ann@example.io", "Ann")


def test_the_shipped_list_is_the_generators_output_and_a_few_thousand_long():
    shipped = (common_passwords.TARGET.read_text().splitlines())
    assert shipped == common_passwords.lines()
    assert 3000 <= len(COMMON) <= 20_000
    assert all(8 <= len(p) <= 128 and p == p.lower() for p in shipped[2:])
    assert "PassWord123" in COMMON and "bright-orange-kite" not in COMMON


async def test_argon2_checks_an_unknown_account_against_a_real_hash():
    hasher = Argon2PasswordHasher(time_cost=1, memory_cost_kib=1024)
    assert hasher._absent.startswith("$argon2id$")
    assert await hasher.verify_absent("anything") is False
    assert await hasher.verify(await hasher.hash("bright-orange-kite"), "bright-orange-kite")
