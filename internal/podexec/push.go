package podexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/updraft-dev/updraft/internal/executor"
)

// Pusher sends a try's return value to updraft's API (set_xcom) when it is
// too large for the termination message. The executor gives the pod the
// API's address and a token naming the try; the try's key comes from its
// identity variables.
type Pusher struct {
	URL    string
	Token  string
	Key    executor.TryKey
	Client *http.Client
	// Backoff is the wait before the second attempt, doubled for each
	// next one; a second when zero.
	Backoff time.Duration
}

// pushAttempts bounds the attempts: an API server restarting, or a
// Service without ready endpoints yet, is waited for a while.
const pushAttempts = 5

// PusherFromEnv makes the pusher a pod's environment describes, or nil
// when it names no API.
func PusherFromEnv(env []string) (*Pusher, error) {
	get := func(name string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], name+"="); ok {
				return v
			}
		}
		return ""
	}
	base := get(executor.EnvAPIURL)
	if base == "" {
		return nil, nil
	}
	p := &Pusher{URL: strings.TrimRight(base, "/"), Token: get(executor.EnvTaskToken), Key: executor.TryKey{
		DagID: get(executor.EnvDagID), RunID: get(executor.EnvRunID), TaskID: get(executor.EnvTaskID)}}
	var err error
	if p.Key.MapIndex, err = strconv.Atoi(get(executor.EnvMapIndex)); err != nil {
		return nil, fmt.Errorf("%s: %w", executor.EnvMapIndex, err)
	}
	if p.Key.TryNumber, err = strconv.Atoi(get(executor.EnvTryNumber)); err != nil {
		return nil, fmt.Errorf("%s: %w", executor.EnvTryNumber, err)
	}
	if p.Token == "" || p.Key.DagID == "" || p.Key.RunID == "" || p.Key.TaskID == "" {
		return nil, fmt.Errorf("%s is set but %s or the try's identity variables are not", executor.EnvAPIURL, executor.EnvTaskToken)
	}
	if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: %q is not an http(s) URL", executor.EnvAPIURL, base)
	}
	return p, nil
}

// Push stores value as the try's return_value, trying again while the
// API cannot be reached or answers 5xx or 429; a refusal (401, 403, 409,
// 413, ...) is final.
func (p *Pusher) Push(ctx context.Context, value []byte) error {
	u := p.URL + "/execution/xcoms/" + url.PathEscape(p.Key.DagID) + "/" + url.PathEscape(p.Key.RunID) + "/" +
		url.PathEscape(p.Key.TaskID) + "/return_value?map_index=" + strconv.Itoa(p.Key.MapIndex)
	client := p.Client
	if client == nil {
		client = &http.Client{Timeout: time.Minute}
	}
	wait := p.Backoff
	if wait <= 0 {
		wait = time.Second
	}
	var last error
	for attempt := 1; attempt <= pushAttempts; attempt++ {
		final, err := p.post(ctx, client, u, value)
		if err == nil {
			return nil
		}
		last = err
		if final || attempt == pushAttempts {
			break
		}
		select {
		case <-ctx.Done():
			return errors.Join(last, ctx.Err())
		case <-time.After(wait):
		}
		wait *= 2
	}
	return last
}

// post sends one attempt; final tells that trying again cannot help.
func (p *Pusher) post(ctx context.Context, client *http.Client, u string, value []byte) (final bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(value))
	if err != nil {
		return true, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+p.Token)
	res, err := client.Do(req)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 2048))
	if res.StatusCode == http.StatusCreated {
		return true, nil
	}
	err = fmt.Errorf("POST %s: %s: %s", strings.SplitN(u, "?", 2)[0], res.Status, bytes.TrimSpace(body))
	retry := res.StatusCode >= 500 || res.StatusCode == http.StatusTooManyRequests
	return !retry, err
}
