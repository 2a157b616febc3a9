"""Encryption keys: any TICKETS_SECRET_KEY works, local mode keeps a 0600 key file, production insists."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr

from storage.crypto import SecretBox, default_key_file, fernet_from_secret, load_or_create_key
from storage.errors import MissingSecretKeyError, SecretDecryptionError, SecretKeyFileError

PLAINTEXT = SecretStr("cw-private-key-Zq81")


def _roundtrip(writer: Fernet, reader: Fernet) -> str:
    return SecretBox(reader).decrypt(SecretBox(writer).encrypt(PLAINTEXT)).get_secret_value()


def test_local_mode_without_a_key_creates_a_0600_key_file_and_warns_without_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key_file = tmp_path / "data" / "secret.key"
    with caplog.at_level(logging.DEBUG):
        fernet = load_or_create_key(None, key_file=key_file, app_env="local")

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert Fernet(key).decrypt(fernet.encrypt(b"x")) == b"x"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings and str(key_file) in warnings[0].getMessage()
    assert key not in caplog.text


def test_the_key_file_is_reused_on_the_next_start(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    first = load_or_create_key(None, key_file=key_file, app_env="development")
    second = load_or_create_key(None, key_file=key_file, app_env="test")
    assert _roundtrip(first, second) == PLAINTEXT.get_secret_value()


def test_a_key_file_readable_by_others_is_restricted_to_0600(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(Fernet.generate_key())
    key_file.chmod(0o644)
    load_or_create_key(None, key_file=key_file, app_env="local")
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_a_corrupt_key_file_is_reported_not_overwritten(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    key_file.write_text("not a key")
    with pytest.raises(SecretKeyFileError, match="TICKETS_SECRET_KEY"):
        load_or_create_key(None, key_file=key_file, app_env="local")
    assert key_file.read_text() == "not a key"


def test_production_without_a_key_refuses_to_start(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    with pytest.raises(MissingSecretKeyError, match="TICKETS_SECRET_KEY is required in production"):
        load_or_create_key(None, key_file=key_file, app_env="production")
    assert not key_file.exists()


def test_any_string_works_as_the_secret_and_derives_the_same_key_every_time(tmp_path: Path) -> None:
    key_file = tmp_path / "secret.key"
    a = load_or_create_key(SecretStr("correct horse battery staple"), key_file=key_file, app_env="production")
    b = load_or_create_key(SecretStr("correct horse battery staple"), key_file=key_file, app_env="production")
    other = fernet_from_secret("another passphrase")

    assert _roundtrip(a, b) == PLAINTEXT.get_secret_value()
    with pytest.raises(SecretDecryptionError):
        _roundtrip(a, other)
    assert not key_file.exists()  # with a secret, no key file is written


def test_a_real_fernet_key_is_used_as_is() -> None:
    key = Fernet.generate_key().decode()
    assert _roundtrip(fernet_from_secret(key), Fernet(key)) == PLAINTEXT.get_secret_value()


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        fernet_from_secret("   ")


def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    old, new = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    old_token = SecretBox(old).encrypt(PLAINTEXT)
    box = SecretBox(new, old)

    assert box.decrypt(old_token) == PLAINTEXT
    new_token = box.encrypt(PLAINTEXT)
    assert SecretBox(new).decrypt(new_token) == PLAINTEXT
    with pytest.raises(SecretDecryptionError):
        SecretBox(old).decrypt(new_token)


def test_secret_box_never_shows_its_keys() -> None:
    fernet_key = Fernet.generate_key().decode()
    box = SecretBox(Fernet(fernet_key))
    assert fernet_key not in repr(box) and fernet_key not in str(box)


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("sqlite+aiosqlite:///./data/tickets.db", Path("data/secret.key")),
        ("sqlite:////srv/app/state/tickets.db", Path("/srv/app/state/secret.key")),
        ("postgresql://u@h/app", Path("data/secret.key")),
        ("sqlite+aiosqlite://", Path("data/secret.key")),
    ],
)
def test_the_local_key_file_sits_beside_the_sqlite_database(database_url: str, expected: Path) -> None:
    assert default_key_file(database_url) == expected
