"""Check a wenming title attestation offline, with PyJWT (a common JOSE library).

    pip install 'pyjwt[crypto]'          # PyJWT >= 2.8 and cryptography (Ed25519)
    python3 verify_attestation.py attestation.jws jwks.json

attestation.jws: the `attestation` of a VerifyTitle answer asked with `attest`.
jwks.json: the registry's key set as GetAttestationKeys answers it
(GET /v1/attestationKeys), saved when the attestation was filed.
Prints what it attests; exits non-zero, naming why, if it does not check.
"""

import json
import sys

import jwt

TYP = "wenming-title-attestation+jwt"


def verify(token: str, jwks: dict) -> dict:
    header = jwt.get_unverified_header(token)
    if header.get("alg") != "EdDSA" or header.get("typ") != TYP:
        raise ValueError(f"not a title attestation: {header}")
    keys = {k.key_id: k for k in jwt.PyJWKSet.from_dict(jwks).keys}
    key = keys.get(header.get("kid"))
    if key is None:
        raise ValueError(f"signed with key {header.get('kid')}, not in the key set")
    # An attestation states what held on a day: it has no expiry to check.
    return jwt.decode(
        token,
        key=key,
        algorithms=["EdDSA"],
        options={"require": ["iss", "sub", "iat"], "verify_exp": False},
    )


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        token = f.read().strip()
    with open(sys.argv[2]) as f:
        jwks = json.load(f)
    claims = verify(token, jwks)
    print(json.dumps(claims, ensure_ascii=False, indent=2))
