package secret

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/updraft-dev/updraft/internal/store"
	"github.com/updraft-dev/updraft/internal/store/sqlite"
)

type storeBundle struct {
	raw  store.Store // unwrapped: what is on disk
	keys *Keys
	m    *Masker
}

// setupStore opens a fresh SQLite store and wraps it with a new key and
// masker.
func setupStore(t *testing.T) (store.Store, *storeBundle) {
	t.Helper()
	raw, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	b := &storeBundle{raw: raw, keys: mustKeys(t, GenerateKey()), m: NewMasker(MaskerConfig{})}
	return Wrap(raw, b.keys, b.m), b
}

func TestWrapVariable(t *testing.T) {
	t.Parallel()
	st, b := setupStore(t)
	ctx := t.Context()

	in := &store.Variable{Key: "db_password", Value: "hunter2-value", Description: "d"}
	if err := st.VariableSet(ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.Value != "hunter2-value" || in.IsEncrypted {
		t.Errorf("VariableSet changed its argument: %+v", in)
	}

	raw, err := b.raw.VariableGet(ctx, "db_password")
	if err != nil {
		t.Fatal(err)
	}
	if !raw.IsEncrypted || raw.Value == "hunter2-value" || strings.Contains(raw.Value, "hunter2") {
		t.Fatalf("stored in clear: %+v", raw)
	}
	if clear, err := b.keys.Decrypt(raw.Value); err != nil || string(clear) != "hunter2-value" {
		t.Fatalf("stored value does not decrypt to the value: %q, %v", clear, err)
	}

	got, err := st.VariableGet(ctx, "db_password")
	if err != nil {
		t.Fatal(err)
	}
	if got.Value != "hunter2-value" || got.Description != "d" || !got.IsEncrypted {
		t.Errorf("VariableGet = %+v", got)
	}

	// Overwriting encrypts again.
	if err := st.VariableSet(ctx, &store.Variable{Key: "db_password", Value: "second-value"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.VariableGet(ctx, "db_password"); got.Value != "second-value" {
		t.Errorf("after update: %+v", got)
	}
	// Airflow encrypts an empty value too.
	if err := st.VariableSet(ctx, &store.Variable{Key: "empty", Value: ""}); err != nil {
		t.Fatal(err)
	}
	if raw, _ := b.raw.VariableGet(ctx, "empty"); !raw.IsEncrypted || raw.Value == "" {
		t.Errorf("empty value: %+v", raw)
	}
	if got, _ := st.VariableGet(ctx, "empty"); got.Value != "" {
		t.Errorf("empty value read back: %+v", got)
	}
}

func TestWrapVariableMasks(t *testing.T) {
	t.Parallel()
	st, b := setupStore(t)
	ctx := t.Context()
	for k, v := range map[string]string{
		"api_key":     "key-1234567",
		"region":      "eu-west-1",
		"json_config": `{"host": "db.example", "password": "json-pass-1"}`,
	} {
		// Written through the raw store, so only the read registers them.
		tok, err := b.keys.Encrypt([]byte(v))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.raw.VariableSet(ctx, &store.Variable{Key: k, Value: tok, IsEncrypted: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.m.Mask("key-1234567"); got != "key-1234567" {
		t.Fatal("masked before any read")
	}
	vs, err := st.VariableList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 3 || vs[0].Key != "api_key" || vs[0].Value != "key-1234567" {
		t.Fatalf("VariableList = %+v", vs)
	}
	const line = "key-1234567 eu-west-1 db.example json-pass-1"
	if got, want := b.m.Mask(line), "*** eu-west-1 db.example ***"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}

	// A write registers too.
	if err := st.VariableSet(ctx, &store.Variable{Key: "my_secret", Value: "written-secret"}); err != nil {
		t.Fatal(err)
	}
	if got := b.m.Mask("written-secret"); got != "***" {
		t.Errorf("written value not masked: %q", got)
	}
}

func TestWrapWrongKey(t *testing.T) {
	t.Parallel()
	st, b := setupStore(t)
	ctx := t.Context()
	if err := st.VariableSet(ctx, &store.Variable{Key: "token_x", Value: "value-x"}); err != nil {
		t.Fatal(err)
	}
	if err := st.ConnectionCreate(ctx, &store.Connection{ConnID: "pg", ConnType: "postgres", Password: "pw-12345",
		Extra: `{"a": 1}`}); err != nil {
		t.Fatal(err)
	}

	other := Wrap(b.raw, mustKeys(t, GenerateKey()), nil)
	_, err := other.VariableGet(ctx, "token_x")
	var de *DecryptError
	if !errors.As(err, &de) || !errors.Is(err, ErrInvalidToken) || de.Name != "token_x" {
		t.Fatalf("VariableGet with another key: err = %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `variable "token_x"`) || !strings.Contains(msg, "fernet_key") ||
		strings.Contains(msg, "value-x") {
		t.Errorf("error %q", msg)
	}
	if _, err := other.VariableList(ctx); !errors.As(err, &de) || de.Name != "token_x" {
		t.Errorf("VariableList: err = %v", err)
	}
	_, err = other.ConnectionGet(ctx, "pg")
	if !errors.As(err, &de) || !errors.Is(err, ErrInvalidToken) || de.Name != "pg" || de.Field != "password" {
		t.Fatalf("ConnectionGet with another key: err = %v", err)
	}
	if !strings.Contains(err.Error(), `connection "pg": cannot decrypt password`) {
		t.Errorf("error %q", err)
	}
	if _, err := other.ConnectionList(ctx); !errors.As(err, &de) || de.Name != "pg" {
		t.Errorf("ConnectionList: err = %v", err)
	}

	// No key at all.
	_, err = Wrap(b.raw, nil, nil).VariableGet(ctx, "token_x")
	if !errors.Is(err, ErrNoKeys) || !strings.Contains(err.Error(), `variable "token_x": value is encrypted and no fernet_key`) {
		t.Errorf("VariableGet with no key: err = %v", err)
	}

	// The old key after a new one still reads it: rotation.
	rotated := Wrap(b.raw, mustKeys(t, GenerateKey()+","+keyString(t, b.keys)), nil)
	if v, err := rotated.VariableGet(ctx, "token_x"); err != nil || v.Value != "value-x" {
		t.Errorf("with the old key second: %+v, %v", v, err)
	}
}

// keyString returns the first key of k as fernet_key holds it.
func keyString(t *testing.T, k *Keys) string {
	t.Helper()
	return k.keys[0].Encode()
}

func TestWrapNoKeys(t *testing.T) {
	t.Parallel()
	_, b := setupStore(t)
	st := Wrap(b.raw, nil, b.m)
	ctx := t.Context()
	if err := st.VariableSet(ctx, &store.Variable{Key: "password", Value: "clear-pass", IsEncrypted: true}); err != nil {
		t.Fatal(err)
	}
	if raw, _ := b.raw.VariableGet(ctx, "password"); raw.IsEncrypted || raw.Value != "clear-pass" {
		t.Errorf("stored %+v, want clear and unflagged", raw)
	}
	c := &store.Connection{ConnID: "c", ConnType: "http", Password: "clear-pw", Extra: `{"token": "clear-tok"}`,
		IsEncrypted: true, IsExtraEncrypted: true}
	if err := st.ConnectionCreate(ctx, c); err != nil {
		t.Fatal(err)
	}
	raw, err := b.raw.ConnectionGet(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	if raw.IsEncrypted || raw.IsExtraEncrypted || raw.Password != "clear-pw" || raw.Extra != c.Extra {
		t.Errorf("stored %+v, want clear and unflagged", raw)
	}
	if got := b.m.Mask("clear-pass clear-pw clear-tok"); got != "*** *** ***" {
		t.Errorf("Mask = %q", got)
	}
	// Values stored in clear read back with keys configured later.
	withKeys := Wrap(b.raw, b.keys, nil)
	if got, err := withKeys.ConnectionGet(ctx, "c"); err != nil || got.Password != "clear-pw" {
		t.Errorf("clear connection read with keys: %+v, %v", got, err)
	}
}

func TestWrapConnection(t *testing.T) {
	t.Parallel()
	st, b := setupStore(t)
	ctx := t.Context()
	port := 5432
	in := &store.Connection{ConnID: "pg", ConnType: "postgres", Host: "db.example", Login: "user",
		Password: "p@ss/w0rd", Port: &port, Extra: `{"sslmode": "require", "private_key": "pk-123456"}`}
	if err := st.ConnectionCreate(ctx, in); err != nil {
		t.Fatal(err)
	}
	if in.Password != "p@ss/w0rd" || in.IsEncrypted {
		t.Errorf("ConnectionCreate changed its argument: %+v", in)
	}

	raw, err := b.raw.ConnectionGet(ctx, "pg")
	if err != nil {
		t.Fatal(err)
	}
	if !raw.IsEncrypted || !raw.IsExtraEncrypted || strings.Contains(raw.Password, "w0rd") ||
		strings.Contains(raw.Extra, "sslmode") || raw.Host != "db.example" {
		t.Fatalf("stored %+v, want password and extra encrypted", raw)
	}
	if clear, err := b.keys.Decrypt(raw.Extra); err != nil || string(clear) != in.Extra {
		t.Fatalf("stored extra decrypts to %q, %v", clear, err)
	}

	got, err := st.ConnectionGet(ctx, "pg")
	if err != nil {
		t.Fatal(err)
	}
	if got.Password != in.Password || got.Extra != in.Extra || got.Login != "user" || *got.Port != 5432 {
		t.Errorf("ConnectionGet = %+v", got)
	}
	if got, want := b.m.Mask("p@ss/w0rd p%40ss%2Fw0rd pk-123456 require"), "*** *** *** require"; got != want {
		t.Errorf("Mask = %q, want %q", got, want)
	}

	// Update without a password or extra: nothing to encrypt, as Airflow.
	if err := st.ConnectionUpdate(ctx, &store.Connection{ConnID: "pg", ConnType: "postgres"}); err != nil {
		t.Fatal(err)
	}
	raw, _ = b.raw.ConnectionGet(ctx, "pg")
	if raw.IsEncrypted || raw.IsExtraEncrypted || raw.Password != "" || raw.Extra != "" {
		t.Errorf("empty password and extra stored as %+v", raw)
	}
	if err := st.ConnectionUpdate(ctx, &store.Connection{ConnID: "pg", Password: "new-password"}); err != nil {
		t.Fatal(err)
	}
	if raw, _ = b.raw.ConnectionGet(ctx, "pg"); !raw.IsEncrypted || raw.IsExtraEncrypted {
		t.Errorf("after update: %+v", raw)
	}
	cs, err := st.ConnectionList(ctx)
	if err != nil || len(cs) != 1 || cs[0].Password != "new-password" {
		t.Errorf("ConnectionList = %+v, %v", cs, err)
	}
	if err := st.ConnectionCreate(ctx, in); !errors.Is(err, store.ErrConflict) {
		t.Errorf("second create: err = %v, want ErrConflict", err)
	}
}

// TestWrapReadsAirflowRows reads values encrypted by Python's cryptography,
// as Airflow writes them.
func TestWrapReadsAirflowRows(t *testing.T) {
	t.Parallel()
	_, b := setupStore(t)
	ctx := t.Context()
	st := Wrap(b.raw, mustKeys(t, pyKey1), nil)
	if err := b.raw.VariableSet(ctx, &store.Variable{Key: "greeting", Value: pyVectors[1].token,
		IsEncrypted: true}); err != nil {
		t.Fatal(err)
	}
	if v, err := st.VariableGet(ctx, "greeting"); err != nil || v.Value != "hello world" {
		t.Errorf("VariableGet = %+v, %v", v, err)
	}
	if err := b.raw.ConnectionCreate(ctx, &store.Connection{ConnID: "af", ConnType: "http",
		Password: pyVectors[2].token, IsEncrypted: true, Extra: pyVectors[3].token, IsExtraEncrypted: true}); err != nil {
		t.Fatal(err)
	}
	c, err := st.ConnectionGet(ctx, "af")
	if err != nil || c.Password != pyVectors[2].msg || c.Extra != pyVectors[3].msg {
		t.Errorf("ConnectionGet = %+v, %v", c, err)
	}
}

func TestWrapPassesErrors(t *testing.T) {
	t.Parallel()
	st, _ := setupStore(t)
	ctx := t.Context()
	if _, err := st.VariableGet(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("VariableGet: err = %v, want ErrNotFound", err)
	}
	if _, err := st.ConnectionGet(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConnectionGet: err = %v, want ErrNotFound", err)
	}
	if err := st.ConnectionUpdate(ctx, &store.Connection{ConnID: "missing", Password: "x"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ConnectionUpdate: err = %v, want ErrNotFound", err)
	}
}
