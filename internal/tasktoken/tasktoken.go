// Package tasktoken signs and checks the tokens a running try uses to call
// updraft's API from where it runs (a pod), as Airflow 3's task execution
// API gives each task instance its own token. A task token names one try
// and nothing else: it is no user's, carries no role, and the API accepts
// it only on the operations made for tries, only for that try, and only
// while the store has the try queued or running.
package tasktoken

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/updraft-dev/updraft/internal/executor"
)

// Audience is the aud claim of task tokens. User tokens carry another, so
// neither is taken for the other.
const Audience = "updraft-task"

// DefaultTTL is how long a task token is valid. Tries may run for days;
// the API also checks that the try is still queued or running, so a token
// outliving its try opens nothing.
const DefaultTTL = 7 * 24 * time.Hour

// claims are the try's key beside the registered claims.
type claims struct {
	jwt.RegisteredClaims
	DagID     string `json:"dag_id"`
	RunID     string `json:"run_id"`
	TaskID    string `json:"task_id"`
	MapIndex  int    `json:"map_index"`
	TryNumber int    `json:"try_number"`
}

// Issuer signs task tokens with the key the API server checks them with.
type Issuer struct {
	Secret []byte
	TTL    time.Duration
	Now    func() time.Time
}

// Issue signs a token for one try.
func (i Issuer) Issue(key executor.TryKey) (string, error) {
	if len(i.Secret) == 0 {
		return "", errors.New("task token: no secret key")
	}
	now := time.Now
	if i.Now != nil {
		now = i.Now
	}
	ttl := i.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	t := now()
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   key.String(),
		Audience:  jwt.ClaimStrings{Audience},
		IssuedAt:  jwt.NewNumericDate(t),
		NotBefore: jwt.NewNumericDate(t),
		ExpiresAt: jwt.NewNumericDate(t.Add(ttl)),
	}, DagID: key.DagID, RunID: key.RunID, TaskID: key.TaskID, MapIndex: key.MapIndex, TryNumber: key.TryNumber}
	return jwt.NewWithClaims(jwt.SigningMethodHS512, c).SignedString(i.Secret)
}

// ErrExpired is returned for a token past its expiry.
var ErrExpired = errors.New("task token has expired")

// Verify checks a token's signature, audience and expiry and returns the
// try it names.
func Verify(secret []byte, token string, now time.Time) (executor.TryKey, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS512.Alg()}),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }),
		// The scheduler signs, the API server checks, perhaps on another
		// machine whose clock is a little behind.
		jwt.WithLeeway(time.Minute),
	)
	if errors.Is(err, jwt.ErrTokenExpired) {
		return executor.TryKey{}, ErrExpired
	}
	if err != nil {
		return executor.TryKey{}, fmt.Errorf("invalid task token: %w", err)
	}
	if c.DagID == "" || c.RunID == "" || c.TaskID == "" || c.TryNumber < 1 {
		return executor.TryKey{}, errors.New("invalid task token: it names no try")
	}
	return executor.TryKey{DagID: c.DagID, RunID: c.RunID, TaskID: c.TaskID, MapIndex: c.MapIndex, TryNumber: c.TryNumber}, nil
}
