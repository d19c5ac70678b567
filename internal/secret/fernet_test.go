package secret

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// Keys and tokens made once with Python's cryptography 48.0.0:
//
//	k1 = urlsafe_b64encode(bytes(range(32)))
//	k2 = urlsafe_b64encode(bytes(range(100, 132)))
//	Fernet(k1).encrypt_at_time(msg, 1700000000)
//	MultiFernet([Fernet(k1), Fernet(k2)]).rotate(Fernet(k2).encrypt_at_time(b"rotate me", 1600000000))
const (
	pyKey1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	pyKey2 = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1-f4CBgoM="

	pyK2Token      = "gAAAAABfXhAArPwFlN1iKb6FHX70cRuVJkKStho31QfV_eKe4HZuFULxNo0tTanr6QmMbPYUs6M6k85lX1JeYQ_W2NA6pKL-2Q=="
	pyRotatedToken = "gAAAAABfXhAA5PcmelyeZ25_ZOoMB38QVvtn8CEkLoIx1DP-mPcL9455hGzlXNN1EkKeYQI821mqG4k2MrQaW0q2yJdp4Qg1xw=="
)

var pyVectors = []struct {
	msg   string
	token string
}{
	{"", "gAAAAABlU_EASR1HhMjOEtbR3VXrjUACnSrvDTdGdSPGC8ZR9E0K32h4No6jFvKHR2TZA-9IpdNDptnJLgm4nlrVTR07tU3qYA=="},
	{"hello world", "gAAAAABlU_EAgeRVyLXd3TmbkA1A8NrLCrU_fr_DIm1n9qtNG62keB1fJoOMnJzRym_mLS2t_Ek_pjGAB1NcnpQ45fNF9bNgaw=="},
	{"pässwörd ✓ 🔑", "gAAAAABlU_EAVJ4_8-VQoX_NR3Y2bW9v_mCP5kQnSpriSJXeiPk6BCde0U-eQnRmbXve9G2r4PVLggZyvET9d0gHUI-0r3IyBz0KY2WAt5y1LQ_2uBxofTc="},
	{`{"password": "s3cr3t", "extra": [1,2,3]}`, "gAAAAABlU_EAeLKL0h1EjEWhiCsCDog5SNMSnOCZAtLfTJ5BscJCZK4rkx_AWqAecuOwhJ2Q84PvzYYh-mmeG5vN6RlaLroSpyTy5-Ol9FEu_LF3q_WklgddFhKFhGVCA_LUeQYxrdrT"},
	{"\x00\x01\x02\x03\x04\x05\x06\x07\x08\t\n\x0b\x0c\r\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f !\"#$%&'", "gAAAAABlU_EAE9yyjHbGYyDYUQPZCXDA6HrlYt8AdOcxkhvFp8YaU0pnr3Ho42olwVC9CIyAk0S1aTwEaJy2Jd9f1fFRg4hh_xU5Yw9do4B6CHAqGhzYgeQUZuvJQN5L07DlXRwWnHdC"},
}

// From github.com/fernet/spec verify.json and invalid.json.
const (
	specKey   = "cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4="
	specToken = "gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA=="
)

var specInvalid = map[string]string{
	"incorrect mac":  "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykQUFBQUFBQUFBQQ==",
	"too short":      "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPA==",
	"invalid base64": "%%%%%%%%%%%%%AECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPAl1-szkFVzXTuGb4hR8AKtwcaX1YdykRtfsH-p1YsUD2Q==",
	"payload size":   "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0OD3HkMATM5lFqGaerZ-fWPOm73QeoCk9uGib28Xe5vz6oxq5nmxbx_v7mrfyudzUm",
	"padding error":  "gAAAAAAdwJ6xAAECAwQFBgcICQoLDA0ODz4LEpdELGQAad7aNEHbf-JkLPIpuiYRLQ3RtXatOYREu2FWke6CnJNYIbkuKNqOhw==",
}

func mustKeys(t *testing.T, s string) *Keys {
	t.Helper()
	k, err := ParseKeys(s)
	if err != nil {
		t.Fatalf("ParseKeys: %v", err)
	}
	return k
}

