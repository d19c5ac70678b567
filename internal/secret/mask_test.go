package secret

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
)

func TestShouldMaskKey(t *testing.T) {
	t.Parallel()
	m := NewMasker(MaskerConfig{SensitiveNames: []string{" Cookie ", ""}})
	for name, want := range map[string]bool{
		"password":             true,
		"db_PASSWORD":          true,
		" api_key ":            true,
		"GITHUB_TOKEN":         true,
		"aws_secret_access":    true,
		"Authorization":        true,
		"gcp_keyfile_dict":     true,
		"my_service_account_x": true,
		"session_cookie":       true, // from SensitiveNames
		"http_proxies":         true,
		"host":                 false,
		"login":                false,
		"":                     false,
		"pass":                 false,
		"api-key":              false, // Airflow matches substrings exactly.
	} {
		if got := m.ShouldMaskKey(name); got != want {
			t.Errorf("ShouldMaskKey(%q) = %v, want %v", name, got, want)
		}
	}
	var zero Masker
	if !zero.ShouldMaskKey("password") || zero.ShouldMaskKey("cookie") {
		t.Error("zero Masker does not use the defaults only")
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	var m Masker
	if got := m.Mask("nothing registered"); got != "nothing registered" {
		t.Errorf("Mask with no secrets = %q", got)
	}
	m.Add("hunter2", "abc", "", "Airflow", "p@ss/w rd")
	for in, want := range map[string]string{
		"password is hunter2!":               "password is ***!",
		"hunter2hunter2 hunter":              "****** hunter",
		"abc is too short to mask":           "abc is too short to mask",
		"airflow is never a secret":          "airflow is never a secret",
		"raw p@ss/w rd":                      "raw ***",
		"uri postgres://u:p%40ss/w%20rd@":    "uri postgres://u:***@",
		"uri postgres://u:p%40ss%2Fw%20rd@h": "uri postgres://u:***@h",
		"":                                   "",
	} {
		if got := m.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskMinLength(t *testing.T) {
	t.Parallel()
	m := NewMasker(MaskerConfig{MinLength: 3})
	m.Add("ab", "abc", "äöü") // äöü is 3 characters, 6 bytes
	if got, want := m.Mask("ab abc äöü"), "ab *** ***"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}
	var d Masker
	d.Add("äöüß") // 4 characters: under DefaultMinLength although 8 bytes
	if got := d.Mask("äöüß"); got != "äöüß" {
		t.Errorf("4-character secret masked: %q", got)
	}
}

func TestMaskOverlapping(t *testing.T) {
	t.Parallel()
	var m Masker
	m.Add("secret", "secretvalue", "value123", "tvalu")
	for in, want := range map[string]string{
		// The longest at the leftmost position wins.
		"secretvalue123": "***123",
		"xsecretx":       "x***x",
		// "secret" also starts there, but is shorter.
		"secretvalue12":   "***12",
		"secrevalue123":   "secre***",
		"secretvalu":      "***valu",
		"the secretvalue": "the ***",
	} {
		if got := m.Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
		if got := readAll(t, m.Reader(iotest.OneByteReader(strings.NewReader(in)))); got != m.Mask(in) {
			t.Errorf("Reader(%q) = %q, want %q", in, got, m.Mask(in))
		}
	}
}

func TestMaskStarSecrets(t *testing.T) {
	t.Parallel()
	// Masking "cdefg" makes "ab***", another secret.
	var m Masker
	m.Add("ab***", "cdefg")
	if got := m.Mask("xxabcdefgyy"); got != "xx***yy" {
		t.Errorf("Mask = %q, want %q", got, "xx***yy")
	}
}

func TestAddValue(t *testing.T) {
	t.Parallel()
	var m Masker
	m.AddValue("", map[string]any{
		"host":        "visible-host",
		"password":    "extra-password",
		"nested":      map[string]any{"api_key": "nested-key", "port": 5432.0},
		"token_list":  []any{"token-one", "token-two"},
		"credentials": []any{map[string]any{"client_secret": "client-secret"}},
		// As in Airflow, keys below a sensitive one are names of their own:
		// a service account's "type" is not hidden, its private key is.
		"keyfile_dict": map[string]any{"type": "service_account", "private_key": "-----BEGIN KEY-----"},
		"token_ttl":    3600.0,
		"headers":      map[string]string{"Authorization": "Bearer abc", "Accept": "text/plain"},
		"args":         []string{"--verbose"},
	})
	m.AddValue("my_var", "not-sensitive")
	m.AddValue("my_password", "sensitive-var")
	m.AddValue("", "unnamed-value")

	for _, s := range []string{"extra-password", "nested-key", "token-one", "token-two", "client-secret",
		"-----BEGIN KEY-----", "sensitive-var", "unnamed-value", "Bearer abc"} {
		if got := m.Mask("<" + s + ">"); got != "<***>" {
			t.Errorf("%q not masked: %q", s, got)
		}
	}
	for _, s := range []string{"visible-host", "service_account", "not-sensitive", "3600", "text/plain", "--verbose"} {
		if got := m.Mask(s); got != s {
			t.Errorf("%q masked: %q", s, got)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	var m Masker
	m.Add("hunter2")
	in := map[string]any{
		"host":     "db",
		"password": "pw",
		"conf": map[string]any{
			"note":       "the password is hunter2",
			"api_key":    map[string]any{"a": "b", "n": 1.0},
			"token_ttl":  60.0,
			"list":       []any{"hunter2", true, nil},
			"secret_set": []any{"x", 2.0},
		},
		"headers": map[string]string{"Authorization": "Bearer x", "Accept": "hunter2"},
		"args":    []string{"--pw", "hunter2"},
	}
	want := map[string]any{
		"host":     "db",
		"password": "***",
		"conf": map[string]any{
			"note":       "the password is ***",
			"api_key":    map[string]any{"a": "***", "n": 1.0},
			"token_ttl":  60.0,
			"list":       []any{"***", true, nil},
			"secret_set": []any{"***", 2.0},
		},
		"headers": map[string]string{"Authorization": "***", "Accept": "***"},
		"args":    []string{"--pw", "***"},
	}
	got := m.Redact(in)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Redact =\n%#v\nwant\n%#v", got, want)
	}
	if in["password"] != "pw" {
		t.Error("Redact changed its input")
	}
	if got := m.Redact(42.0); got != 42.0 {
		t.Errorf("Redact(42) = %v", got)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(b)
}

// chunkReader returns its chunks one Read at a time.
type chunkReader struct{ chunks []string }

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	if c.chunks[0] == "" {
		c.chunks = c.chunks[1:]
	}
	return n, nil
}

func TestReaderSplitSecret(t *testing.T) {
	t.Parallel()
	var m Masker
	m.Add("supersecret", "supersecretlonger")
	for _, chunks := range [][]string{
		{"log: supers", "ecret done\n"},
		{"log: super", "secr", "et done\n"},
		{"log: supersecret", " done\n"},
		{"log: supersecre", "t", " done\n"},
		{"log: supersecretlon", "ger done\n"}, // the longer secret wins across reads too
		{"log: supersecretlo", "ng done\n"},   // not the longer one after all
		{"log: s", "u", "p", "e", "r", "s", "e", "c", "r", "e", "t", " done\n"},
		{"log: done\nsupersec"}, // a partial secret at EOF is not a secret
	} {
		whole := strings.Join(chunks, "")
		got := readAll(t, m.Reader(&chunkReader{chunks: slices.Clone(chunks)}))
		if want := m.Mask(whole); got != want {
			t.Errorf("chunks %q: got %q, want %q", chunks, got, want)
		}
		if strings.Contains(got, "supersecret") {
			t.Errorf("chunks %q: secret in output %q", chunks, got)
		}
	}
}

func TestReaderLarge(t *testing.T) {
	t.Parallel()
	var m Masker
	m.Add("needle-in-haystack")
	var in, want bytes.Buffer
	for i := range 20000 {
		fmt.Fprintf(&in, "line %d needle-in-haystack and more\n", i)
		fmt.Fprintf(&want, "line %d *** and more\n", i)
	}
	// Reads of r end at arbitrary offsets, and the caller's buffer is
	// small.
	r := m.Reader(iotest.HalfReader(bytes.NewReader(in.Bytes())))
	var got bytes.Buffer
	buf := make([]byte, 1000)
	for {
		n, err := r.Read(buf)
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got.String() != want.String() {
		t.Errorf("output differs from the expected masked text (got %d bytes, want %d)", got.Len(), want.Len())
	}
}

func TestReaderNoSecrets(t *testing.T) {
	t.Parallel()
	var m Masker
	in := strings.Repeat("plain text ", 10000)
	if got := readAll(t, m.Reader(iotest.OneByteReader(strings.NewReader(in[:100])))); got != in[:100] {
		t.Errorf("got %q", got)
	}
	if got := readAll(t, m.Reader(strings.NewReader(in))); got != in {
		t.Error("plain text changed")
	}
}

func TestReaderError(t *testing.T) {
	t.Parallel()
	var m Masker
	m.Add("topsecret")
	boom := errors.New("boom")
	r := m.Reader(io.MultiReader(strings.NewReader("ok then tops"), iotest.ErrReader(boom)))
	b, err := io.ReadAll(r)
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	// What may start the secret is dropped, the rest returned.
	if string(b) != "ok then " {
		t.Errorf("read %q, want %q", b, "ok then ")
	}
}

func TestMaskConcurrent(t *testing.T) {
	t.Parallel()
	var m Masker
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 50 {
				s := fmt.Sprintf("secret-%d-%d", i, j)
				m.Add(s)
				if got := m.Mask("x " + s + " y"); got != "x *** y" {
					t.Errorf("Mask = %q", got)
					return
				}
				if b, err := io.ReadAll(m.Reader(strings.NewReader(s))); err != nil || string(b) != "***" {
					t.Errorf("Reader = %q, %v", b, err)
					return
				}
				_ = m.Redact(map[string]any{"k": s})
			}
		})
	}
	wg.Wait()
}

// naiveMask is the reference: at each position, the longest secret there.
func naiveMask(secrets map[string]struct{}, s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		n := 0
		for sec := range secrets {
			if len(sec) > n && strings.HasPrefix(s[i:], sec) {
				n = len(sec)
			}
		}
		if n == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		b.WriteString(Replacement)
		i += n
	}
	return b.String()
}

