package spec

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	// The binary embeds the zone database; so do the tests, to give the same
	// answers on any machine.
	_ "time/tzdata"

	"github.com/updraft-dev/updraft/internal/dag"
)

var update = flag.Bool("update", false, "rewrite the golden files and the committed JSON Schema")

// TestGoldenValid parses each testdata/valid/*.yaml and compares a JSON dump
// of the DAG with its .golden.json.
func TestGoldenValid(t *testing.T) {
	t.Parallel()
	for _, file := range testFiles(t, "valid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src := readFile(t, file)
			g, err := Parse(filepath.Base(file), src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := json.MarshalIndent(dump(g), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden.json", append(got, '\n'))
		})
	}
}

// TestGoldenInvalid parses each testdata/invalid/*.yaml and compares the
// error text with its .golden.txt.
func TestGoldenInvalid(t *testing.T) {
	t.Parallel()
	for _, file := range testFiles(t, "invalid") {
		t.Run(filepath.Base(file), func(t *testing.T) {
			t.Parallel()
			src := readFile(t, file)
			g, err := Parse(filepath.Base(file), src)
			if err == nil {
				t.Fatalf("Parse succeeded with DAG %q; want errors", g.ID)
			}
			if g != nil {
				t.Errorf("Parse returned a DAG along with errors")
			}
			checkGolden(t, strings.TrimSuffix(file, ".yaml")+".golden.txt", []byte(err.Error()+"\n"))
		})
	}
}

func testFiles(t testing.TB, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files in testdata/%s: %v", dir, err)
	}
	return files
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(name, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/spec -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./internal/spec -update to accept):\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// The dump types give the golden files readable durations and dates, and
// leave out what belongs to other packages' tests: the schedule is shown as
// written, since its parsed form is internal/dag's to decide.
type dagDump struct {
	ID             string      `json:"dag_id"`
	Description    string      `json:"description,omitempty"`
	Schedule       string      `json:"schedule,omitempty"`
	Timezone       string      `json:"timezone"`
	StartDate      string      `json:"start_date,omitempty"`
	EndDate        string      `json:"end_date,omitempty"`
	Catchup        bool        `json:"catchup"`
	MaxActiveRuns  int         `json:"max_active_runs"`
	MaxActiveTasks int         `json:"max_active_tasks"`
	DagrunTimeout  string      `json:"dagrun_timeout,omitempty"`
	Owner          string      `json:"owner,omitempty"`
	Tags           []string    `json:"tags,omitempty"`
	Params         []dag.Param `json:"params,omitempty"`
	Tasks          []taskDump  `json:"tasks"`
	Order          []string    `json:"order"`
	FileLoc        string      `json:"fileloc"`
}

type taskDump struct {
	ID                      string          `json:"task_id"`
	Upstream                []string        `json:"upstream,omitempty"`
	TriggerRule             dag.TriggerRule `json:"trigger_rule"`
	Retries                 int             `json:"retries"`
	RetryDelay              string          `json:"retry_delay"`
	RetryExponentialBackoff bool            `json:"retry_exponential_backoff,omitempty"`
	MaxRetryDelay           string          `json:"max_retry_delay,omitempty"`
	ExecutionTimeout        string          `json:"execution_timeout,omitempty"`
	Pool                    string          `json:"pool"`
	PoolSlots               int             `json:"pool_slots"`
	PriorityWeight          int             `json:"priority_weight"`
	Weight                  int             `json:"effective_priority_weight"`
	DependsOnPast           bool            `json:"depends_on_past,omitempty"`
	Owner                   string          `json:"owner,omitempty"`
	Command                 *dag.Command    `json:"command,omitempty"`
	Env                     []dag.EnvVar    `json:"env,omitempty"`
	WorkingDir              string          `json:"working_dir,omitempty"`
	Executor                string          `json:"executor,omitempty"`
	Pod                     *podDump        `json:"pod,omitempty"`
}

// podDump shows the pod's durations as written, not in nanoseconds.
type podDump struct {
	dag.Pod
	ActiveDeadline string `json:"ActiveDeadline,omitempty"`
	StartupTimeout string `json:"StartupTimeout,omitempty"`
}

func dump(g *dag.DAG) dagDump {
	d := dagDump{
		ID:             g.ID,
		Description:    g.Description,
		Schedule:       g.Schedule.Expr,
		Timezone:       g.Timezone.String(),
		StartDate:      timeString(g.StartDate),
		EndDate:        timeString(g.EndDate),
		Catchup:        g.Catchup,
		MaxActiveRuns:  g.MaxActiveRuns,
		MaxActiveTasks: g.MaxActiveTasks,
		DagrunTimeout:  durationString(g.DagrunTimeout),
		Owner:          g.Owner,
		Tags:           g.Tags,
		Params:         g.Params,
		Order:          g.Graph().Order(),
		FileLoc:        g.FileLoc,
		Tasks:          []taskDump{},
	}
	for _, t := range g.Tasks {
		td := taskDump{
			ID:                      t.ID,
			Upstream:                t.Upstream,
			TriggerRule:             t.TriggerRule,
			Retries:                 t.Retries,
			RetryDelay:              t.RetryDelay.String(),
			RetryExponentialBackoff: t.RetryExponentialBackoff,
			MaxRetryDelay:           durationString(t.MaxRetryDelay),
			ExecutionTimeout:        durationString(t.ExecutionTimeout),
			Pool:                    t.Pool,
			PoolSlots:               t.PoolSlots,
			PriorityWeight:          t.PriorityWeight,
			Weight:                  g.Graph().PriorityWeight(t.ID),
			DependsOnPast:           t.DependsOnPast,
			Owner:                   t.Owner,
			Env:                     t.Env,
			WorkingDir:              t.WorkingDir,
			Executor:                t.Executor,
		}
		if !t.Command.Empty() {
			td.Command = &t.Command
		}
		if p := t.Pod; !reflect.DeepEqual(p, dag.Pod{}) {
			td.Pod = &podDump{Pod: p, ActiveDeadline: durationString(p.ActiveDeadline), StartupTimeout: durationString(p.StartupTimeout)}
		}
		d.Tasks = append(d.Tasks, td)
	}
	return d
}

func timeString(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func durationString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}
