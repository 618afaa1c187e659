#!/usr/bin/env python3
"""Writes `src/service/ticketing/adapters/common_passwords.txt`: passwords too easy to guess.

The list is built here, from patterns that password-cracking folklore knows: common words and
names with the digits, years and punctuation people append to meet length rules, leetspeak,
keyboard walks, digit runs and repeated characters. Only entries of 8 to 128 characters are
kept, the lengths a new password may have anyway (spec/security.md, "Passwords"). Stdlib only;
`test/unit/test_passwords.py` checks that the shipped file is this script's output.

    python3 deploy/tools/common_passwords.py
"""

from __future__ import annotations

from pathlib import Path

TARGET = (Path(__file__).resolve().parents[2]
          / "src/service/ticketing/adapters/common_passwords.txt")

WORDS = [
    "password", "passwd", "passw0rd", "p@ssword", "p@ssw0rd", "pa55word", "pa$$word", "qwerty",
    "letmein", "welcome", "admin", "administrator", "root", "login", "iloveyou", "monkey",
    "dragon", "football", "baseball", "basketball", "soccer", "hockey", "sunshine", "princess",
    "shadow", "master", "superman", "batman", "spiderman", "trustno1", "starwars", "whatever",
    "freedom", "charlie", "michael", "jennifer", "jordan", "hunter", "ranger", "buster", "thomas",
    "tigger", "robert", "daniel", "andrew", "joshua", "matthew", "jessica", "ashley", "nicole",
    "summer", "winter", "spring", "autumn", "secret", "computer", "internet", "pokemon",
    "minecraft", "cheese", "chocolate", "cookie", "banana", "orange", "purple", "yellow", "flower",
    "lovely", "love", "lover", "angel", "killer", "hello", "abc", "abcd", "test", "tester",
    "testing", "guest", "user", "default", "changeme", "temp", "temporary", "access", "mustang",
    "ferrari", "porsche", "corvette", "harley", "matrix", "ninja", "pepper", "ginger", "maggie",
    "bailey", "daisy", "buddy", "lucky", "diamond", "silver", "golden", "money", "blessed",
    "jesus", "heaven", "family", "friends", "forever", "baby", "babygirl", "sweet", "sweetie",
    "honey", "cutie", "qazwsx", "zxcvbn", "asdfgh", "samsung", "google", "apple", "facebook",
    "microsoft", "linkedin", "twitter", "ticket", "tickets", "concert", "booking", "seat", "seats",
    "event", "flash", "sale", "passport", "london", "paris", "berlin", "newyork", "chicago",
    "brazil", "america", "canada", "mexico", "india", "china", "japan", "dallas", "boston",
    "chelsea", "arsenal", "liverpool", "barcelona", "madrid", "juventus", "yankees", "lakers",
    "cowboys", "eagles", "steelers", "packers", "security", "letmein", "welcome", "hello", "world",
    "helloworld", "iloveu", "loveme", "fuckyou", "asshole", "superstar", "rockstar", "player",
    "gamer", "hacker", "coffee", "pizza", "dolphin", "tiger", "lion", "eagle", "falcon", "phoenix",
]

SUFFIXES = ["", "1", "12", "123", "1234", "12345", "123456", "!", "!!", "1!", "123!", "01",
            "007", "69", "99", "00", "11", "13", "21", "22", "23", "#1", "@123", "2k"]
YEARS = [str(year) for year in range(1990, 2031)]
TOP = 40  # the first TOP words also get every year appended

WALKS = """
qwertyui qwertyuiop asdfghjk asdfghjkl zxcvbnm, 1qaz2wsx 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y
qwer1234 zaq12wsx !qaz2wsx q1w2e3r4 q1w2e3r4t5 1qazxsw2 qazwsxedc 123qweasd asdf1234 zxcv1234
1234qwer qwerty123 qwertyuiop123 qwerasdf asdfqwer zaq1xsw2 qweasdzxc 1qaz!qaz poiuytrewq
lkjhgfdsa mnbvcxz0 abcdefgh abcdefghi abcdefghij abcd1234 abc12345 abcabcabc aaaa1111
a1b2c3d4 a1b2c3d4e5 1a2b3c4d passwordpassword
""".replace(",", "").split()

DIGIT_RUNS = ["12345678", "123456789", "1234567890", "0123456789", "87654321", "987654321",
              "9876543210", "12341234", "12121212", "11223344", "12344321", "13579135",
              "24682468", "11112222", "12312312", "01234567", "98765432", "147258369",
              "159753456", "741852963", "123123123", "1234512345", "5201314520"]


def _leet(word: str) -> set[str]:
    return {word.replace("o", "0"), word.replace("a", "@"), word.replace("e", "3"),
            word.replace("s", "$")} - {word}


def candidates() -> set[str]:
    """Every pattern's expansions, before the length filter."""
    found: set[str] = set(WALKS) | set(DIGIT_RUNS)
    for rank, word in enumerate(WORDS):
        found.update(word + suffix for suffix in SUFFIXES)
        found.update(suffix + word for suffix in SUFFIXES[1:7])
        found.update({word * 2, word.capitalize() + "1!"})
        if rank < TOP:
            found.update(word + year for year in YEARS)
        for variant in _leet(word):
            found.update(variant + suffix for suffix in SUFFIXES[:7])
    for char in "0123456789abcdefghijklmnopqrstuvwxyz!":
        found.update(char * n for n in range(8, 13))
    return {p.lower() for p in found}


def lines() -> list[str]:
    """The file's lines: a comment header, then the sorted entries of 8 to 128 characters."""
    entries = sorted(p for p in candidates() if 8 <= len(p) <= 128)
    return ["# Passwords too easy to guess, one per line, lower case; compared case-insensitively.",
            "# Generated by deploy/tools/common_passwords.py from common-password patterns.",
            *entries]


def main() -> None:
    """Write the file and say how many entries it has."""
    content = lines()
    TARGET.write_text("\n".join(content) + "\n")
    print(f"{TARGET}: {len(content) - 2} passwords")


if __name__ == "__main__":
    main()
