package secret

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// DefaultMinLength is the length, in characters, under which Add ignores a
// secret, as Airflow's [logging] min_length_masked_secret (5) does: hiding
// every "abc" in a log would make it unreadable and protect little.
const DefaultMinLength = 5

// Replacement is what a secret is replaced with.
const Replacement = "***"

// defaultSensitiveNames are Airflow's DEFAULT_SENSITIVE_FIELDS: a variable
// whose key, or a connection extra field whose name, contains one of them
// (ignoring case) holds a secret. "proxies" came with Airflow 2.9.
var defaultSensitiveNames = []string{
	"access_token",
	"api_key",
	"apikey",
	"authorization",
	"keyfile_dict",
	"passphrase",
	"passwd",
	"password",
	"private_key",
	"proxies",
	"secret",
	"service_account",
	"token",
}

// skipMasking are values Airflow never masks (SECRETS_TO_SKIP_MASKING),
// compared without regard to case: a password "airflow" would otherwise
// hide every mention of the product.
var skipMasking = []string{"airflow"}

// MaskerConfig configures a Masker. The zero value is Airflow's defaults.
type MaskerConfig struct {
	// MinLength is the length in characters under which a secret is not
	// masked; 0 means DefaultMinLength. Airflow's [logging]
	// min_length_masked_secret.
	MinLength int
	// SensitiveNames are key names to treat as sensitive besides Airflow's
	// defaults, as Airflow's [core] sensitive_var_conn_names.
	SensitiveNames []string
}

// Masker hides secret values: in strings (Mask), in decoded JSON (Redact)
// and in streams such as a log file being served (Reader). It is safe for
// concurrent use; Add may run while other goroutines mask. A zero Masker
// uses the defaults. A Masker must not be copied after first use.
type Masker struct {
	minLength int
	names     []string

	mu      sync.Mutex
	secrets map[string]struct{} // guarded by mu
	cur     atomic.Pointer[matcher]
}

// NewMasker returns a Masker with no secrets.
func NewMasker(c MaskerConfig) *Masker {
	m := &Masker{minLength: c.MinLength}
	for _, n := range c.SensitiveNames {
		if n = strings.ToLower(strings.TrimSpace(n)); n != "" {
			m.names = append(m.names, n)
		}
	}
	return m
}

// ShouldMaskKey reports whether a variable key or a connection extra field
// name is sensitive: whether, trimmed and lowercased, it contains one of
// the sensitive names, as Airflow's should_hide_value_for_key.
func (m *Masker) ShouldMaskKey(name string) bool {
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return false
	}
	for _, s := range defaultSensitiveNames {
		if strings.Contains(name, s) {
			return true
		}
	}
	for _, s := range m.names {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// Add registers secrets to mask, each with its URL-quoted forms (Python's
// quote with and without "/" safe, as Airflow masks a connection password
// and writes it in URIs). Secrets shorter than the minimum length, and
// "airflow", are ignored.
func (m *Masker) Add(secrets ...string) {
	minLength := m.minLength
	if minLength <= 0 {
		minLength = DefaultMinLength
	}
	var forms []string
	for _, s := range secrets {
		if utf8.RuneCountInString(s) < minLength || slices.Contains(skipMasking, strings.ToLower(s)) {
			continue
		}
		forms = append(forms, s, pyQuote(s, "/"), pyQuote(s, ""))
	}
	if len(forms) == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.secrets == nil {
		m.secrets = make(map[string]struct{})
	}
	added := false
	for _, f := range forms {
		if _, ok := m.secrets[f]; !ok {
			m.secrets[f] = struct{}{}
			added = true
		}
	}
	if added {
		m.cur.Store(newMatcher(m.secrets))
	}
}

// AddValue registers the secrets in a value named name, as Airflow's
// mask_secret(value, name): a string when name is empty or sensitive; in
// a decoded JSON object, each value under its own key, so the values of
// sensitive keys (the object's name does not matter); in an array, each
// element under the array's name. Other values (numbers, booleans) are
// ignored.
func (m *Masker) AddValue(name string, v any) {
	var found []string
	m.collect(name, v, &found)
	m.Add(found...)
}

func (m *Masker) collect(name string, v any, found *[]string) {
	switch v := v.(type) {
	case string:
		if name == "" || m.ShouldMaskKey(name) {
			*found = append(*found, v)
		}
	case map[string]any:
		for k, e := range v {
			m.collect(k, e, found)
		}
	case map[string]string:
		for k, e := range v {
			m.collect(k, e, found)
		}
	case []any:
		for _, e := range v {
			m.collect(name, e, found)
		}
	case []string:
		for _, e := range v {
			m.collect(name, e, found)
		}
	}
}

// Mask returns s with every registered secret replaced by Replacement.
// Where secrets overlap, the leftmost wins, then the longest.
func (m *Masker) Mask(s string) string {
	mt := m.cur.Load()
	if mt == nil {
		return s
	}
	for {
		out, _, found := scan(mt, s, true, nil)
		if !found {
			return s
		}
		// A secret holding '*' may appear again where a replacement meets
		// the text around it: mask until none is left. Each pass that
		// replaces secrets longer than Replacement shortens the text, so
		// this ends; a pass that does not shorten it stops it.
		if !mt.star || len(out) >= len(s) {
			return string(out)
		}
		s = string(out)
	}
}

// Redact returns a copy of a decoded JSON value (string, map[string]any,
// []any, and map[string]string or []string) with secrets hidden, as
// Airflow's redact: every string under a sensitive key becomes
// Replacement, and registered secrets are masked in the other strings.
// Numbers, booleans and nulls are kept, also under sensitive keys.
func (m *Masker) Redact(v any) any {
	switch v := v.(type) {
	case string:
		return m.Mask(v)
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			if m.ShouldMaskKey(k) {
				out[k] = redactAll(e)
			} else {
				out[k] = m.Redact(e)
			}
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k, e := range v {
			if m.ShouldMaskKey(k) {
				out[k] = Replacement
			} else {
				out[k] = m.Mask(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = m.Redact(e)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i, e := range v {
			out[i] = m.Mask(e)
		}
		return out
	default:
		return v
	}
}

func redactAll(v any) any {
	switch v := v.(type) {
	case string:
		return Replacement
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = redactAll(e)
		}
		return out
	case map[string]string:
		out := make(map[string]string, len(v))
		for k := range v {
			out[k] = Replacement
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = redactAll(e)
		}
		return out
	case []string:
		out := make([]string, len(v))
		for i := range v {
			out[i] = Replacement
		}
		return out
	default:
		return v
	}
}

// pyQuote is Python's urllib.parse.quote(s, safe): every byte but ASCII
// letters, digits, "_.-~" and those in safe becomes %XX.
func pyQuote(s, safe string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("_.-~", c) >= 0 || strings.IndexByte(safe, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
