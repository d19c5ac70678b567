package e2e

import (
	"encoding/json"
	"strings"
	"testing"
)

// dags validate names every error of a broken file with its position, exits
// 1, and still reports the good files.
func TestValidateReportsPositions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{
		"good.yaml": "dag_id: good\ntasks: {a: {command: [echo]}}\n",
		"broken.yaml": `dag_id: broken
schedule: "61 * * * *"
tasks:
  extract:
    comand: [echo, hi]
  transform:
    depends_on: [extract, laod]
`,
	})
	out, _, code := e.run("dags", "validate")
	if code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"ok     " + e.dags + "/good.yaml (dag_id good)",
		"broken.yaml:2:11: schedule: invalid cron expression",
		"broken.yaml:5:5: tasks.extract.comand: unknown field",
		`broken.yaml:7:27: tasks.transform.depends_on[1]: unknown task "laod"`,
		"2 file(s), 1 with errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// A broken file is an import error in dags list; the good DAG is there.
	out, errOut, code := e.run("dags", "list", "-o", "json")
	if code != 0 {
		t.Fatalf("dags list: %s", errOut)
	}
	var list struct {
		Dags []struct {
			DagID string `json:"dag_id"`
		} `json:"dags"`
		ImportErrors []struct {
			FileName string `json:"filename"`
			Message  string `json:"stack_trace"`
		} `json:"import_errors"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Dags) != 1 || list.Dags[0].DagID != "good" || len(list.ImportErrors) != 1 ||
		!strings.Contains(list.ImportErrors[0].Message, "laod") {
		t.Fatalf("dags list: %+v", list)
	}
}

// dags test runs a run to its end, shows the states and exits 0 on success
// and 1 on failure, with the failed task's log.
func TestDagsTestExitCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, map[string]string{"d.yaml": `
dag_id: d
params: {fail: false}
tasks:
  first: {command: [sh, -c, 'echo "first says hi"']}
  second:
    depends_on: [first]
    command: [sh, -c, '[ "{{ params.fail }}" = False ] || { echo "second broke" >&2; exit 4; }']
`})
	out, errOut, code := e.run("dags", "test", "d")
	if code != 0 || !strings.Contains(out, "run success") {
		t.Fatalf("passing run: exit %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = e.run("dags", "test", "d", "--conf", `{"fail": true}`)
	if code != 1 || !strings.Contains(out, "run failed") || !strings.Contains(out, "second broke") {
		t.Fatalf("failing run: exit %d\n%s\n%s", code, out, errOut)
	}
	_, errOut, code = e.run("dags", "test", "d", "--conf", `{"fail": "yes"}`)
	if code != 1 || !strings.Contains(errOut, "conf.fail") {
		t.Fatalf("invalid conf: exit %d: %s", code, errOut)
	}
	_, errOut, code = e.run("dags", "test", "nope")
	if code != 1 || !strings.Contains(errOut, "nope") {
		t.Fatalf("unknown dag: exit %d: %s", code, errOut)
	}
}

// A failed run cleared from the command line runs again under a scheduler
// and succeeds; tasks test runs one task with its log on the terminal.
func TestClearAndTasksTest(t *testing.T) {
	t.Parallel()
	flag := t.TempDir() + "/flag"
	e := newEnv(t, map[string]string{"c.yaml": `
dag_id: c
tasks:
  gate: {command: [test, -f, "` + flag + `"]}
  after: {depends_on: [gate], command: [echo, "after {{ ds }}"]}
`})
	if _, errOut, code := e.run("dags", "trigger", "c", "--run-id", "r1", "--logical-date", "2026-03-01"); code != 0 {
		t.Fatal(errOut)
	}
	e.start("scheduler")
	e.waitFor("the run to fail", func() bool { rs := e.runs("c"); return len(rs) == 1 && rs[0].State == "failed" })
	if st := e.taskStates("c", "r1"); st["gate"].State != "failed" || st["after"].State != "upstream_failed" {
		t.Fatalf("states: %+v", st)
	}
	out, errOut, code := e.run("tasks", "test", "c", "after", "2026-03-01")
	if code != 0 || !strings.Contains(out, "after 2026-03-01") {
		t.Fatalf("tasks test: exit %d\n%s\n%s", code, out, errOut)
	}
	writeFile(t, flag)
	if out, errOut, code := e.run("tasks", "clear", "c", "r1", "gate", "--downstream"); code != 0 || !strings.Contains(out, "cleared 2") {
		t.Fatalf("clear: %s %s", out, errOut)
	}
	e.waitFor("the run to succeed", func() bool { rs := e.runs("c"); return len(rs) == 1 && rs[0].State == "success" })
	if st := e.taskStates("c", "r1"); st["gate"].TryNumber != 2 || st["after"].State != "success" {
		t.Fatalf("states after clear: %+v", st)
	}
	out, _, code = e.run("tasks", "logs", "c", "r1", "after")
	if code != 0 || !strings.Contains(out, "after 2026-03-01") || !strings.Contains(out, "exited with code 0") {
		t.Fatalf("tasks logs: %s", out)
	}
}

// A paused DAG gets no scheduled runs; unpaused, it does.
func TestPauseStopsScheduling(t *testing.T) {
	t.Parallel()
	daily := "schedule: '@daily'\nstart_date: 2026-01-01\ntasks: {a: {command: [echo]}}\n"
	e := newEnv(t, map[string]string{"s.yaml": "dag_id: s\n" + daily, "witness.yaml": "dag_id: witness\n" + daily})
	if _, errOut, code := e.run("dags", "pause", "s"); code != 0 {
		t.Fatal(errOut)
	}
	out, _, _ := e.run("dags", "next-runs", "s", "-n", "2", "-o", "json")
	var next []map[string]string
	if err := json.Unmarshal([]byte(out), &next); err != nil || len(next) != 2 {
		t.Fatalf("next-runs: %q %v", out, err)
	}
	e.start("scheduler")
	// The witness's run is created in the same pass that skips the paused
	// DAG; once it has run, the pass has happened.
	e.waitFor("the witness's run", func() bool { rs := e.runs("witness"); return len(rs) == 1 && rs[0].State == "success" })
	if rs := e.runs("s"); len(rs) != 0 {
		t.Fatalf("paused DAG got runs: %+v", rs)
	}
	if _, errOut, code := e.run("dags", "unpause", "s"); code != 0 {
		t.Fatal(errOut)
	}
	e.waitFor("a scheduled run", func() bool { rs := e.runs("s"); return len(rs) == 1 && rs[0].State == "success" })
}
