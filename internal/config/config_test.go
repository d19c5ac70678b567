package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLayers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "updraft.yaml")
	if err := os.WriteFile(path, []byte("dags_folder: from-file\nparallelism: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadEnv([]string{"UPDRAFT_PARALLELISM=8", "UPDRAFT_SCHEDULER_TICK=250ms", "OTHER=x"}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.DagsFolder != "from-file" || c.Parallelism != 8 || c.SchedulerTick != 250*time.Millisecond || c.DataDir != ".updraft" {
		t.Fatalf("layers not applied in order: %+v", c)
	}
}

func TestErrorsNameTheSetting(t *testing.T) {
	path := filepath.Join(t.TempDir(), "updraft.yaml")
	if err := os.WriteFile(path, []byte("dags_folder: x\nparalelism: 4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	err := c.LoadFile(path)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "paralelism") {
		t.Fatalf("unknown key error should name line and key, got %v", err)
	}
	err = c.LoadEnv([]string{"UPDRAFT_PARALLELISM=many"})
	if err == nil || !strings.Contains(err.Error(), "UPDRAFT_PARALLELISM") {
		t.Fatalf("env error should name the variable, got %v", err)
	}
	c = Default()
	c.Parallelism, c.LogLevel, c.DatabaseURL = 0, "loud", "mysql://x"
	err = c.Validate()
	for _, want := range []string{"parallelism", "log_level", "database_url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate error should name %s, got %v", want, err)
		}
	}
}

func TestSQLitePath(t *testing.T) {
	c := Default()
	c.DataDir = "/data"
	if p, _ := c.SQLitePath(); p != "/data/updraft.db" {
		t.Fatalf("default path %q", p)
	}
	c.DatabaseURL = "sqlite:///tmp/x.db"
	if p, _ := c.SQLitePath(); p != "/tmp/x.db" {
		t.Fatalf("url path %q", p)
	}
}
