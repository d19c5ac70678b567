// Package config is updraft's typed configuration: defaults, then a YAML
// file, then UPDRAFT_* environment variables, then command-line flags, each
// overriding the one before. Only this package and cmd/ read the environment.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is every setting. The yaml tag is the key in the file; the
// environment variable is UPDRAFT_ and the key in upper case.
type Config struct {
	// DataDir holds the SQLite database, task logs and the scheduler lock.
	DataDir string `yaml:"data_dir"`
	// DagsFolder is where DAG files (*.yaml, *.yml) are read from.
	DagsFolder string `yaml:"dags_folder"`
	// DatabaseURL selects the metadata store; empty means the SQLite file
	// updraft.db in DataDir. sqlite:///path/to/file.db names another file;
	// postgres://user:pass@host:5432/db (any libpq URL) selects PostgreSQL,
	// which several schedulers can share.
	DatabaseURL string `yaml:"database_url"`
	// DatabaseMaxConns caps each process's PostgreSQL connections.
	DatabaseMaxConns int `yaml:"database_max_conns"`
	// DatabaseStatementTimeout ends a PostgreSQL statement that runs longer.
	DatabaseStatementTimeout time.Duration `yaml:"database_statement_timeout"`
	// DatabaseConnectTimeout bounds one attempt to connect to PostgreSQL.
	DatabaseConnectTimeout time.Duration `yaml:"database_connect_timeout"`
	// SchedulerHeartbeatInterval is how often a scheduler records that it
	// lives.
	SchedulerHeartbeatInterval time.Duration `yaml:"scheduler_heartbeat_interval"`
	// SchedulerHeartbeatTimeout is how long a scheduler may miss heartbeats
	// before another declares it dead and retries or fails its tries.
	SchedulerHeartbeatTimeout time.Duration `yaml:"scheduler_heartbeat_timeout"`
	// Parallelism caps the task processes the local executor runs at once.
	Parallelism int `yaml:"parallelism"`
	// SchedulerTick is the period of the scheduler's full pass.
	SchedulerTick time.Duration `yaml:"scheduler_tick"`
	// KillGrace is how long a task has between SIGTERM and SIGKILL.
	KillGrace time.Duration `yaml:"kill_grace"`
	// DagsArePausedAtCreation pauses DAGs the first time they are seen, as
	// Airflow's setting of the same name does.
	DagsArePausedAtCreation bool `yaml:"dags_are_paused_at_creation"`
	// APIAddress is where `updraft server` and `updraft standalone` serve
	// the REST API: host:port.
	APIAddress string `yaml:"api_address"`
	// SecretKey signs API tokens. Every API server of one deployment needs
	// the same key; when empty, one is generated into the data directory.
	SecretKey string `yaml:"secret_key"`
	// FernetKey encrypts variables and connection passwords at rest: one
	// key, or several separated by commas (the first encrypts, any
	// decrypts), as Airflow's [core] fernet_key, whose keys it reuses. When
	// empty, the embedded database gets a key generated into the data
	// directory; on PostgreSQL, values are stored in clear.
	FernetKey string `yaml:"fernet_key"`
	// APITokenTTL is how long a token from POST /auth/token is valid.
	APITokenTTL time.Duration `yaml:"api_token_ttl"`
	// APIMaxBodyBytes caps the size of a request body.
	APIMaxBodyBytes int64 `yaml:"api_max_body_bytes"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`

	// Executor names the executors a scheduler runs, separated by commas,
	// the first for tasks that name none, as Airflow's [core] executor:
	// local, kubernetes, "local,kubernetes" or "kubernetes,local".
	Executor string `yaml:"executor"`
	// KubernetesKubeconfig and KubernetesContext pick the cluster; empty
	// means in-cluster credentials, else $KUBECONFIG or ~/.kube/config.
	KubernetesKubeconfig string `yaml:"kubernetes_kubeconfig"`
	KubernetesContext    string `yaml:"kubernetes_context"`
	// KubernetesNamespace holds the pods of tasks that name no namespace.
	KubernetesNamespace string `yaml:"kubernetes_namespace"`
	// KubernetesImage is the image of tasks that name none.
	KubernetesImage string `yaml:"kubernetes_image"`
	// KubernetesUpdraftImage holds the updraft binary; an init container
	// copies it into each pod, where `updraft exec` runs the task's command
	// and hands its XCom back. Empty: the command runs as it is, no XCom.
	KubernetesUpdraftImage string `yaml:"kubernetes_updraft_image"`
	// KubernetesPodTemplateFile is a Pod manifest every pod starts from.
	KubernetesPodTemplateFile string `yaml:"kubernetes_pod_template_file"`
	// KubernetesParallelism caps the pods of running tries.
	KubernetesParallelism int `yaml:"kubernetes_parallelism"`
	// KubernetesStartupTimeout fails a try whose pod is not running after
	// this long, with Kubernetes' reason.
	KubernetesStartupTimeout time.Duration `yaml:"kubernetes_startup_timeout"`
	// KubernetesOnFinishAction: delete_pod, delete_succeeded_pod or
	// keep_pod, for tasks that do not say.
	KubernetesOnFinishAction string `yaml:"kubernetes_on_finish_action"`
	// KubernetesQPS and KubernetesBurst pace the client's requests.
	KubernetesQPS   int `yaml:"kubernetes_qps"`
	KubernetesBurst int `yaml:"kubernetes_burst"`
	// KubernetesAPIURL is updraft's API as pods reach it (a Service's URL).
	// Pods then get it with a token naming their try, and send return
	// values too large for a termination message (4 KiB) there.
	KubernetesAPIURL string `yaml:"kubernetes_api_url"`
	// KubernetesResourceProfiles are the named requests and limits tasks
	// pick with `resources: NAME` (in the file only).
	KubernetesResourceProfiles map[string]ResourceProfile `yaml:"kubernetes_resource_profiles"`
}

