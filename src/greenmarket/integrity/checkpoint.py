"""Signed checkpoints of the transparency log: tree size, root hash and time, signed with Ed25519.

The signed bytes are the checkpoint's *note body*, in the shape of the C2SP ``tlog-checkpoint``
format, one field a line, each ending in ``\\n``::

    greenmarket/journal          <- origin: names the log
    1204                         <- tree size: entries 1 … 1204 of the journal
    q3Lr…=                       <- root hash, standard base64 of the 32 bytes
    2026-11-21T12:00:00.000000Z  <- time the log signed it (UTC, microseconds)

The whole *signed note* adds an empty line and one signature line
``— <origin> <base64(key_id ‖ signature)>``, where ``key_id`` is the first four bytes of
``SHA-256(origin ‖ 0x0A ‖ 0x01 ‖ raw public key)`` (the signed-note key hash for Ed25519). There is
one spelling of every checkpoint, so its body can be rebuilt from its JSON fields and checked.

The signing key is the PEM (PKCS #8) Ed25519 private key named by ``GREENMARKET_LOG_SIGNING_KEY``;
when that is unset, ``var/log-signing-key.pem`` under the project root is used and generated on
first use (mode 0600). Verifiers need only the public key (``greenmarket log public-key``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from greenmarket import config
from greenmarket.errors import ValidationError
from greenmarket.integrity.merkle import HASH_SIZE

SIGNING_KEY_ENV = "GREENMARKET_LOG_SIGNING_KEY"
ORIGIN_ENV = "GREENMARKET_LOG_ORIGIN"
DEFAULT_ORIGIN = "greenmarket/journal"
ED25519_SIGNATURE_TYPE = b"\x01"


def log_origin() -> str:
    """The log's name (``GREENMARKET_LOG_ORIGIN``, default ``greenmarket/journal``)."""
    return os.environ.get(ORIGIN_ENV) or DEFAULT_ORIGIN


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """What the log commits to: the first ``tree_size`` journal entries hash to ``root_hash``."""

    origin: str
    tree_size: int
    root_hash: bytes
    time: str

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin or self.origin != self.origin.strip():
            raise ValidationError("origin must be one non-empty line", field="origin")
        if self.tree_size < 0:
            raise ValidationError("tree size must not be negative", field="tree_size")
        if len(self.root_hash) != HASH_SIZE:
            raise ValidationError("root hash must have 32 bytes", field="root_hash")
        if not self.time or "\n" in self.time:
            raise ValidationError("time must be one non-empty line", field="time")

    def body(self) -> bytes:
        """The signed bytes: the note body (see the module docstring)."""
        root = base64.b64encode(self.root_hash).decode("ascii")
        return f"{self.origin}\n{self.tree_size}\n{root}\n{self.time}\n".encode()


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint with the log's Ed25519 signature over its body."""

    checkpoint: Checkpoint
    key_id: bytes
    signature: bytes

    def note(self) -> str:
        """The signed note: body, an empty line, the signature line."""
        stamp = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{self.checkpoint.body().decode()}\n\u2014 {self.checkpoint.origin} {stamp}\n"

    def to_dict(self) -> dict[str, Any]:
        cp = self.checkpoint
        return {
            "origin": cp.origin,
            "tree_size": cp.tree_size,
            "root_hash": cp.root_hash.hex(),
            "time": cp.time,
            "key_id": self.key_id.hex(),
            "signature": base64.b64encode(self.signature).decode("ascii"),
            "note": self.note(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignedCheckpoint:
        """Read the JSON form; a ``note`` that differs from the fields is refused."""
        try:
            signed = cls(
                Checkpoint(
                    origin=str(data["origin"]),
                    tree_size=_integer(data["tree_size"], "tree_size"),
                    root_hash=bytes.fromhex(str(data["root_hash"])),
                    time=str(data["time"]),
                ),
                key_id=bytes.fromhex(str(data["key_id"])),
                signature=base64.b64decode(str(data["signature"]), validate=True),
            )
        except KeyError as missing:
            raise ValidationError(
                f"checkpoint lacks {missing.args[0]!r}", field=missing.args[0]
            ) from None
        except (ValueError, binascii.Error) as error:
            raise ValidationError(f"checkpoint field is malformed: {error}") from error
        if "note" in data and data["note"] != signed.note():
            raise ValidationError("checkpoint note differs from its fields", field="note")
        return signed


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{name} must be an integer", field=name)
    return value


def raw_public_key(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(origin: str, public_key: Ed25519PublicKey) -> bytes:
    """The signed-note key hash: 4 bytes naming (origin, key)."""
    material = origin.encode() + b"\n" + ED25519_SIGNATURE_TYPE + raw_public_key(public_key)
    return hashlib.sha256(material).digest()[:4]


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey) -> SignedCheckpoint:
    return SignedCheckpoint(
        checkpoint,
        key_id=key_id(checkpoint.origin, private_key.public_key()),
        signature=private_key.sign(checkpoint.body()),
    )


def verify_signature(signed: SignedCheckpoint, public_key: Ed25519PublicKey) -> None:
    """Raise :class:`ValidationError` unless ``public_key`` signed this checkpoint."""
    if signed.key_id != key_id(signed.checkpoint.origin, public_key):
        raise ValidationError(
            "checkpoint was signed by another key or for another origin",
            code="log_wrong_key",
            field="key_id",
        )
    try:
        public_key.verify(signed.signature, signed.checkpoint.body())
    except InvalidSignature:
        raise ValidationError(
            "checkpoint signature does not verify", code="log_bad_signature", field="signature"
        ) from None


def default_key_path() -> Path:
    return config.PROJECT_ROOT / "var" / "log-signing-key.pem"


def load_signing_key() -> Ed25519PrivateKey:
    """Load the log's key from ``GREENMARKET_LOG_SIGNING_KEY``, or from/into ``var/``."""
    named = os.environ.get(SIGNING_KEY_ENV)
    path = Path(named) if named else default_key_path()
    if not path.exists():
        if named:
            raise ValidationError(
                f"{SIGNING_KEY_ENV} names {path}, which does not exist", field=SIGNING_KEY_ENV
            )
        _generate_key_file(path)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValidationError(f"{path} is not an Ed25519 private key", field=SIGNING_KEY_ENV)
    return key


def _generate_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)


def public_key_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def parse_public_key(pem: bytes, *, source: str) -> Ed25519PublicKey:
    """Read a PEM Ed25519 public key; refuse anything else, naming ``source``."""
    try:
        key = serialization.load_pem_public_key(pem)
    except ValueError as error:
        raise ValidationError(
            f"{source}: not a PEM public key ({error})", field="public_key"
        ) from None
    if not isinstance(key, Ed25519PublicKey):
        raise ValidationError(f"{source}: not an Ed25519 public key", field="public_key")
    return key
