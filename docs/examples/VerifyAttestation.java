// Check a wenming title attestation offline, with Nimbus JOSE+JWT (a common JOSE library
// for Java). Dependencies: com.nimbusds:nimbus-jose-jwt (9.37 or later) and, for
// Ed25519, com.google.crypto.tink:tink.
//
//   java VerifyAttestation attestation.jws jwks.json
//
// attestation.jws: the `attestation` of a VerifyTitle answer asked with `attest`.
// jwks.json: the registry's key set as GetAttestationKeys answers it
// (GET /v1/attestationKeys), saved when the attestation was filed.

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.Ed25519Verifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.OctetKeyPair;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

public class VerifyAttestation {
    static final JOSEObjectType TYP = new JOSEObjectType("wenming-title-attestation+jwt");

    public static void main(String[] args) throws Exception {
        SignedJWT jwt = SignedJWT.parse(Files.readString(Path.of(args[0])).strip());
        JWKSet keys = JWKSet.load(new File(args[1]));
        if (!JWSAlgorithm.EdDSA.equals(jwt.getHeader().getAlgorithm())
                || !TYP.equals(jwt.getHeader().getType())) {
            throw new IllegalStateException("not a title attestation");
        }
        OctetKeyPair key = (OctetKeyPair) keys.getKeyByKeyId(jwt.getHeader().getKeyID());
        if (key == null || !jwt.verify(new Ed25519Verifier(key.toPublicJWK()))) {
            throw new IllegalStateException("the attestation does not check");
        }
        // An attestation states what held on a day: it has no expiry to check.
        JWTClaimsSet claims = jwt.getJWTClaimsSet();
        System.out.println(claims.getSubject() + " on " + claims.getStringClaim("as_of")
                + ": " + claims.getClaim("titles"));
    }
}
