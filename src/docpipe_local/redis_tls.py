"""TLS material for a local redis-server: a throwaway CA and a server certificate it signed.

Local stack and tests only: it needs ``cryptography`` (installed with moto, the ``local`` extra).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True)
class RedisTls:
    """TLS material of a local redis-server, as PEM files: its certificate and key, and the CA that
    signed them (what a client must trust, e.g. ``SSL_CERT_FILE=<ca>``)."""

    cert: Path
    key: Path
    ca: Path


def make_redis_tls(directory: Path, *, hosts: tuple[str, ...] = ("127.0.0.1", "localhost")) -> RedisTls:
    """A throwaway CA and a server certificate it signed for ``hosts``, written into ``directory``.

    ``make_redis_tls(directory: Path, *, hosts=("127.0.0.1", "localhost")) -> RedisTls``: writes
    ``ca.pem``, ``server.pem`` and ``server-key.pem`` (EC P-256, valid for two days; IP addresses in
    ``hosts`` become IP subject alternative names, anything else DNS names). Use it with
    ``start_redis(port, tls=tls)`` and point clients at ``rediss://127.0.0.1:PORT/0`` with
    ``SSL_CERT_FILE=tls.ca`` (127.0.0.1 rather than localhost: redis-py's cluster client turns
    ``localhost`` into 127.0.0.1 and checks the certificate against that). Each call makes a new CA,
    so a second call gives a certificate that clients trusting the first CA reject (and one made for
    other ``hosts`` fails the host name check).
    """
    directory.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"docpipe test CA {uuid.uuid4().hex[:8]}")])
    ca_cert = _ca_certificate(ca_key, ca_name, now)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = _server_certificate(server_key, hosts, ca_key, ca_name, now)
    tls = RedisTls(cert=directory / "server.pem", key=directory / "server-key.pem", ca=directory / "ca.pem")
    tls.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    tls.key.chmod(0o600)
    return tls


def _ca_certificate(key: ec.EllipticCurvePrivateKey, name: x509.Name, now: dt.datetime) -> x509.Certificate:
    signing_only = x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    return (
        _builder(name, name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(signing_only, critical=True)
        .sign(key, hashes.SHA256())
    )


def _server_certificate(
    key: ec.EllipticCurvePrivateKey,
    hosts: tuple[str, ...],
    ca_key: ec.EllipticCurvePrivateKey,
    ca_name: x509.Name,
    now: dt.datetime,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    return (
        _builder(subject, ca_name, key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([_general_name(host) for host in hosts]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey, now: dt.datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)