func TestDecryptPythonTokens(t *testing.T) {
	t.Parallel()
	k := mustKeys(t, pyKey1)
	for _, v := range pyVectors {
		got, err := k.Decrypt(v.token)
		if err != nil {
			t.Fatalf("Decrypt(%q's token): %v", v.msg, err)
		}
		if string(got) != v.msg {
			t.Errorf("Decrypt = %q, want %q", got, v.msg)
		}
	}
	// Tokens do not expire: this one is from 2020.
	k2 := mustKeys(t, pyKey2)
	if got, err := k2.Decrypt(pyK2Token); err != nil || string(got) != "rotate me" {
		t.Errorf("Decrypt(old token) = %q, %v", got, err)
	}
}

func TestDecryptSpecVectors(t *testing.T) {
	t.Parallel()
	k := mustKeys(t, specKey)
	got, err := k.Decrypt(specToken)
	if err != nil || string(got) != "hello" {
		t.Fatalf("Decrypt(spec token) = %q, %v", got, err)
	}
	for desc, tok := range specInvalid {
		if _, err := k.Decrypt(tok); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("%s: Decrypt err = %v, want ErrInvalidToken", desc, err)
		}
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	t.Parallel()
	k := mustKeys(t, GenerateKey())
	for _, msg := range []string{"", "x", "exactly16bytes!!", strings.Repeat("long ", 1000), "pässwörd"} {
		tok, err := k.Encrypt([]byte(msg))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(tok, "gAAAAA") {
			t.Errorf("token %q does not look like Fernet", tok)
		}
		got, err := k.Decrypt(tok)
		if err != nil {
			t.Fatalf("Decrypt: %v", err)
		}
		if !bytes.Equal(got, []byte(msg)) {
			t.Errorf("round trip = %q, want %q", got, msg)
		}
	}
	a, _ := k.Encrypt([]byte("same"))
	b, _ := k.Encrypt([]byte("same"))
	if a == b {
		t.Error("two encryptions of one message gave the same token")
	}
}

