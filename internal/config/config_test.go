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

func TestDatabase(t *testing.T) {
	c := Default()
	c.DataDir = "/data"
	for _, tc := range []struct{ url, kind, target string }{
		{"", SQLite, "/data/updraft.db"},
		{"sqlite:///tmp/x.db", SQLite, "/tmp/x.db"},
		{"postgres://u:secret@db:5432/updraft", Postgres, "postgres://u:secret@db:5432/updraft"},
		{"postgresql://db/updraft?sslmode=disable", Postgres, "postgresql://db/updraft?sslmode=disable"},
	} {
		c.DatabaseURL = tc.url
		kind, target, err := c.Database()
		if err != nil || kind != tc.kind || target != tc.target {
			t.Errorf("Database() for %q = %s, %s, %v; want %s, %s", tc.url, kind, target, err, tc.kind, tc.target)
		}
	}
	c.DatabaseURL = "mysql://u:secret@db/x"
	_, _, err := c.Database()
	if err == nil || strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "database_url") {
		t.Errorf("unsupported URL error %v: want database_url named, password hidden", err)
	}
}

func TestHeartbeatTimeoutAboveInterval(t *testing.T) {
	c := Default()
	c.SchedulerHeartbeatInterval, c.SchedulerHeartbeatTimeout = 5*time.Second, 5*time.Second
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "scheduler_heartbeat_timeout") {
		t.Errorf("validate error %v: want scheduler_heartbeat_timeout named", err)
	}
}

func TestPublicHidesSecrets(t *testing.T) {
	c := Default()
	c.SecretKey = strings.Repeat("s", 40)
	c.FernetKey = "abc"
	c.DatabaseURL = "postgres://bob:hunter2@db/x"
	got := map[string]string{}
	for _, kv := range c.Public() {
		got[kv[0]] = kv[1]
	}
	for _, k := range []string{"secret_key", "fernet_key"} {
		if got[k] != "< hidden >" {
			t.Errorf("%s shown as %q", k, got[k])
		}
	}
	if strings.Contains(got["database_url"], "hunter2") {
		t.Errorf("database_url shows the password: %s", got["database_url"])
	}
	if got["parallelism"] != "32" {
		t.Errorf("parallelism = %q", got["parallelism"])
	}
}

func TestRedactURLQueryPassword(t *testing.T) {
	for in, leak := range map[string]string{
		"postgres://u@h/db?password=s3cret&sslmode=disable": "s3cret",
		"postgres://u:p4ss@h/db?sslpassword=k3y":            "k3y",
		"u:sec%zz@h":                                        "sec",
	} {
		if got := RedactURL(in); strings.Contains(got, leak) {
			t.Errorf("RedactURL(%q) = %q shows %q", in, got, leak)
		}
	}
}

func TestExecutors(t *testing.T) {
	c := Default()
	if got := c.Executors(); len(got) != 1 || got[0] != "local" {
		t.Errorf("default executors %v", got)
	}
	if err := c.LoadEnv([]string{"UPDRAFT_EXECUTOR=kubernetes, local"}); err != nil {
		t.Fatal(err)
	}
	if got := c.Executors(); len(got) != 2 || got[0] != "kubernetes" || got[1] != "local" {
		t.Errorf("executors %v, want kubernetes first", got)
	}
	path := filepath.Join(t.TempDir(), "updraft.yaml")
	yaml := "executor: local,kubernetes\nkubernetes_resource_profiles:\n  huge: {requests: {cpu: '4'}, limits: {memory: 16Gi}}\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if c.KubernetesResourceProfiles["huge"].Limits["memory"] != "16Gi" || c.Validate() != nil {
		t.Errorf("profiles %v, validate %v", c.KubernetesResourceProfiles, c.Validate())
	}
	c.KubernetesAPIURL = "http://updraft.updraft.svc:8080"
	if err := c.Validate(); err != nil {
		t.Errorf("kubernetes_api_url %s: %v", c.KubernetesAPIURL, err)
	}
	c.Executor, c.KubernetesOnFinishAction, c.KubernetesQPS, c.KubernetesAPIURL = "local,celery", "shred_pod", 0, "updraft:8080"
	err := c.Validate()
	for _, want := range []string{`unknown executor "celery"`, "kubernetes_on_finish_action", "kubernetes_qps",
		`kubernetes_api_url: must be an http or https URL with a host, got "updraft:8080"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate error should say %s, got %v", want, err)
		}
	}
}
