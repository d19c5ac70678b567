// Package secret keeps secrets secret: Fernet encryption compatible with
// Airflow's [core] fernet_key, a masker that hides secret values in logs and
// API output, and a store wrapper that encrypts variables and connections at
// rest and registers what it reads with the masker.
package secret

import (
	"crypto/aes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fernet/fernet-go"
)

// ErrNoKeys is returned by ParseKeys for an empty fernet_key. Airflow then
// stores values in clear (its NullFernet); callers do the same by passing
// nil Keys to Wrap.
var ErrNoKeys = errors.New("no fernet key configured")

// ErrInvalidToken is returned by Decrypt and Rotate for a token that is not
// Fernet, was altered, or was encrypted with a key that is not among the
// Keys.
var ErrInvalidToken = errors.New("invalid fernet token: not a token, altered, or encrypted with another key")

// Fernet token layout: version (1), timestamp (8), IV (16), ciphertext (a
// positive multiple of 16 bytes), HMAC-SHA256 (32).
const (
	tokenVersion  = 0x80
	tokenOverhead = 1 + 8 + aes.BlockSize + sha256.Size
)

// Keys is a parsed fernet_key: one key, or several for rotation, as
// Airflow's MultiFernet. The first encrypts; any decrypts. A Keys is
// immutable and safe for concurrent use. It never prints its key material.
type Keys struct {
	keys []*fernet.Key
}

// ParseKeys parses Airflow's [core] fernet_key: one or more comma-separated
// URL-safe base64 keys of 32 bytes each (what GenerateKey and Python's
// Fernet.generate_key return). Spaces around each key are ignored. An empty
// s gives ErrNoKeys. Errors say which key is wrong and how, never what it
// holds.
func ParseKeys(s string) (*Keys, error) {
	if strings.TrimSpace(s) == "" {
		return nil, ErrNoKeys
	}
	parts := strings.Split(s, ",")
	ks := &Keys{keys: make([]*fernet.Key, 0, len(parts))}
	var errs []error
	for i, p := range parts {
		k, err := parseKey(strings.TrimSpace(p))
		if err != nil {
			errs = append(errs, fmt.Errorf("fernet key %d of %d: %w", i+1, len(parts), err))
			continue
		}
		ks.keys = append(ks.keys, k)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ks, nil
}

// parseKey decodes one key. It does not use fernet.DecodeKey, which also
// takes hexadecimal: a key Airflow refuses must not work here.
func parseKey(s string) (*fernet.Key, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	b, err := base64.URLEncoding.DecodeString(s)
	if err != nil {
		// Python's urlsafe_b64decode also takes the standard alphabet.
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil {
		// A CorruptInputError holds an offset, not the input.
		return nil, fmt.Errorf("not URL-safe base64 (%w)", err)
	}
	if len(b) != len(fernet.Key{}) {
		return nil, fmt.Errorf("decodes to %d bytes, want %d", len(b), len(fernet.Key{}))
	}
	k := new(fernet.Key)
	copy(k[:], b)
	return k, nil
}

// GenerateKey returns a new random key in the form fernet_key takes.
func GenerateKey() string {
	var k fernet.Key
	// crypto/rand.Read never fails; it crashes the program if the
	// system's generator does.
	_, _ = rand.Read(k[:])
	return k.Encode()
}

// Len returns how many keys there are.
func (k *Keys) Len() int { return len(k.keys) }

// String describes the keys without showing them.
func (k *Keys) String() string { return fmt.Sprintf("secret.Keys(%d)", len(k.keys)) }

// GoString is String, so %#v shows no key material either.
func (k *Keys) GoString() string { return k.String() }

// Encrypt encrypts and signs msg with the first key and returns the token,
// as Airflow's fernet.encrypt(...).decode() does.
func (k *Keys) Encrypt(msg []byte) (string, error) {
	return k.encryptAt(msg, time.Now())
}

func (k *Keys) encryptAt(msg []byte, at time.Time) (string, error) {
	if len(k.keys) == 0 {
		return "", ErrNoKeys
	}
	tok, err := fernet.EncryptAndSignAtTime(msg, k.keys[0], at)
	if err != nil {
		return "", fmt.Errorf("fernet encrypt: %w", err)
	}
	return string(tok), nil
}

// Decrypt verifies a token with each key in turn and returns the message.
// As in Airflow, tokens do not expire. A token that is malformed, altered
// or not encrypted with one of the keys gives ErrInvalidToken.
func (k *Keys) Decrypt(token string) ([]byte, error) {
	if _, err := checkToken(token); err != nil {
		return nil, err
	}
	// ttl 0: no expiry and no check of the timestamp.
	msg := fernet.VerifyAndDecrypt([]byte(token), 0, k.keys)
	if msg == nil {
		return nil, ErrInvalidToken
	}
	return msg, nil
}

// Rotate decrypts a token with any key and encrypts its message again with
// the first, keeping its timestamp, as Airflow's MultiFernet.rotate does
// for `airflow rotate-fernet-key`.
func (k *Keys) Rotate(token string) (string, error) {
	ts, err := checkToken(token)
	if err != nil {
		return "", err
	}
	msg, err := k.Decrypt(token)
	if err != nil {
		return "", err
	}
	return k.encryptAt(msg, ts)
}

// checkToken checks a token's encoding and shape and returns its
// timestamp. fernet-go decodes leniently and trusts the length of a token
// whose MAC verifies, so this runs first.
func checkToken(token string) (time.Time, error) {
	b, err := base64.URLEncoding.DecodeString(token)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w (not URL-safe base64)", ErrInvalidToken)
	}
	if len(b) < tokenOverhead+aes.BlockSize || (len(b)-tokenOverhead)%aes.BlockSize != 0 {
		return time.Time{}, fmt.Errorf("%w (wrong length)", ErrInvalidToken)
	}
	if b[0] != tokenVersion {
		return time.Time{}, fmt.Errorf("%w (unknown version)", ErrInvalidToken)
	}
	return time.Unix(int64(binary.BigEndian.Uint64(b[1:9])), 0), nil
}
