"""Encryption at rest for PSA private keys: Fernet keyed by TICKETS_SECRET_KEY (or a local key file)."""

from __future__ import annotations

import base64
import binascii
import logging
import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from pydantic import SecretStr

from storage.db import is_memory_sqlite, normalize_database_url
from storage.errors import MissingSecretKeyError, SecretDecryptionError, SecretKeyFileError

logger = logging.getLogger(__name__)

# A fixed, app-specific salt: the derived key must be reproducible from the secret alone on every
# instance, and scrypt's cost still makes guessing a weak passphrase expensive.
_KDF_SALT = b"psa-tickets-slack/TICKETS_SECRET_KEY/v1"
PRODUCTION = "production"
KEY_FILE_NAME = "secret.key"


def fernet_from_secret(secret: str) -> Fernet:
    """A Fernet for any string: used as-is when it is already a Fernet key, otherwise derived with scrypt."""
    value = secret.strip()
    if not value:
        raise ValueError("TICKETS_SECRET_KEY is empty")
    if _is_fernet_key(value):
        return Fernet(value)
    derived = Scrypt(salt=_KDF_SALT, length=32, n=2**15, r=8, p=1).derive(value.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _is_fernet_key(value: str) -> bool:
    try:
        return len(base64.urlsafe_b64decode(value.encode())) == 32
    except (binascii.Error, ValueError):
        return False


def default_key_file(database_url: str) -> Path:
    """Where the local key lives: beside a SQLite database file, else ./data/secret.key."""
    url = normalize_database_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not is_memory_sqlite(url):
        return Path(url.database).expanduser().parent / KEY_FILE_NAME
    return Path("data") / KEY_FILE_NAME


def load_or_create_keys(secrets: list[SecretStr], *, key_file: Path, app_env: str) -> list[Fernet]:
    """The Fernets of TICKETS_SECRET_KEY's keys (newest first); without any, outside production, the
    key kept in `key_file`."""
    if secrets:
        return [fernet_from_secret(secret.get_secret_value()) for secret in secrets]
    return [load_or_create_key(None, key_file=key_file, app_env=app_env)]


def load_or_create_key(secret: SecretStr | None, *, key_file: Path, app_env: str) -> Fernet:
    """The Fernet for TICKETS_SECRET_KEY; without one, outside production, a key kept in `key_file`."""
    if secret is not None:
        return fernet_from_secret(secret.get_secret_value())
    if app_env == PRODUCTION:
        raise MissingSecretKeyError(
            "TICKETS_SECRET_KEY is required in production: PSA credentials are stored encrypted with it. "
            "Generate one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'` and keep it in your secret manager."
        )
    try:
        return Fernet(_create_key_file(key_file))
    except FileExistsError:
        return Fernet(_read_key_file(key_file))


def _create_key_file(key_file: Path) -> bytes:
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    # O_EXCL: two processes starting together must not each write a different key.
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key + b"\n")
    logger.warning(
        "TICKETS_SECRET_KEY is not set: generated a new encryption key in %s (mode 0600). Stored PSA "
        "credentials can only be decrypted with this file; set TICKETS_SECRET_KEY for real deployments.",
        key_file,
    )
    return key


def _read_key_file(key_file: Path) -> bytes:
    mode = stat.S_IMODE(key_file.stat().st_mode)
    if mode & 0o077:
        logger.warning("Key file %s had mode %o; restricting it to 0600.", key_file, mode)
        key_file.chmod(0o600)
    key = key_file.read_bytes().strip()
    if not _is_fernet_key(key.decode(errors="replace")):
        raise SecretKeyFileError(
            f"{key_file} does not hold a Fernet key; move it away or set TICKETS_SECRET_KEY."
        )
    logger.info("Using the local encryption key in %s (TICKETS_SECRET_KEY is not set).", key_file)
    return key


class SecretBox:
    """Encrypts small secrets with the primary key; tokens from `previous` keys still decrypt (rotation)."""

    def __init__(self, primary: Fernet | MultiFernet, *previous: Fernet) -> None:
        if previous and not isinstance(primary, Fernet):
            raise TypeError("pass previous keys either inside the MultiFernet or as Fernets, not both")
        self._keys: Fernet | MultiFernet = primary
        if previous and isinstance(primary, Fernet):
            self._keys = MultiFernet([primary, *previous])

    def encrypt(self, secret: SecretStr) -> str:
        """A Fernet token (ASCII) for `secret`."""
        return self._keys.encrypt(secret.get_secret_value().encode()).decode("ascii")

    def rotate(self, token: str) -> str:
        """`token` re-encrypted with the primary key (SecretDecryptionError if no key opens it)."""
        return self.encrypt(self.decrypt(token))

    def decrypt(self, token: str) -> SecretStr:
        """The secret inside `token`; raises SecretDecryptionError if no configured key opens it."""
        try:
            return SecretStr(self._keys.decrypt(token.encode("ascii")).decode())
        except (InvalidToken, ValueError) as exc:
            raise SecretDecryptionError(
                "A stored PSA credential cannot be decrypted with the current TICKETS_SECRET_KEY. "
                "Restore the previous key or reconnect the workspace with /tickets connect."
            ) from exc

    def __repr__(self) -> str:
        return "SecretBox(<keys hidden>)"