// ResourceProfile is a named set of container requests and limits.
type ResourceProfile struct {
	Requests map[string]string `yaml:"requests"`
	Limits   map[string]string `yaml:"limits"`
}

// Executors are the executors the configuration names, the default first.
func (c *Config) Executors() []string {
	var out []string
	for _, name := range strings.Split(c.Executor, ",") {
		if name = strings.TrimSpace(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// Default returns the defaults.
func Default() Config {
	return Config{
		DataDir:       ".updraft",
		DagsFolder:    "dags",
		Parallelism:   32,
		SchedulerTick: time.Second,

		DatabaseMaxConns:           16,
		DatabaseStatementTimeout:   30 * time.Second,
		DatabaseConnectTimeout:     10 * time.Second,
		SchedulerHeartbeatInterval: 2 * time.Second,
		SchedulerHeartbeatTimeout:  30 * time.Second,
		KillGrace:                  10 * time.Second,
		APIAddress:                 ":8080",
		APITokenTTL:                24 * time.Hour,
		APIMaxBodyBytes:            1 << 20,
		LogLevel:                   "info",
		LogFormat:                  "text",

		Executor:                 "local",
		KubernetesNamespace:      "default",
		KubernetesParallelism:    256,
		KubernetesStartupTimeout: 5 * time.Minute,
		KubernetesOnFinishAction: "delete_pod",
		KubernetesQPS:            300,
		KubernetesBurst:          600,
	}
}

// LoadFile lays a YAML file over c. Unknown keys are errors with their line.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	// An empty file decodes to io.EOF: it sets nothing, which is fine.
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	return nil
}

// LoadEnv lays UPDRAFT_* variables over c, from environ ("NAME=value").
func (c *Config) LoadEnv(environ []string) error {
	env := map[string]string{}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "UPDRAFT_") {
			env[k] = v
		}
	}
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	var errs []error
	for i := range t.NumField() {
		name := EnvName(t.Field(i))
		s, ok := env[name]
		if !ok {
			continue
		}
		if err := setField(v.Field(i), s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// EnvName is the environment variable of a field: UPDRAFT_DAGS_FOLDER.
func EnvName(f reflect.StructField) string {
	return "UPDRAFT_" + strings.ToUpper(f.Tag.Get("yaml"))
}

func setField(f reflect.Value, s string) error {
	switch f.Interface().(type) {
	case time.Duration:
		d, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		f.SetInt(int64(d))
	case string:
		f.SetString(s)
	case int, int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not an integer", s)
		}
		f.SetInt(n)
	case bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("%q is not true or false", s)
		}
		f.SetBool(b)
	default:
		return fmt.Errorf("unsupported type %s", f.Type())
	}
	return nil
}

// Validate checks the values and fills derived defaults.
func (c *Config) Validate() error {
	var errs []error
	if c.Parallelism < 1 {
		errs = append(errs, fmt.Errorf("parallelism: must be at least 1, got %d", c.Parallelism))
	}
	if c.SchedulerTick <= 0 {
		errs = append(errs, fmt.Errorf("scheduler_tick: must be positive, got %s", c.SchedulerTick))
	}
	if c.KillGrace < 0 {
		errs = append(errs, fmt.Errorf("kill_grace: must not be negative, got %s", c.KillGrace))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level: must be debug, info, warn or error, got %q", c.LogLevel))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("log_format: must be text or json, got %q", c.LogFormat))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir: must not be empty"))
	}
	if _, _, err := c.Database(); err != nil {
		errs = append(errs, err)
	}
	if c.DatabaseMaxConns < 2 {
		errs = append(errs, fmt.Errorf("database_max_conns: must be at least 2, got %d", c.DatabaseMaxConns))
	}
	for name, d := range map[string]time.Duration{"database_statement_timeout": c.DatabaseStatementTimeout,
		"database_connect_timeout": c.DatabaseConnectTimeout, "scheduler_heartbeat_interval": c.SchedulerHeartbeatInterval} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s: must be positive, got %s", name, d))
		}
	}
	if c.APITokenTTL <= 0 {
		errs = append(errs, fmt.Errorf("api_token_ttl: must be positive, got %s", c.APITokenTTL))
	}
	if c.APIMaxBodyBytes < 1024 {
		errs = append(errs, fmt.Errorf("api_max_body_bytes: must be at least 1024, got %d", c.APIMaxBodyBytes))
	}
	if c.SecretKey != "" && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("secret_key: must be at least 32 characters"))
	}
	executors := c.Executors()
	if len(executors) == 0 {
		errs = append(errs, errors.New("executor: must name local, kubernetes or both (the default first)"))
	}
	for _, name := range executors {
		if name != "local" && name != "kubernetes" {
			errs = append(errs, fmt.Errorf("executor: unknown executor %q; use local, kubernetes or both separated by a comma", name))
		}
	}
	switch c.KubernetesOnFinishAction {
	case "delete_pod", "delete_succeeded_pod", "keep_pod":
	default:
		errs = append(errs, fmt.Errorf("kubernetes_on_finish_action: must be delete_pod, delete_succeeded_pod or keep_pod, got %q",
			c.KubernetesOnFinishAction))
	}
	for name, n := range map[string]int{"kubernetes_parallelism": c.KubernetesParallelism, "kubernetes_qps": c.KubernetesQPS,
		"kubernetes_burst": c.KubernetesBurst} {
		if n < 1 {
			errs = append(errs, fmt.Errorf("%s: must be at least 1, got %d", name, n))
		}
	}
	if c.KubernetesAPIURL != "" {
		if u, err := url.Parse(c.KubernetesAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, fmt.Errorf("kubernetes_api_url: must be an http or https URL with a host, got %q", c.KubernetesAPIURL))
		}
	}
	if c.KubernetesStartupTimeout <= 0 {
		errs = append(errs, fmt.Errorf("kubernetes_startup_timeout: must be positive, got %s", c.KubernetesStartupTimeout))
	}
	if c.SchedulerHeartbeatTimeout <= c.SchedulerHeartbeatInterval {
		errs = append(errs, fmt.Errorf("scheduler_heartbeat_timeout: must be longer than scheduler_heartbeat_interval (%s), got %s",
			c.SchedulerHeartbeatInterval, c.SchedulerHeartbeatTimeout))
	}
	return errors.Join(errs...)
}

