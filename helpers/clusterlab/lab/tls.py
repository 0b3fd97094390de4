"""A throw-away certificate authority for TLS distribution, made when a lab starts.

A lab whose compose file mentions ``${CLUSTERLAB_TLS}`` gets, in its run directory
(``/tmp/clusterlab/<project>/tls``, removed with the lab, never in the repository):

- ``ca.pem``: the lab CA (EC P-256, valid one day);
- ``<service>/cert.pem`` and ``<service>/key.pem`` for every service, signed by the lab
  CA, with the service name and its ``hostname:`` as DNS names;
- ``outsider/``: a certificate the lab CA signed for a container outside the project;
- ``rogue/``: a second, unrelated CA (``rogue/ca.pem``) and a certificate it signed,
  with the same names as a real node: what an attacker can make without the lab's CA key.

Keys are mode 0644 so the container's non-root user can read the bind-mounted file; the
folder itself is 0700 on the host.
"""

from __future__ import annotations

import datetime
import json
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_VAR = "CLUSTERLAB_TLS"
OUTSIDER = "outsider"
ROGUE = "rogue"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "ClusterLab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _sign(subject: str, key: Any, issuer: tuple[str, Any], *, ca: bool,
          names: Iterable[str] = ()) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder()
               .subject_name(_name(subject)).issuer_name(_name(issuer[0]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        dns = [x509.DNSName(n) for n in dict.fromkeys(names) if n]
        if dns:
            builder = builder.add_extension(x509.SubjectAlternativeName(dns), critical=False)
    return builder.sign(issuer[1], hashes.SHA256())


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o644)  # the container's user (uid 10001) reads the bind mount


def _issue(folder: Path, subject: str, issuer: tuple[str, Any], names: Iterable[str]) -> None:
    folder.mkdir(mode=0o755, exist_ok=True)
    key = _key()
    _write(folder / "cert.pem", _pem(_sign(subject, key, issuer, ca=False, names=names)))
    _write(folder / "key.pem", _key_pem(key))


def make_authority(root: Path, services: Mapping[str, Iterable[str]]) -> Path:
    """Write a lab CA, one certificate per service (``service → DNS names``), an
    outsider's certificate from the same CA and a rogue CA with its own certificate."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    ca_key = _key()
    ca = ("ClusterLab lab CA", ca_key)
    _write(root / "ca.pem", _pem(_sign(ca[0], ca_key, ca, ca=True)))
    for service, names in services.items():
        _issue(root / service, service, ca, [service, *names])
    _issue(root / OUTSIDER, OUTSIDER, ca, [OUTSIDER])
    rogue_key = _key()
    rogue = ("Another CA", rogue_key)
    (root / ROGUE).mkdir(mode=0o755, exist_ok=True)
    _write(root / ROGUE / "ca.pem", _pem(_sign(rogue[0], rogue_key, rogue, ca=True)))
    first = next(iter(services.items()), (OUTSIDER, []))
    _issue(root / ROGUE, first[0], rogue, [first[0], *first[1]])
    return root


def issuer_of(cert_pem: Path) -> str:
    """The issuer's common name of a PEM certificate."""
    cert = x509.load_pem_x509_certificate(cert_pem.read_bytes())
    return cert.issuer.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


def mentions(model: Mapping[str, Any], var: str) -> bool:
    """True when the (uninterpolated) compose model refers to ``${var}``."""
    text = json.dumps(model)
    return f"${{{var}" in text or f"${var}" in text


_MANGLED = re.compile(r"^/.*?/(\$\{" + TLS_VAR + r"\b.*)$")


def unmangle(model: dict[str, Any]) -> dict[str, Any]:
    """Undo Compose's path resolution of ``${CLUSTERLAB_TLS}/…`` bind sources.

    Read without interpolation (as a lab reads its file, so the cookie never lands on
    disk), Compose takes ``${CLUSTERLAB_TLS}/ca.pem`` for a relative path and prefixes
    the file's folder; the lab puts the variable back, for ``up`` to interpolate.
    """
    for service in (model.get("services") or {}).values():
        for volume in (service or {}).get("volumes") or []:
            source = volume.get("source") if isinstance(volume, dict) else None
            if isinstance(source, str) and (match := _MANGLED.match(source)):
                volume["source"] = match.group(1)
    return model


def prepare(run_dir: Path, model: dict[str, Any]) -> dict[str, str]:
    """Make what the compose file asks for (the model is fixed in place); returns the
    variables to pass to Compose."""
    if not mentions(model, TLS_VAR):
        return {}
    unmangle(model)
    services = {name: [s.get("hostname") or name] for name, s in
                (model.get("services") or {}).items() if s is not None}
    return {TLS_VAR: str(make_authority(run_dir / "tls", services))}


NODE_CERTS = "/etc/clusterlab/tls"
"""Where a TLS lab mounts the CA (``ca.pem``) and the node's own pair (``node/``)."""


def no_certificate_trial(fail_if_no_peer_cert: bool | None) -> str:
    """An Erlang expression: a TLS server with the node's certificate, the lab CA and
    ``{verify, verify_peer}`` (plus ``fail_if_no_peer_cert`` unless None: OTP's default),
    on a loopback port, and a client that presents no certificate. Prints ``verdict:
    accepted`` or ``verdict: refused <reason>``: the server's verdict, read after its
    handshake ends (under TLS 1.3 the client's side completes before the server judges
    the client).

    The same ``ssl`` options as an ``ssl_dist_optfile``'s ``server`` list, without the
    distribution around them, so the trial takes well under a second."""
    extra = "" if fail_if_no_peer_cert is None \
        else f", {{fail_if_no_peer_cert, {str(fail_if_no_peer_cert).lower()}}}"
    return (
        "ssl:start(), "
        f'Opts = [{{certfile, "{NODE_CERTS}/node/cert.pem"}}, '
        f'{{keyfile, "{NODE_CERTS}/node/key.pem"}}, {{cacertfile, "{NODE_CERTS}/ca.pem"}}, '
        f"{{verify, verify_peer}}{extra}, {{active, false}}], "
        "{ok, L} = ssl:listen(0, Opts), {ok, {_, Port}} = ssl:sockname(L), Me = self(), "
        "spawn(fun() -> {ok, S} = ssl:transport_accept(L), "
        "Me ! {server, ssl:handshake(S, 5000)} end), "
        '_ = ssl:connect("localhost", Port, [{verify, verify_none}, {active, false}], 5000), '
        'receive {server, {ok, _}} -> io:format("~nverdict: accepted~n"); '
        '{server, {error, Why}} -> io:format("~nverdict: refused ~0p~n", [Why]) '
        'after 6000 -> io:format("~nverdict: none~n") end, halt().')


def parse_trial(output: str) -> tuple[bool, str]:
    """(accepted, what the server said) from ``no_certificate_trial``'s output: its
    ``verdict:`` line, wherever ``ssl``'s own notice reports (OTP 25 prints the alert
    after it) put it."""
    verdict = next((line.removeprefix("verdict: ") for line in output.splitlines()
                    if line.startswith("verdict: ")), "")
    if verdict == "accepted":
        return True, verdict
    if verdict.startswith("refused"):
        return False, verdict
    raise ValueError(f"the TLS trial gave no verdict: {output.strip()[-300:]!r}")
