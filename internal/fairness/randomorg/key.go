package randomorg

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
)

// pinnedKeyPEM is RANDOM.ORG's signing key (4096-bit RSA, e=65537) as a PEM
// SubjectPublicKeyInfo. Source: shared/vectors/randomorg/randomorg-signing-key.pem,
// which is the key in RANDOM.ORG's DigiCert EV TLS certificate (2017-2019,
// CN=RANDOM.ORG) and the modulus hard-coded in the aurand contract; every
// real signed result from 2014 to 2023 verifies with it (research fairness.md §2.3).
// SHA-256 of its DER is PinnedKeySPKISHA256.
//
//go:embed randomorg-signing-key.pem
var pinnedKeyPEM []byte

// PinnedKeySPKISHA256 is the lowercase hex SHA-256 of the pinned key's
// SubjectPublicKeyInfo DER, to compare with a key loaded from elsewhere.
const PinnedKeySPKISHA256 = "aaf4b5b58167ce015ed8badb7ad060813642eb695f25fa668339b0760d048ba3"

// ErrBadSignature means a signature does not verify over the exact random
// bytes under the given key. Such a result must never be accepted.
var ErrBadSignature = errors.New("randomorg: bad signature")

// PinnedKeyPEM returns a copy of the embedded RANDOM.ORG key in PEM form.
func PinnedKeyPEM() []byte { return append([]byte(nil), pinnedKeyPEM...) }

// PublicKey returns the pinned RANDOM.ORG signing key. It panics only if the
// embedded PEM is corrupt, which the package tests rule out.
func PublicKey() *rsa.PublicKey {
	pub, err := LoadPublicKey(pinnedKeyPEM)
	if err != nil {
		panic("randomorg: embedded key: " + err.Error())
	}
	return pub
}

// LoadPublicKey parses an RSA public key from PEM: a "PUBLIC KEY"
// (SubjectPublicKeyInfo), an "RSA PUBLIC KEY" (PKCS#1) or a "CERTIFICATE"
// (RANDOM.ORG's manual points at its server.crt). It is how
// RANDOM_ORG_PUBLIC_KEY overrides the pinned key.
func LoadPublicKey(pemBytes []byte) (*rsa.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("randomorg: load public key: no PEM block")
	}
	var key any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		key, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		key, err = x509.ParsePKCS1PublicKey(block.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		cert, err = x509.ParseCertificate(block.Bytes)
		if err == nil {
			key = cert.PublicKey
		}
	default:
		return nil, fmt.Errorf("randomorg: load public key: unsupported PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("randomorg: load public key: %w", err)
	}
	pub, ok := key.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("randomorg: load public key: %T is not an RSA key", key)
	}
	return pub, nil
}

// VerifySignature checks sigB64 (standard base64) as an RSASSA-PKCS1-v1_5
// SHA-512 signature over randomRaw, the exact bytes of result.random. The
// error wraps ErrBadSignature when the signature does not verify.
func VerifySignature(pub *rsa.PublicKey, randomRaw []byte, sigB64 string) error {
	if pub == nil {
		return errors.New("randomorg: verify signature: nil public key")
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64: %w", ErrBadSignature, err)
	}
	digest := sha512.Sum512(randomRaw)
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA512, digest[:], sig); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	return nil
}

// HashAPIKey returns base64(SHA-512(key)), the value RANDOM.ORG signs as
// random.hashedApiKey. Publishing it pins the operator's key without
// revealing it.
func HashAPIKey(key string) string {
	sum := sha512.Sum512([]byte(key))
	return base64.StdEncoding.EncodeToString(sum[:])
}