// Database kinds.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Database returns the kind of metadata store and where it is: the file for
// SQLite, the URL for PostgreSQL.
func (c *Config) Database() (kind, target string, err error) {
	u := c.DatabaseURL
	switch {
	case u == "":
		return SQLite, filepath.Join(c.DataDir, "updraft.db"), nil
	case strings.HasPrefix(u, "sqlite://"):
		return SQLite, cmp.Or(strings.TrimPrefix(u, "sqlite://"), filepath.Join(c.DataDir, "updraft.db")), nil
	case strings.HasPrefix(u, "postgres://"), strings.HasPrefix(u, "postgresql://"):
		return Postgres, u, nil
	default:
		return "", "", fmt.Errorf("database_url: %q is not supported: use sqlite:///path/to/file.db or postgres://user:password@host:5432/dbname", RedactURL(u))
	}
}

// RedactURL hides the password of a database URL, for messages and logs.
func RedactURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		// It cannot be taken apart to hide only the password.
		if strings.Contains(u, "@") || strings.Contains(strings.ToLower(u), "password") {
			return "< hidden >"
		}
		return u
	}
	if strings.Contains(p.Opaque, "@") {
		// Not a URL with a host: "user:password@host" read as scheme and
		// opaque part.
		return "< hidden >"
	}
	q := p.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			q.Set(k, "xxxxx")
		}
	}
	if p.RawQuery != "" {
		p.RawQuery = q.Encode()
	}
	return p.Redacted()
}

// LogDir is where task logs are written.
func (c *Config) LogDir() string { return filepath.Join(c.DataDir, "logs") }

// secretSettings are the settings never shown: they are keys.
var secretSettings = map[string]bool{"secret_key": true, "fernet_key": true}

// Public lists every setting as key and text value, for display: keys
// hidden and the database URL's password redacted.
func (c *Config) Public() [][2]string {
	v := reflect.ValueOf(c).Elem()
	t := v.Type()
	var out [][2]string
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("yaml")
		val := fmt.Sprint(v.Field(i).Interface())
		switch {
		case secretSettings[key] && val != "":
			val = "< hidden >"
		case key == "database_url":
			val = RedactURL(val)
		}
		out = append(out, [2]string{key, val})
	}
	return out
}