func TestMultipleKeys(t *testing.T) {
	t.Parallel()
	newK, oldK := GenerateKey(), GenerateKey()
	old := mustKeys(t, oldK)
	both := mustKeys(t, " "+newK+" , "+oldK+" ")
	if both.Len() != 2 {
		t.Fatalf("Len = %d, want 2", both.Len())
	}

	oldTok, err := old.Encrypt([]byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := both.Decrypt(oldTok); err != nil || string(got) != "v" {
		t.Fatalf("second key does not decrypt: %q, %v", got, err)
	}

	// The first key encrypts: the old key alone cannot read new tokens.
	newTok, err := both.Encrypt([]byte("w"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := old.Decrypt(newTok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("old key decrypted a token of the new one: %v", err)
	}
	if got, err := mustKeys(t, newK).Decrypt(newTok); err != nil || string(got) != "w" {
		t.Errorf("new key alone: %q, %v", got, err)
	}
}

func TestRotate(t *testing.T) {
	t.Parallel()
	newK, oldK := GenerateKey(), GenerateKey()
	old := mustKeys(t, oldK)
	both := mustKeys(t, newK+","+oldK)
	newOnly := mustKeys(t, newK)

	at := time.Unix(1600000000, 0)
	tok, err := old.encryptAt([]byte("secret value"), at)
	if err != nil {
		t.Fatal(err)
	}
	rot, err := both.Rotate(tok)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	if got, err := newOnly.Decrypt(rot); err != nil || string(got) != "secret value" {
		t.Fatalf("rotated token with the new key alone: %q, %v", got, err)
	}
	if ts, _ := checkToken(rot); !ts.Equal(at) {
		t.Errorf("rotated token's timestamp = %v, want %v (kept, as MultiFernet.rotate)", ts, at)
	}
	if _, err := newOnly.Rotate(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Rotate with no key that decrypts: err = %v", err)
	}
}

func TestRotateMatchesPython(t *testing.T) {
	t.Parallel()
	// Python's rotation of pyK2Token decrypts with key 1 alone, keeping the
	// timestamp; ours must too.
	k1 := mustKeys(t, pyKey1)
	if got, err := k1.Decrypt(pyRotatedToken); err != nil || string(got) != "rotate me" {
		t.Fatalf("Python-rotated token: %q, %v", got, err)
	}
	rot, err := mustKeys(t, pyKey1+","+pyKey2).Rotate(pyK2Token)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := checkToken(pyRotatedToken)
	if got, _ := checkToken(rot); !got.Equal(want) {
		t.Errorf("timestamp = %v, want %v", got, want)
	}
	if got, err := k1.Decrypt(rot); err != nil || string(got) != "rotate me" {
		t.Errorf("our rotation: %q, %v", got, err)
	}
}

func TestDecryptWrongKey(t *testing.T) {
	t.Parallel()
	tok, err := mustKeys(t, GenerateKey()).Encrypt([]byte("v"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := mustKeys(t, GenerateKey()).Decrypt(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("err = %v, want ErrInvalidToken", err)
	}
}

func TestDecryptTampered(t *testing.T) {
	t.Parallel()
	k := mustKeys(t, GenerateKey())
	tok, err := k.Encrypt([]byte("some secret message"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.URLEncoding.DecodeString(tok)
	// Flip one bit in every byte in turn: version, timestamp, IV,
	// ciphertext and MAC are all covered.
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		if got, err := k.Decrypt(base64.URLEncoding.EncodeToString(bad)); !errors.Is(err, ErrInvalidToken) {
			t.Fatalf("byte %d flipped: Decrypt = %q, %v; want ErrInvalidToken", i, got, err)
		}
	}
	for _, bad := range []string{"", "not a token", tok[:len(tok)-4], tok + "AAAA", strings.TrimRight(tok, "=")} {
		if _, err := k.Decrypt(bad); !errors.Is(err, ErrInvalidToken) {
			t.Errorf("Decrypt(%q) err = %v, want ErrInvalidToken", bad, err)
		}
	}
}

func TestParseKeysErrors(t *testing.T) {
	t.Parallel()
	good := GenerateKey()
	short := base64.URLEncoding.EncodeToString(make([]byte, 24))
	hexKey := strings.Repeat("ab", 32) // fernet-go takes hex; Airflow does not.
	for _, tc := range []struct {
		in, want string
	}{
		{"", ErrNoKeys.Error()},
		{"  ", ErrNoKeys.Error()},
		{"!!!!notbase64!!!!", "fernet key 1 of 1: not URL-safe base64"},
		{short, "fernet key 1 of 1: decodes to 24 bytes, want 32"},
		{good + ",", "fernet key 2 of 2: empty"},
		{good + "," + hexKey, "fernet key 2 of 2: decodes to 48 bytes, want 32"},
	} {
		_, err := ParseKeys(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseKeys(%q) err = %v, want %q", tc.in, err, tc.want)
			continue
		}
		for _, part := range strings.Split(tc.in, ",") {
			if part = strings.TrimSpace(part); len(part) > 4 && strings.Contains(err.Error(), part) {
				t.Errorf("error %q shows the key", err)
			}
		}
	}
	if _, err := ParseKeys(""); !errors.Is(err, ErrNoKeys) {
		t.Errorf("ParseKeys(\"\") err = %v, want ErrNoKeys", err)
	}
	// The standard base64 alphabet works as in Python.
	std := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32))
	if _, err := ParseKeys(std); err != nil {
		t.Errorf("standard base64 key: %v", err)
	}
}

func TestKeysDoNotPrint(t *testing.T) {
	t.Parallel()
	k := mustKeys(t, GenerateKey()+","+GenerateKey())
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, k); out != "secret.Keys(2)" {
			t.Errorf("%s prints %q, want secret.Keys(2)", f, out)
		}
	}
}

func TestEncryptNoKeys(t *testing.T) {
	t.Parallel()
	if _, err := new(Keys).Encrypt([]byte("x")); !errors.Is(err, ErrNoKeys) {
		t.Errorf("err = %v, want ErrNoKeys", err)
	}
}
