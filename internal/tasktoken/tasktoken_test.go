package tasktoken

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/updraft-dev/updraft/internal/executor"
)

var (
	secret = []byte(strings.Repeat("k", 32))
	key    = executor.TryKey{DagID: "etl", RunID: "manual__2026-11-23T12:00:00+00:00", TaskID: "load", MapIndex: 3, TryNumber: 2}
	t0     = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	tok, err := Issuer{Secret: secret, TTL: time.Hour, Now: func() time.Time { return t0 }}.Issue(key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Verify(secret, tok, t0.Add(59*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if got != key {
		t.Errorf("got %+v, want %+v", got, key)
	}
	// A minute of leeway either side, for clocks that differ.
	if _, err := Verify(secret, tok, t0.Add(-50*time.Second)); err != nil {
		t.Errorf("checked on a clock 50 s behind: %v", err)
	}
	if _, err := Verify(secret, tok, t0.Add(60*time.Minute+50*time.Second)); err != nil {
		t.Errorf("50 s past its expiry: %v", err)
	}
	if _, err := Verify(secret, tok, t0.Add(62*time.Minute)); !errors.Is(err, ErrExpired) {
		t.Errorf("two minutes past its expiry: %v, want ErrExpired", err)
	}
}

func TestVerifyRefuses(t *testing.T) {
	good, err := Issuer{Secret: secret, Now: func() time.Time { return t0 }}.Issue(key)
	if err != nil {
		t.Fatal(err)
	}
	// A user's token, signed with the same key for the "updraft" audience.
	user, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.RegisteredClaims{
		Subject: "admin", Audience: jwt.ClaimStrings{"updraft"}, ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	// Right audience, no try in it.
	empty, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.RegisteredClaims{
		Audience: jwt.ClaimStrings{Audience}, ExpiresAt: jwt.NewNumericDate(t0.Add(time.Hour)),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1] + "x." + parts[2]
	for name, c := range map[string]struct {
		secret []byte
		token  string
		want   string
	}{
		"other key":    {[]byte(strings.Repeat("z", 32)), good, "signature is invalid"},
		"user token":   {secret, user, "token has invalid audience"},
		"names no try": {secret, empty, "names no try"},
		"tampered":     {secret, tampered, "invalid task token"},
		"not a token":  {secret, "abc", "token is malformed"},
		"valid":        {secret, good, ""},
	} {
		_, err := Verify(c.secret, c.token, t0.Add(time.Minute))
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
	if _, err := (Issuer{}).Issue(key); err == nil {
		t.Error("an issuer without a key signed a token")
	}
}
