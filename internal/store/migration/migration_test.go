package migration

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadOrdersByNumber(t *testing.T) {
	fsys := fstest.MapFS{
		"m/010_later.up.sql":  {Data: []byte("later")},
		"m/002_second.up.sql": {Data: []byte("second")},
		"m/001_first.up.sql":  {Data: []byte("first")},
		"m/notes.txt":         {Data: []byte("ignored")},
	}
	ms, err := Load(fsys, "m")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Name+"="+m.SQL)
	}
	if want := "001_first.up.sql=first 002_second.up.sql=second 010_later.up.sql=later"; strings.Join(got, " ") != want {
		t.Errorf("Load = %v, want %s", got, want)
	}
	if Latest(ms) != 10 {
		t.Errorf("Latest = %d, want 10", Latest(ms))
	}
	if err := CheckNotNewer(10, ms); err != nil {
		t.Errorf("CheckNotNewer(10): %v", err)
	}
	if err := CheckNotNewer(11, ms); err == nil || !strings.Contains(err.Error(), "schema version 11 is newer") {
		t.Errorf("CheckNotNewer(11) = %v, want a refusal naming version 11", err)
	}
}

func TestLoadRefusesUnnumbered(t *testing.T) {
	_, err := Load(fstest.MapFS{"m/first.up.sql": {Data: []byte("x")}}, "m")
	if err == nil || !strings.Contains(err.Error(), "first.up.sql") {
		t.Errorf("Load of an unnumbered file = %v, want an error naming it", err)
	}
	_, err = Load(fstest.MapFS{"m/001_a.up.sql": {Data: []byte("a")}, "m/1_b.up.sql": {Data: []byte("b")}}, "m")
	if err == nil || !strings.Contains(err.Error(), "same number") {
		t.Errorf("Load of two migrations numbered 1 = %v, want an error naming both", err)
	}
	if _, err := Load(fstest.MapFS{}, "m"); err == nil {
		t.Error("Load of an empty folder succeeded")
	}
}