func FuzzMask(f *testing.F) {
	f.Add("log: ", " and ", " end", "hunter2", "password1", uint8(3))
	f.Add("", "", "", "aaaaa", "aaaaaa", uint8(1))
	f.Add("secretvalu", "e123", "", "secretvalue", "value123", uint8(7))
	f.Add("xx", "", "yy", "ab***", "cdefg", uint8(2))
	f.Add("a", "b", "c", "p@ss/w rd", "äöü߀", uint8(5))
	f.Fuzz(func(t *testing.T, a, b, c, s1, s2 string, split uint8) {
		var m Masker
		m.Add(s1, s2)
		text := a + s1 + b + s2 + c + pyQuote(s1, "") + a + pyQuote(s2, "/")
		got := m.Mask(text)

		m.mu.Lock()
		secrets := make(map[string]struct{}, len(m.secrets))
		for s := range m.secrets {
			secrets[s] = struct{}{}
		}
		m.mu.Unlock()
		for s := range secrets {
			if strings.Contains(got, s) {
				t.Fatalf("Mask(%q) = %q holds secret %q", text, got, s)
			}
		}

		// One pass is the reference's leftmost-longest; Mask repeats it
		// only for secrets holding '*'.
		once := naiveMask(secrets, text)
		star := strings.Contains(s1+s2, "*")
		if !star && got != once {
			t.Fatalf("Mask(%q) = %q, want %q", text, got, once)
		}

		// The Reader gives one pass, however the text is split.
		n := int(split)%7 + 1
		var chunks []string
		for i := 0; i < len(text); i += n {
			chunks = append(chunks, text[i:min(i+n, len(text))])
		}
		r := m.Reader(&chunkReader{chunks: chunks})
		out, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(out) != once {
			t.Fatalf("Reader(%q in %d-byte reads) = %q, want %q", text, n, out, once)
		}
	})
}

func BenchmarkReader(b *testing.B) {
	var m Masker
	for i := range 100 {
		m.Add(fmt.Sprintf("secret-value-%03d", i))
	}
	var in bytes.Buffer
	for i := 0; in.Len() < 1<<20; i++ {
		fmt.Fprintf(&in, "%d INFO task ran with secret-value-%03d and some ordinary log text\n", i, i%200)
	}
	b.SetBytes(int64(in.Len()))
	for b.Loop() {
		if _, err := io.Copy(io.Discard, m.Reader(bytes.NewReader(in.Bytes()))); err != nil {
			b.Fatal(err)
		}
	}
}
